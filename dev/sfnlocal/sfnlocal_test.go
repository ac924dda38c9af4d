//go:build emulators

package sfnlocal

import (
	"context"
	"encoding/json"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/testenv"
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
	boot := testenv.BuildBootstrap(t, "./dev/testlambdas/downstream")
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

	// A function mapped without versions has only $LATEST: a version it does
	// not have is not found, as on AWS, rather than a call of $LATEST.
	r = f.machine.Run(t, input("k2", fn+":3", 1), Exec{})
	if r.Status != "FAILED" || r.Error != "Lambda.ResourceNotFoundException" || r.LambdaInvocations != 0 {
		t.Errorf("undeclared version: %s", r)
	}
	out = decode(t, f.machine.Run(t, input("k3", fn+":$LATEST", 1), Exec{}))
	if out.Invoke.ExecutedVersion != "$LATEST" {
		t.Errorf("explicit $LATEST: %+v", out.Invoke)
	}
}

// The envelope carries the header set AWS returns (names from LocalStack's
// AWS-recorded tests/aws/services/stepfunctions/v2/services/
// test_lambda_task_service.snapshot.json, test_invoke), whose size counts
// against the payload quota.
func TestInvokeEnvelopeHeaders(t *testing.T) {
	f := setup(t, 1)
	r := f.machine.Run(t, input("h", fn, "x"), Exec{})
	var out struct {
		Invoke struct {
			SdkHTTPMetadata struct {
				AllHTTPHeaders map[string][]string `json:"AllHttpHeaders"`
				HTTPHeaders    map[string]string   `json:"HttpHeaders"`
			} `json:"SdkHttpMetadata"`
			SdkResponseMetadata struct{ RequestId string }
		} `json:"invoke"`
	}
	if err := json.Unmarshal(r.Output, &out); err != nil || !r.Succeeded() {
		t.Fatalf("%s (%v)", r, err)
	}
	want := []string{"Connection", "Content-Length", "Content-Type", "Date", "X-Amz-Executed-Version", "X-Amzn-Trace-Id", "x-amzn-Remapped-Content-Length", "x-amzn-RequestId"}
	var got []string
	for k := range out.Invoke.SdkHTTPMetadata.HTTPHeaders {
		got = append(got, k)
	}
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, ",") != strings.Join(want, ",") || len(out.Invoke.SdkHTTPMetadata.AllHTTPHeaders) != len(want) {
		t.Errorf("headers %v, want %v", got, want)
	}
	h := out.Invoke.SdkHTTPMetadata.HTTPHeaders
	if h["Content-Length"] != strconv.Itoa(len(`{"echoed":"x"}`)) || h["x-amzn-RequestId"] != out.Invoke.SdkResponseMetadata.RequestId {
		t.Errorf("header values: %v", h)
	}
}

// Qualified invocations as Lambda resolves them: a version runs itself, an
// alias runs its version and reports it as ExecutedVersion ("The version of
// the function that executed. When you invoke a function with an alias, this
// indicates which version the alias resolved to": Lambda API reference,
// Invoke); anything else is Lambda.ResourceNotFoundException with the cause
// AWS gives ("Function not found: <arn>:<qualifier> (Service: AWSLambda;
// Status Code: 404; Error Code: ResourceNotFoundException; ...)": LocalStack's
// AWS-recorded tests/aws/services/stepfunctions/v2/error_handling/
// test_task_service_lambda.snapshot.json, test_no_such_function).
func TestVersionsAndAliases(t *testing.T) {
	endpoint := testenv.Dynalite(t)
	table := testenv.CreateCircuitTable(t, testenv.DynamoClient(t, endpoint))
	url := testenv.RIE(t, testenv.BuildBootstrap(t, "./dev/testlambdas/downstream"), nil)
	m := Start(t, strings.ReplaceAll(harness, "TABLE", table), Options{
		DynamoEndpoint: endpoint,
		Functions:      map[string]Function{fn: {URLs: []string{url}, Versions: []string{"1"}, Aliases: map[string]string{"live": "3"}}},
	})
	for i, c := range []struct{ name, version string }{
		{fn, "$LATEST"}, {fn + ":$LATEST", "$LATEST"}, {fn + ":live", "3"}, {fn + ":3", "3"}, {fn + ":1", "1"},
	} {
		out := decode(t, m.Run(t, input("v"+strconv.Itoa(i), c.name, "p"), Exec{}))
		if out.Invoke.ExecutedVersion != c.version || string(out.Invoke.Payload) != `{"echoed":"p"}` {
			t.Errorf("%s: ExecutedVersion %q, payload %s; want %q", c.name, out.Invoke.ExecutedVersion, out.Invoke.Payload, c.version)
		}
	}
	for i, missing := range []string{fn + ":staging", fn + ":2", "arn:aws:lambda:us-east-1:123456789012:function:other:live"} {
		r := m.Run(t, input("m"+strconv.Itoa(i), missing, "p"), Exec{})
		wantCause := "Function not found: " + missing + " (Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; Request ID: "
		if r.Status != "FAILED" || r.Error != "Lambda.ResourceNotFoundException" || !strings.HasPrefix(r.Cause, wantCause) || r.LambdaInvocations != 0 {
			t.Errorf("%s: %s", missing, r)
		}
	}
	// An unqualified name that is not mapped names $LATEST, as AWS's cause does.
	r := m.Run(t, input("u", "arn:aws:lambda:us-east-1:123456789012:function:other", "p"), Exec{})
	if !strings.HasPrefix(r.Cause, "Function not found: arn:aws:lambda:us-east-1:123456789012:function:other:$LATEST (") {
		t.Errorf("unqualified unknown function: %s", r)
	}

	if _, err := start(harness, Options{DynamoEndpoint: endpoint, Functions: map[string]Function{fn + ":live": {URLs: []string{url}}}}); err == nil || !strings.Contains(err.Error(), "unqualified") {
		t.Errorf("a qualified key with versions: %v", err)
	}
	if _, err := start(harness, Options{DynamoEndpoint: endpoint, Functions: map[string]Function{fn: {URLs: []string{url}, Aliases: map[string]string{"live": "latest"}}}}); err == nil || !strings.Contains(err.Error(), "not a version number") {
		t.Errorf("an alias to no version: %v", err)
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

// DynamoDB errors come out under the names Step Functions gives them on AWS:
// DynamoDB.<Java SDK v1 exception class>, the base class AmazonDynamoDBException
// for a code without a class of its own. Recorded on AWS: LocalStack's
// tests/aws/services/stepfunctions/v2/error_handling/
// test_task_service_dynamodb.snapshot.json (test_put_item_no_such_table:
// DynamoDB.ResourceNotFoundException; test_put_item_invalid_table_name and
// test_invalid_param: ValidationException -> DynamoDB.AmazonDynamoDBException,
// "... (Service: AmazonDynamoDBv2; Status Code: 400; Error Code:
// ValidationException; Request ID: ...; Proxy: null)"). The class list:
// dev/sfn/dynamodb-exception-classes.json. These are real dynalite errors.
func TestDynamoDBErrorNames(t *testing.T) {
	endpoint := testenv.Dynalite(t)
	db := testenv.DynamoClient(t, endpoint)
	url := testenv.RIE(t, testenv.BuildBootstrap(t, "./dev/testlambdas/downstream"), nil)
	run := func(table string) Result {
		t.Helper()
		m := Start(t, strings.ReplaceAll(harness, "TABLE", table), Options{DynamoEndpoint: endpoint, Lambdas: map[string][]string{fn: {url}}})
		return m.Run(t, input("k", fn, "x"), Exec{})
	}
	// A brought table whose key is a number: every item operation is a
	// ValidationException, which has no class of its own.
	r := run(testenv.CreateTableKeyedBy(t, db, types.ScalarAttributeTypeN))
	if r.Status != "FAILED" || r.Error != "DynamoDB.AmazonDynamoDBException" ||
		!strings.Contains(r.Cause, "(Service: AmazonDynamoDBv2; Status Code: 400; Error Code: ValidationException; Request ID: ") ||
		!strings.HasSuffix(r.Cause, "; Proxy: null)") {
		t.Errorf("key of type N: %s", r)
	}
	r = run("no-such-table")
	if r.Status != "FAILED" || r.Error != "DynamoDB.ResourceNotFoundException" ||
		!strings.Contains(r.Cause, "Status Code: 400; Error Code: ResourceNotFoundException;") {
		t.Errorf("missing table: %s", r)
	}
}

// A fault injected under a name AWS never raises would test a Retry or Catch
// that never fires on AWS.
func TestInjectedDynamoDBFaultsAreNamesAWSRaises(t *testing.T) {
	f := setup(t, 1)
	for _, bad := range []string{"DynamoDB.RequestLimitExceeded", "DynamoDB.ValidationException", "DynamoDB.ThrottlingException", "RequestLimitExceeded"} {
		_, err := f.machine.Execute(context.Background(), input("f", fn, "x"), Exec{InjectDynamoDB: []Fault{{Error: bad}}})
		if err == nil || !strings.Contains(err.Error(), bad+" is not an error Step Functions raises") {
			t.Errorf("%s: %v", bad, err)
		}
	}
	_, err := f.machine.Execute(context.Background(), input("f", fn, "x"), Exec{InjectDynamoDB: []Fault{{Error: "DynamoDB.RequestLimitExceeded"}}})
	if err == nil || !strings.Contains(err.Error(), "did you mean DynamoDB.RequestLimitExceededException?") {
		t.Errorf("no hint: %v", err)
	}
	// ThrottlingException has a class in the SDK v2 (the aws-sdk integration)
	// and none in the SDK v1 (the optimized one): see the table's
	// sdkV2OnlyClassByErrorCode.
	_, err = f.machine.Execute(context.Background(), input("f", fn, "x"), Exec{InjectDynamoDB: []Fault{{Error: "DynamoDB.ThrottlingException"}}})
	if err == nil || !strings.Contains(err.Error(), "did you mean DynamoDB.AmazonDynamoDBException?") {
		t.Errorf("DynamoDB.ThrottlingException: %v", err)
	}
	for _, good := range []string{"DynamoDB.RequestLimitExceededException", "DynamoDB.AmazonDynamoDBException", "DynamoDB.SdkClientException", "DynamoDB.InternalServerErrorException", "States.Timeout",
		"DynamoDb.ThrottlingException", "DynamoDb.ProvisionedThroughputExceededException", "DynamoDb.DynamoDbException"} {
		if _, err := f.machine.Execute(context.Background(), input("g"+good, fn, "x"), Exec{InjectDynamoDB: []Fault{{Error: good}}}); err != nil {
			t.Errorf("%s refused: %v", good, err)
		}
	}
}

// A function error is what Lambda flags as one (X-Amz-Function-Error), not a
// body of some shape: the Python runtime's error carries requestId and
// stackTrace (LocalStack's AWS-recorded tests/aws/services/stepfunctions/v2/
// error_handling/test_task_service_lambda.snapshot.json, test_raise_exception:
// error "Exception", cause the error JSON), and a result that has errorMessage
// is a result. rawruntime speaks the Runtime API itself, so the body is exactly
// what it reports.
func TestFunctionErrorIsTheSignalNotTheShape(t *testing.T) {
	endpoint := testenv.Dynalite(t)
	table := testenv.CreateCircuitTable(t, testenv.DynamoClient(t, endpoint))
	raw := testenv.RIE(t, testenv.BuildBootstrap(t, "./dev/testlambdas/rawruntime"), nil)
	goFn := testenv.RIE(t, testenv.BuildBootstrap(t, "./dev/testlambdas/downstream"), nil)
	const rawFn = "arn:aws:lambda:us-east-1:123456789012:function:raw"
	m := Start(t, strings.ReplaceAll(harness, "TABLE", table), Options{
		DynamoEndpoint: endpoint,
		Lambdas:        map[string][]string{rawFn: {raw}, fn: {goFn}},
	})

	pyError := map[string]any{
		"errorMessage": "Some exception was raised.", "errorType": "Exception", "requestId": "$REQUEST_ID",
		"stackTrace": []string{"  File \"/var/task/handler.py\", line 2, in handler\n    raise Exception(\"Some exception was raised.\")\n"},
	}
	r := m.Run(t, input("py", rawFn, map[string]any{"raise": pyError}), Exec{})
	var cause map[string]any
	if r.Status != "FAILED" || r.Error != "Exception" || json.Unmarshal([]byte(r.Cause), &cause) != nil ||
		cause["errorMessage"] != "Some exception was raised." || len(cause["requestId"].(string)) != 36 || cause["stackTrace"] == nil {
		t.Errorf("Python-shaped function error: %s", r)
	}
	r = m.Run(t, input("untyped", rawFn, map[string]any{"raise": map[string]any{"errorMessage": "no type"}}), Exec{})
	if r.Status != "FAILED" || r.Error != "Lambda.Unknown" {
		t.Errorf("function error without errorType: %s", r)
	}

	for i, result := range []string{`{"errorMessage":"not found, as data"}`, `{"errorType":"Boom","errorMessage":"as data"}`} {
		out := decode(t, m.Run(t, input("ok"+strconv.Itoa(i), rawFn, map[string]any{"return": json.RawMessage(result)}), Exec{}))
		if string(out.Invoke.Payload) != result {
			t.Errorf("result %s came back as %s", result, out.Invoke.Payload)
		}
	}

	// A real Go bootstrap's error (aws-lambda-go), the way the breaker's
	// downstreams fail in the other tests.
	r = m.Run(t, input("go", fn, map[string]any{"fail": "DownstreamBoom", "message": "no luck"}), Exec{})
	if r.Status != "FAILED" || r.Error != "DownstreamBoom" || !strings.Contains(r.Cause, `"errorMessage":"no luck"`) {
		t.Errorf("Go function error: %s", r)
	}
}

// $$.Execution.StartTime as AWS writes it: no fraction when the milliseconds
// are zero (AWS Support, quoted in docs/aws-facts.md; it is
// Java's Instant.toString()).
func TestStartTimeRenderedLikeAWS(t *testing.T) {
	f := setup(t, 1)
	for i, c := range []struct {
		at   time.Time
		want string
	}{
		{time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC), "2026-03-04T05:06:07Z"},
		{time.Date(2026, 3, 4, 5, 6, 7, 120_000_000, time.UTC), "2026-03-04T05:06:07.120Z"},
		{time.Date(2026, 3, 4, 5, 6, 7, 1_000_000, time.UTC), "2026-03-04T05:06:07.001Z"},
	} {
		out := decode(t, f.machine.Run(t, input("t"+strconv.Itoa(i), fn, "x"), Exec{StartTime: c.at}))
		if out.Now != c.want {
			t.Errorf("StartTime %v rendered %q, want %q", c.at, out.Now, c.want)
		}
	}
}

// limits exercises the payload quota: Invoke keeps nothing of its result
// (ResultPath null), so only the integration's own result can be too large;
// Keep merges its result into the state, so the state's output can be; Write
// is a side effect that must not happen after a state that failed the execution.
const limits = `{
  "QueryLanguage": "JSONPath",
  "StartAt": "Route",
  "States": {
    "Route": {"Type": "Choice", "Choices": [{"Variable": "$.keep", "IsPresent": true, "Next": "Keep"}, {"Variable": "$.double", "IsPresent": true, "Next": "Double"}], "Default": "Invoke"},
    "Invoke": {
      "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
      "Parameters": {"FunctionName": "FN", "Payload.$": "$.payload"},
      "ResultPath": null,
      "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.caught", "Next": "Caught"}],
      "Next": "Write"
    },
    "Keep": {
      "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
      "Parameters": {"FunctionName": "FN", "Payload.$": "$.payload"},
      "ResultSelector": {"Payload.$": "$.Payload"},
      "ResultPath": "$.kept",
      "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.caught", "Next": "Caught"}],
      "Next": "Write"
    },
    "Double": {
      "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
      "Parameters": {"FunctionName": "FN", "Payload": {"a.$": "$.double", "b.$": "$.double"}},
      "ResultPath": null,
      "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.caught", "Next": "Caught"}],
      "Next": "Write"
    },
    "Caught": {"Type": "Pass", "End": true},
    "Write": {
      "Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem",
      "Parameters": {"TableName": "TABLE", "Item": {"serviceName": {"S": "written"}}},
      "ResultPath": null, "End": true
    }
  }
}`

// The payload quota where AWS enforces it. Step Functions' quotas: "Maximum
// input or output size for a task, state, or execution: 262,144 bytes of data
// as a UTF-8 encoded string" (Developer Guide, service quotas). Recorded on AWS
// (LocalStack's tests/aws/services/stepfunctions/v2/error_handling/
// test_states_errors.snapshot.json, 2024-03): a lambda:invoke whose result is
// over it fails the Task with States.DataLimitExceeded, "The state/task
// 'lambda' returned a result with a size exceeding the maximum number of bytes
// service limit.", and a States.ALL catcher catches it
// (test_service_task_lambada_catch_state_all_data_limit_exceeded_on_large_utf8_response);
// a state whose own output is over it fails the execution with no catcher
// (test_start_large_input). The Developer Guide ("Handling errors") also lists
// a state's input after Parameters.
func TestPayloadQuota(t *testing.T) {
	endpoint := testenv.Dynalite(t)
	db := testenv.DynamoClient(t, endpoint)
	table := testenv.CreateCircuitTable(t, db)
	url := testenv.RIE(t, testenv.BuildBootstrap(t, "./dev/testlambdas/downstream"), nil)
	def := strings.NewReplacer("TABLE", table, "FN", fn).Replace(limits)
	m := Start(t, def, Options{DynamoEndpoint: endpoint, Lambdas: map[string][]string{fn: {url}}})
	returning := func(n int) map[string]any { return map[string]any{"payload": map[string]any{"returnString": n}} }
	const quota = 262144
	const tooLarge = "The state/task 'lambda' returned a result with a size exceeding the maximum number of bytes service limit."

	// The envelope's size around a result of six-digit Content-Length,
	// measured on the harness, which keeps lambda:invoke's whole result.
	whole := Start(t, strings.ReplaceAll(harness, "TABLE", table), Options{DynamoEndpoint: endpoint, Lambdas: map[string][]string{fn: {url}}})
	r := whole.Run(t, input("envelope", fn, map[string]any{"returnString": 100000}), Exec{})
	var kept struct {
		Invoke json.RawMessage `json:"invoke"`
	}
	if json.Unmarshal(r.Output, &kept) != nil || !r.Succeeded() {
		t.Fatalf("%s", r)
	}
	envelope := len(kept.Invoke) - (100000 + 2)
	t.Logf("the lambda:invoke envelope around a 6-digit result is %d bytes", envelope)
	if envelope < 600 || envelope > 1200 {
		t.Fatalf("envelope of %d bytes: not the size of AWS's header set", envelope)
	}

	t.Run("result at the quota passes, one byte more fails, catchably", func(t *testing.T) {
		atQuota := quota - envelope - 2
		r := m.Run(t, returning(atQuota), Exec{})
		if !r.Succeeded() || strings.Join(r.States, ",") != "Route,Invoke,Write" || r.DynamoWrites != 1 {
			t.Fatalf("a result of exactly %d bytes with its envelope: %s", quota, r)
		}
		r = m.Run(t, returning(atQuota+1), Exec{})
		var out struct{ Caught struct{ Error, Cause string } }
		if !r.Succeeded() || json.Unmarshal(r.Output, &out) != nil || out.Caught.Error != "States.DataLimitExceeded" || out.Caught.Cause != tooLarge ||
			strings.Join(r.States, ",") != "Route,Invoke,Caught" || r.LambdaInvocations != 1 {
			t.Fatalf("one byte over: %s", r)
		}
	})
	t.Run("the envelope counts: a payload under the quota by itself", func(t *testing.T) {
		r := m.Run(t, returning(quota-300), Exec{})
		var out struct{ Caught struct{ Error string } }
		if json.Unmarshal(r.Output, &out) != nil || out.Caught.Error != "States.DataLimitExceeded" {
			t.Fatalf("%s", r)
		}
	})
	t.Run("a state's output over the quota ends the execution there", func(t *testing.T) {
		// Each part is under the quota; merged beside the input, they are not.
		in := map[string]any{"keep": true, "filler": strings.Repeat("f", 140000), "payload": map[string]any{"returnString": 140000}}
		r := m.Run(t, in, Exec{})
		if r.Status != "FAILED" || r.Error != "States.DataLimitExceeded" ||
			r.Cause != "The state/task 'Keep' returned a result with a size exceeding the maximum number of bytes service limit." ||
			strings.Join(r.States, ",") != "Route,Keep" || r.DynamoWrites != 0 || len(r.Output) != 0 {
			t.Fatalf("no Catch, nothing after it: %s", r)
		}
	})
	t.Run("a task's input over the quota after Parameters", func(t *testing.T) {
		r := m.Run(t, map[string]any{"double": strings.Repeat("d", 140000)}, Exec{})
		if r.Status != "FAILED" || r.Error != "States.DataLimitExceeded" || r.LambdaInvocations != 0 || r.DynamoWrites != 0 {
			t.Fatalf("%s", r)
		}
	})
	t.Run("an execution input over the quota is refused", func(t *testing.T) {
		_, err := m.Execute(context.Background(), map[string]any{"x": strings.Repeat("i", quota)}, Exec{})
		if err == nil || !strings.Contains(err.Error(), "StartExecution would refuse it") {
			t.Fatalf("%v", err)
		}
	})
}

// The AWS SDK integration (arn:aws:states:::aws-sdk:dynamodb:*) answers with
// the API's output alone, no SdkHttpMetadata (recorded on AWS: LocalStack's
// tests/aws/services/stepfunctions/v2/services/test_aws_sdk_task_service.snapshot.json,
// getItem's {"Item": ...}), BatchGetItem's {Responses: {<table>: [...]},
// UnprocessedKeys} (API reference), and names its errors DynamoDb.<SDK v2
// class>, a code without one DynamoDb.DynamoDbException with "(Service:
// DynamoDb, Status Code: 400, Request ID: ...)" (recorded: error_handling/
// test_aws_sdk.snapshot.json, test_dynamodb_invalid_param). Real dynalite
// answers and errors.
func TestAWSSDKDynamoDBIntegration(t *testing.T) {
	endpoint := testenv.Dynalite(t)
	db := testenv.DynamoClient(t, endpoint)
	def := func(table string) string {
		return `{"StartAt": "Read", "States": {"Read": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:dynamodb:batchGetItem",
			"Parameters": {"RequestItems": {"` + table + `": {"Keys": [{"serviceName": {"S": "a"}}, {"serviceName": {"S": "b"}}]}}}, "End": true}}}`
	}
	table := testenv.CreateCircuitTable(t, db)
	if _, err := db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: &table,
		Item: map[string]types.AttributeValue{"serviceName": &types.AttributeValueMemberS{Value: "a"}, "state": &types.AttributeValueMemberS{Value: "OPEN"}}}); err != nil {
		t.Fatal(err)
	}
	r := Start(t, def(table), Options{DynamoEndpoint: endpoint}).Run(t, map[string]any{}, Exec{})
	want := `{"Responses": {"` + table + `": [{"serviceName": {"S": "a"}, "state": {"S": "OPEN"}}]}, "UnprocessedKeys": {}}`
	var got, exp any
	if err := json.Unmarshal(r.Output, &got); err != nil || json.Unmarshal([]byte(want), &exp) != nil || !reflect.DeepEqual(got, exp) {
		t.Errorf("batchGetItem output %s, want %s (%s)", r.Output, want, r)
	}
	if r.DynamoReads != 1 {
		t.Errorf("reads %d", r.DynamoReads)
	}

	// A partial read (throughput exceeded, internal failure) succeeds with
	// the unread keys in UnprocessedKeys, in the request's form, and only the
	// tables with keys left there (BatchGetItem API reference).
	m := Start(t, def(table), Options{DynamoEndpoint: endpoint})
	for _, tc := range []struct {
		unread []string
		want   string
	}{
		{[]string{"a"}, `{"Responses": {"` + table + `": []}, "UnprocessedKeys": {"` + table + `": {"Keys": [{"serviceName": {"S": "a"}}]}}}`},
		{[]string{"b"}, `{"Responses": {"` + table + `": [{"serviceName": {"S": "a"}, "state": {"S": "OPEN"}}]}, "UnprocessedKeys": {"` + table + `": {"Keys": [{"serviceName": {"S": "b"}}]}}}`},
		{[]string{"*"}, `{"Responses": {"` + table + `": []}, "UnprocessedKeys": {"` + table + `": {"Keys": [{"serviceName": {"S": "a"}}, {"serviceName": {"S": "b"}}]}}}`},
	} {
		r := m.Run(t, map[string]any{}, Exec{UnprocessedKeys: [][]string{tc.unread}})
		if err := json.Unmarshal(r.Output, &got); err != nil || json.Unmarshal([]byte(tc.want), &exp) != nil || !reflect.DeepEqual(got, exp) {
			t.Errorf("%v left unread: output %s, want %s (%s)", tc.unread, r.Output, tc.want, r)
		}
		if r.DynamoReads != 1 || r.InjectedFaults != 1 {
			t.Errorf("%v left unread: %s", tc.unread, r)
		}
	}

	r = Start(t, def("no-such-table"), Options{DynamoEndpoint: endpoint}).Run(t, map[string]any{}, Exec{})
	if r.Error != "DynamoDb.ResourceNotFoundException" || !strings.Contains(r.Cause, "(Service: DynamoDb, Status Code: 400, Request ID: ") {
		t.Errorf("missing table: %s", r)
	}
	r = Start(t, def(testenv.CreateTableKeyedBy(t, db, types.ScalarAttributeTypeN)), Options{DynamoEndpoint: endpoint}).Run(t, map[string]any{}, Exec{})
	if r.Error != "DynamoDb.DynamoDbException" || !strings.Contains(r.Cause, "(Service: DynamoDb, Status Code: 400, Request ID: ") {
		t.Errorf("key of type N: %s", r)
	}
}
