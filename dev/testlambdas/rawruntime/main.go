// Command rawruntime is a Lambda bootstrap that speaks the Lambda Runtime API
// itself instead of through aws-lambda-go, so that a test controls exactly what
// the runtime reports: any result, or any error body (such as the Python
// runtime's, which carries requestId and stackTrace, and which aws-lambda-go
// cannot produce). Its payload says what to do:
//
//	{"raise": {<error JSON>}}  report the invocation as failed (POST .../error) with
//	                           that body; a "requestId" of "$REQUEST_ID" becomes
//	                           the invocation's id, as the Python runtime writes it
//	{"return": <any JSON>}     return exactly that value (POST .../response)
//
// Runtime API: https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
)

type directives struct {
	Raise  map[string]any  `json:"raise"`
	Return json.RawMessage `json:"return"`
}

func main() {
	api := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime"
	for {
		resp, err := http.Get(api + "/invocation/next")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		id := resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
		event, _ := io.ReadAll(resp.Body)
		resp.Body.Close()

		var d directives
		_ = json.Unmarshal(event, &d)
		path, body, errorType := "/response", []byte(d.Return), ""
		if d.Raise != nil {
			if d.Raise["requestId"] == "$REQUEST_ID" {
				d.Raise["requestId"] = id
			}
			errorType, _ = d.Raise["errorType"].(string)
			body, _ = json.Marshal(d.Raise)
			path = "/error"
		} else if d.Return == nil {
			body = []byte("null")
		}
		req, _ := http.NewRequest(http.MethodPost, api+"/invocation/"+id+path, bytes.NewReader(body))
		if errorType != "" {
			req.Header.Set("Lambda-Runtime-Function-Error-Type", errorType)
		}
		if resp, err := http.DefaultClient.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
}
