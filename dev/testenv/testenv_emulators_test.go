//go:build emulators

package testenv_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/testenv"
)

func TestDynaliteTableRoundTrip(t *testing.T) {
	endpoint := testenv.Dynalite(t)
	if !strings.HasPrefix(endpoint, "http://127.0.0.1:") {
		t.Fatalf("endpoint %q is not on 127.0.0.1", endpoint)
	}
	c := testenv.DynamoClient(t, endpoint)
	a := testenv.CreateCircuitTable(t, c)
	b := testenv.CreateCircuitTable(t, c)
	if a == b {
		t.Fatalf("two tables share the name %q", a)
	}
	ctx := context.Background()
	key := map[string]types.AttributeValue{circuit.KeyAttribute: &types.AttributeValueMemberS{Value: "svc"}}
	if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(a), Item: key}); err != nil {
		t.Fatal(err)
	}
	out, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(a), Key: key, ConsistentRead: aws.Bool(true)})
	if err != nil || out.Item == nil {
		t.Fatalf("item not read back: %v %v", out, err)
	}
	out, err = c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(b), Key: key})
	if err != nil || out.Item != nil {
		t.Fatalf("tables are not independent: %v %v", out, err)
	}
}

func TestRIERunsBootstrapAndCleansUp(t *testing.T) {
	bootstrap := testenv.BuildBootstrap(t, "./dev/testenv/testdata/echo")
	if again := testenv.BuildBootstrap(t, "./dev/testenv/testdata/echo"); again != bootstrap {
		t.Fatalf("second build not cached: %s vs %s", again, bootstrap)
	}
	var pid int
	t.Run("invoke", func(t *testing.T) {
		url := testenv.RIE(t, bootstrap, map[string]string{"ECHO_ME": "hello"})
		if !strings.HasPrefix(url, "http://127.0.0.1:") {
			t.Fatalf("invoke URL %q is not on 127.0.0.1", url)
		}
		var res struct {
			Value string `json:"value"`
			Pid   int    `json:"pid"`
		}
		invoke(t, url, `{"env":"ECHO_ME"}`, &res)
		if res.Value != "hello" {
			t.Fatalf("env not passed: %+v", res)
		}
		pid = res.Pid
		var leaked struct{ Value string }
		invoke(t, url, `{"env":"HOME"}`, &leaked)
		if leaked.Value != "" && leaked.Value == os.Getenv("HOME") {
			t.Errorf("the developer's environment reached the function (HOME=%q)", leaked.Value)
		}
		var fail struct {
			ErrorType    string `json:"errorType"`
			ErrorMessage string `json:"errorMessage"`
		}
		invoke(t, url, `{"fail":true}`, &fail)
		if fail.ErrorMessage != "asked to fail" {
			t.Fatalf("handler error not reported: %+v", fail)
		}
	})
	if pid == 0 {
		t.Fatal("no pid")
	}
	// Cleanup of the subtest must have killed the bootstrap, which the RIE starts
	// in a process group of its own. A zombie would still answer signal 0, so
	// check the process state too.
	if err := syscall.Kill(pid, 0); err == nil {
		stat, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if !bytes.Contains(stat, []byte(") Z")) && len(stat) > 0 {
			t.Fatalf("bootstrap pid %d still running after cleanup: %s", pid, stat)
		}
	}
}

// Lambda tells a function error from a result by X-Amz-Function-Error, which
// the RIE never sets (see lambdaFront); the front must set it exactly when the
// runtime reported an error, whatever the body looks like.
// Lambda API reference, Invoke: "X-Amz-Function-Error: If present, indicates
// that an error occurred during function execution."
func TestRIEFrontSignalsFunctionErrors(t *testing.T) {
	url := testenv.RIE(t, testenv.BuildBootstrap(t, "./dev/testlambdas/downstream"), nil)
	post := func(body string) (*http.Response, string) {
		t.Helper()
		resp, err := http.Post(url, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return resp, string(raw)
	}
	resp, body := post(`{"fail":"Boom","message":"no luck"}`)
	if resp.StatusCode != http.StatusOK || resp.Header.Get(testenv.FunctionErrorHeader) != "Unhandled" || !strings.Contains(body, `"errorType":"Boom"`) {
		t.Errorf("function error: HTTP %d, %s=%q, %s", resp.StatusCode, testenv.FunctionErrorHeader, resp.Header.Get(testenv.FunctionErrorHeader), body)
	}
	if resp.Header.Get("X-Amzn-RequestId") == "" {
		t.Error("no X-Amzn-RequestId on the response")
	}
	// A result that looks like an error is a result.
	resp, body = post(`{"return":{"errorType":"Boom","errorMessage":"just data"}}`)
	if resp.Header.Get(testenv.FunctionErrorHeader) != "" || body != `{"errorType":"Boom","errorMessage":"just data"}` {
		t.Errorf("result shaped like an error: %s=%q, %s", testenv.FunctionErrorHeader, resp.Header.Get(testenv.FunctionErrorHeader), body)
	}
	// The signal is per invocation: the next success carries none.
	_, _ = post(`{"fail":"Boom"}`)
	resp, _ = post(`"ok"`)
	if resp.Header.Get(testenv.FunctionErrorHeader) != "" {
		t.Error("an error's signal leaked into the next invocation")
	}
}
