// Command hook is TEST-ONLY: the engine drivers' CIRCUITBREAKER_ENGINE_HOOK in `make fidelity`.
// Before each step of an engine run it writes a phase marker into moto's call log
// ($FIDELITY_CALL_LOG), so that the test can tell which AWS calls `pulumi preview` made; at
// "deployed" it runs the deployed state machine's closed path in moto: an execution that reads the
// circuit (no item: closed), invokes the downstream and returns its result.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"
)

// ClosedPathResult is what the closed path's downstream answers; moto's Lambda without Docker
// returns queued results (its /moto-api/static/lambda-simple/response API).
const ClosedPathResult = `{"fidelity":"closed path","ok":true}`

// ClosedPathSucceeded is the call-log marker written after each breaker's closed path succeeded.
const ClosedPathSucceeded = "closedPathSucceeded"

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: hook PHASE")
		os.Exit(2)
	}
	phase := os.Args[1]
	if err := mark(phase); err != nil {
		fail(err)
	}
	if phase == "deployed" {
		if err := closedPath(); err != nil {
			fail(err)
		}
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "fidelity hook:", err)
	os.Exit(1)
}

func mark(phase string) error {
	path := os.Getenv("FIDELITY_CALL_LOG")
	if path == "" {
		return nil
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = fmt.Fprintf(f, "{\"phase\":%q}\n", phase)
	return err
}

func closedPath() error {
	b, err := os.ReadFile(os.Getenv("CIRCUITBREAKER_ENGINE_OUTPUTS"))
	if err != nil {
		return fmt.Errorf("reading the stack's outputs: %w", err)
	}
	var outputs map[string]any
	if err := json.Unmarshal(b, &outputs); err != nil {
		return err
	}
	// Every breaker of the stack: the examples output stateMachineArn, the shared-table stacks one
	// <service>StateMachineArn per breaker.
	var arns []string
	for k, v := range outputs {
		if s, ok := v.(string); ok && (k == "stateMachineArn" || strings.HasSuffix(k, "StateMachineArn")) {
			arns = append(arns, s)
		}
	}
	if len(arns) == 0 {
		return fmt.Errorf("the stack outputs no state machine ARN: %s", b)
	}
	sort.Strings(arns)
	for _, arn := range arns {
		if err := execute(arn); err != nil {
			return err
		}
		// The test counts these: one per breaker, or the closed path did not run.
		if err := mark(ClosedPathSucceeded); err != nil {
			return err
		}
	}
	return nil
}

// execute runs one closed-path execution of the state machine arn in moto.
func execute(arn string) error {
	endpoint := os.Getenv("AWS_ENDPOINT_URL")
	if _, err := call(endpoint, "", "/moto-api/static/lambda-simple/response",
		map[string]any{"results": []string{ClosedPathResult}, "region": region()}); err != nil {
		return fmt.Errorf("queueing the downstream's result: %w", err)
	}
	var started struct{ ExecutionArn string }
	if err := sfn(endpoint, "StartExecution", map[string]any{"stateMachineArn": arn, "input": `{"order":42}`}, &started); err != nil {
		return err
	}
	deadline := time.Now().Add(90 * time.Second)
	for {
		var d struct{ Status, Output, Error, Cause string }
		if err := sfn(endpoint, "DescribeExecution", map[string]any{"executionArn": started.ExecutionArn}, &d); err != nil {
			return err
		}
		switch {
		case d.Status == "RUNNING" && time.Now().Before(deadline):
			time.Sleep(250 * time.Millisecond)
			continue
		case d.Status != "SUCCEEDED":
			var h any
			_ = sfn(endpoint, "GetExecutionHistory", map[string]any{"executionArn": started.ExecutionArn}, &h)
			hist, _ := json.MarshalIndent(h, "", " ")
			return fmt.Errorf("closed path: execution %s ended %s (%s: %s), want SUCCEEDED; history:\n%s", started.ExecutionArn, d.Status, d.Error, d.Cause, hist)
		}
		var got, want any
		if err := json.Unmarshal([]byte(d.Output), &got); err != nil {
			return fmt.Errorf("closed path: output %q is not JSON: %w", d.Output, err)
		}
		_ = json.Unmarshal([]byte(ClosedPathResult), &want)
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		if !bytes.Equal(g, w) {
			return fmt.Errorf("closed path: output %s, want the downstream's result %s", g, w)
		}
		fmt.Printf("closed path: %s SUCCEEDED with the downstream's result\n", started.ExecutionArn)
		return nil
	}
}

func region() string {
	if r := os.Getenv("AWS_REGION"); r != "" {
		return r
	}
	return "us-east-1"
}

func sfn(endpoint, action string, in, out any) error {
	b, err := call(endpoint, "AWSStepFunctions."+action, "/", in)
	if err != nil {
		return fmt.Errorf("%s: %w", action, err)
	}
	return json.Unmarshal(b, out)
}

// call posts JSON to moto. moto routes a request on a shared endpoint by the service named in
// the signature's credential scope and does not verify the signature itself.
func call(endpoint, target, path string, in any) ([]byte, error) {
	body, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequest(http.MethodPost, endpoint+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if target != "" {
		req.Header.Set("X-Amz-Target", target)
		req.Header.Set("Content-Type", "application/x-amz-json-1.0")
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=testing/20260101/"+region()+"/states/aws4_request, SignedHeaders=host, Signature=00")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	if res.StatusCode >= 300 {
		return nil, fmt.Errorf("HTTP %d: %s", res.StatusCode, b)
	}
	return b, nil
}
