// Command echo is a minimal Lambda used to test testenv itself: it returns its
// event, the value of the environment variable the event names, and its pid (so
// the test can check that cleanup killed it).
package main

import (
	"context"
	"errors"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
)

type event struct {
	Env  string `json:"env"`
	Fail bool   `json:"fail"`
}

type result struct {
	Value string `json:"value"`
	Pid   int    `json:"pid"`
}

func main() {
	lambda.Start(func(_ context.Context, e event) (result, error) {
		if e.Fail {
			return result{}, errors.New("asked to fail")
		}
		return result{Value: os.Getenv(e.Env), Pid: os.Getpid()}, nil
	})
}
