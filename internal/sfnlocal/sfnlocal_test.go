package sfnlocal

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/internal/testenv"
)

// harness exercises every integration the runner stands in for, keeping each
// result in the state so that the test can check its shape.
const harness = `{
  "QueryLanguage": "JSONPath",
  "StartAt": "Now",
  "States": {
    "Now": {"Type": "Pass", "Parameters": {"now.$": "$$.Execution.StartTime", "input.$": "$$.Execution.Input"}, "Next": "Put"},
    "Put": {
      "Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem",
      "Parameters": {"TableName": "TABLE", "Item": {"serviceName": {"S.$": "$.input.key"}}, "ConditionExpression": "attribute_not_exists(serviceName)"},
      "ResultPath": "$.put",
      "Catch": [{"ErrorEquals": ["DynamoDB.ConditionalCheckFailedException"], "ResultPath": "$.putError", "Next": "Get"}],
      "Next": "Get"
    },
    "Get": {
      "Type": "Task", "Resource": "arn:aws:states:::dynamodb:getItem",
      "Parameters": {"TableName": "TABLE", "Key": {"serviceName": {"S.$": "$.input.key"}}},
      "ResultPath": "$.get", "Next": "Invoke"
    },
    "Invoke": {
      "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
      "Parameters": {"FunctionName.$": "$.input.function", "Payload.$": "$.input.payload"},
      "ResultPath": "$.invoke", "End": true
    }
  }
}`

const fn = "arn:aws:lambda:us-east-1:123456789012:function:downstream"

type harnessOutput struct {
	Now string `json:"now"`
	Put *struct {
		SdkHTTPMetadata struct {
			HTTPStatusCode int `json:"HttpStatusCode"`
		} `json:"SdkHttpMetadata"`
	} `json:"put"`
	PutError *struct{ Error, Cause string } `json:"putError"`
	Get      struct {
		Item            map[string]map[string]string `json:"Item"`
		SdkHTTPMetadata struct {
			HTTPStatusCode int `json:"HttpStatusCode"`
		} `json:"SdkHttpMetadata"`
		SdkResponseMetadata struct{ RequestId string } `json:"SdkResponseMetadata"`
	} `json:"get"`
	Invoke struct {
		StatusCode      int
		ExecutedVersion string
		Payload         json.RawMessage
		SdkHTTPMetadata struct {
			HTTPStatusCode int `json:"HttpStatusCode"`
		} `json:"SdkHttpMetadata"`
	} `json:"invoke"`
}

type fixture struct {
	machine *Machine
	table   string
}

func setup(t *testing.T, environments int) fixture {
	t.Helper()
	endpoint := testenv.Dynalite(t)
	table := testenv.CreateCircuitTable(t, testenv.DynamoClient(t, endpoint))
	boot := testenv.BuildBootstrap(t, "./internal/testlambdas/downstream")
	var urls []string
	for i := 0; i < environments; i++ {
		urls = append(urls, testenv.RIE(t, boot, nil))
	}
	m := Start(t, strings.ReplaceAll(harness, "TABLE", table), Options{
		DynamoEndpoint: endpoint,
		Lambdas:        map[string][]string{fn: urls},
	})
	return fixture{machine: m, table: table}
}

func input(key, function string, payload any) map[string]any {
	return map[string]any{"key": key, "function": function, "payload": payload}
}

func decode(t *testing.T, r Result) harnessOutput {
	t.Helper()
	if !r.Succeeded() {
		t.Fatalf("execution did not succeed: %s", r)
	}
	var out harnessOutput
	if err := json.Unmarshal(r.Output, &out); err != nil {
		t.Fatalf("output %s: %v", r.Output, err)
	}
	return out
}

// The runner reproduces the shapes Step Functions hands a definition, which is
// what the definitions under test are written against.
func TestIntegrationShapes(t *testing.T) {
	f := setup(t, 1)
	start := time.Date(2026, 3, 4, 5, 6, 7, 890_000_000, time.UTC)

	r := f.machine.Run(t, input("k1", fn, []any{"not", "an", "object"}), Exec{StartTime: start})
	out := decode(t, r)
	if out.Now != "2026-03-04T05:06:07.890Z" {
		t.Errorf("$$.Execution.StartTime = %q, want the fixed clock", out.Now)
	}
	if out.Put == nil || out.Put.SdkHTTPMetadata.HTTPStatusCode != 200 || out.PutError != nil {
		t.Errorf("putItem result: %s", r.Output)
	}
	if out.Get.Item["serviceName"]["S"] != "k1" || out.Get.SdkHTTPMetadata.HTTPStatusCode != 200 || out.Get.SdkResponseMetadata.RequestId == "" {
		t.Errorf("getItem result: %s", r.Output)
	}
	if out.Invoke.StatusCode != 200 || out.Invoke.ExecutedVersion != "$LATEST" || out.Invoke.SdkHTTPMetadata.HTTPStatusCode != 200 {
		t.Errorf("lambda:invoke envelope: %s", r.Output)
	}
	if string(out.Invoke.Payload) != `{"echoed":["not","an","object"]}` {
		t.Errorf("lambda:invoke Payload = %s", out.Invoke.Payload)
	}
	if r.DynamoReads != 1 || r.DynamoWrites != 1 || r.LambdaInvocations != 1 || r.LambdaInvocationsByFunction[fn] != 1 || r.InjectedFaults != 0 {
		t.Errorf("counts: %s", r)
	}
	if strings.Join(r.States, ",") != "Now,Put,Get,Invoke" {
		t.Errorf("states = %v", r.States)
	}
	if r.Duration <= 0 {
		t.Errorf("duration not measured: %v", r.Duration)
	}

	// The item exists now: the conditional put fails with the name Catch matches on AWS.
	out = decode(t, f.machine.Run(t, input("k1", fn, "x"), Exec{}))
	if out.PutError == nil || out.PutError.Error != "DynamoDB.ConditionalCheckFailedException" ||
		!strings.Contains(out.PutError.Cause, "Error Code: ConditionalCheckFailedException") {
		t.Errorf("conditional put failure: %+v", out.PutError)
	}

	// A qualified ARN reaches the unqualified mapping and reports its version.
	out = decode(t, f.machine.Run(t, input("k2", fn+":3", 1), Exec{}))
	if out.Invoke.ExecutedVersion != "3" || string(out.Invoke.Payload) != `{"echoed":1}` {
		t.Errorf("qualified invoke: %+v", out.Invoke)
	}
}

func TestErrors(t *testing.T) {
	f := setup(t, 1)

	r := f.machine.Run(t, input("e1", fn, map[string]any{"fail": "DownstreamBoom", "message": "no luck"}), Exec{})
	if r.Status != "FAILED" || r.Error != "DownstreamBoom" || r.LambdaInvocations != 1 {
		t.Fatalf("function error: %s", r)
	}
	var cause struct{ ErrorType, ErrorMessage string }
	if err := json.Unmarshal([]byte(r.Cause), &cause); err != nil || cause.ErrorType != "DownstreamBoom" || cause.ErrorMessage != "no luck" {
		t.Errorf("cause is not the function's error JSON: %q (%v)", r.Cause, err)
	}

	r = f.machine.Run(t, input("e2", "arn:aws:lambda:us-east-1:123456789012:function:unknown", nil), Exec{})
	if r.Status != "FAILED" || r.Error != "Lambda.ResourceNotFoundException" || r.LambdaInvocations != 0 {
		t.Errorf("unknown function: %s", r)
	}

	r = f.machine.Run(t, input("e3", fn, "x"), Exec{
		InjectDynamoDB: []Fault{{Error: "DynamoDB.ConditionalCheckFailedException", Cause: "injected"}},
		InjectLambda:   []Fault{{Error: "Lambda.TooManyRequestsException"}},
	})
	if r.Status != "FAILED" || r.Error != "Lambda.TooManyRequestsException" || r.InjectedFaults != 2 ||
		r.DynamoWrites != 0 || r.DynamoReads != 1 || r.LambdaInvocations != 0 {
		t.Errorf("injected faults: %s", r)
	}
}

// Concurrent executions share the executor; each RIE serves one invocation at
// a time (a concurrent invoke crashes it), so the runner queues per environment.
func TestConcurrentExecutions(t *testing.T) {
	f := setup(t, 2)
	const n = 12
	var wg sync.WaitGroup
	results := make([]Result, n)
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = f.machine.Execute(context.Background(), input("c", fn, map[string]any{"sleepMs": 20, "i": i}), Exec{})
		}()
	}
	wg.Wait()
	for i := 0; i < n; i++ {
		if errs[i] != nil {
			t.Fatalf("execution %d: %v", i, errs[i])
		}
		var out harnessOutput
		_ = json.Unmarshal(results[i].Output, &out)
		var echoed struct {
			Echoed struct{ I int } `json:"echoed"`
		}
		if !results[i].Succeeded() || json.Unmarshal(out.Invoke.Payload, &echoed) != nil || echoed.Echoed.I != i {
			t.Errorf("execution %d got another's result or failed: %s", i, results[i])
		}
	}
}

func TestStartErrors(t *testing.T) {
	if _, err := start(strings.ReplaceAll(harness, "TABLE", "t"), Options{}); err == nil || !strings.Contains(err.Error(), "dynamoEndpoint") {
		t.Errorf("a DynamoDB definition without an endpoint: %v", err)
	}
	bad := `{"StartAt": "Nowhere", "States": {"A": {"Type": "Succeed"}}}`
	if _, err := start(bad, Options{}); err == nil || !strings.Contains(err.Error(), "rejected the definition") {
		t.Errorf("an invalid definition: %v", err)
	}
	if _, err := start("{", Options{}); err == nil {
		t.Error("accepted a definition that is not JSON")
	}
}
