// Command healthcheck is the demo's healthcheck: it fails (HealthcheckFailed)
// whenever the demo downstream is in one of its outage windows (package
// outage, same environment), and succeeds otherwise. The scheduler of the
// local runner invokes it, and its errors feed the simulated healthcheck alarm.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambda/messages"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/testlambdas/outage"
)

func main() {
	sched, err := outage.FromEnv(os.Getenv)
	lambda.Start(func(ctx context.Context, _ json.RawMessage) (map[string]any, error) {
		if err != nil {
			return nil, err
		}
		if w, since, down := sched.Down(time.Now()); down {
			return nil, messages.InvokeResponse_Error{
				Type:    "HealthcheckFailed",
				Message: fmt.Sprintf("the downstream is unhealthy (demo outage %d, %.1fs in)", w, since.Seconds()),
			}
		}
		return map[string]any{"healthy": true}, nil
	})
}
