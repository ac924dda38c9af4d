//go:build emulators

package main

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	smithycbor "github.com/aws/smithy-go/encoding/cbor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/testenv"
	ahconfig "github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/alarmhandler/config"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/lambdaenv"
	rcconfig "github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/reconciler/config"
)

// cborOf turns a JSON fixture of an AWS response into the CBOR the CloudWatch
// client reads (aws-sdk-go-v2 cloudwatch speaks smithy RPC v2 CBOR; timestamps
// are tag 1, epoch seconds).
func cborOf(t *testing.T, v any, key string) smithycbor.Value {
	t.Helper()
	switch x := v.(type) {
	case map[string]any:
		m := smithycbor.Map{}
		for k, e := range x {
			m[k] = cborOf(t, e, k)
		}
		return m
	case []any:
		l := smithycbor.List{}
		for _, e := range x {
			l = append(l, cborOf(t, e, ""))
		}
		return l
	case string:
		if strings.HasSuffix(key, "Timestamp") {
			tm, err := time.Parse(time.RFC3339Nano, x)
			require.NoError(t, err)
			return smithycbor.Tag{ID: 1, Value: smithycbor.Float64(float64(tm.UnixMilli()) / 1000)}
		}
		return smithycbor.String(x)
	case float64:
		if x == float64(uint64(x)) {
			return smithycbor.Uint(uint64(x))
		}
		return smithycbor.Float64(x)
	case bool:
		return smithycbor.Bool(x)
	}
	t.Fatalf("no CBOR for %T", v)
	return nil
}

// Issue 9 (reconciliation, the real bootstrap): this zip's bootstrap as the
// reconciler (Handler "reconciler"), under the RIE, given the event
// EventBridge Scheduler sends (the schedule's Input, unwrapped:
// rcconfig.ReconcileInput()), heals a circuit whose
// healthcheck OK was lost, through the real CloudWatch and SQS clients against
// fakes of their wire protocols, and drains the dead-letter queue.
func TestBootstrapReconcilesOnTheScheduledEvent(t *testing.T) {
	endpoint := testenv.Dynalite(t)
	client := testenv.DynamoClient(t, endpoint)
	table := testenv.CreateCircuitTable(t, client)

	raw, err := os.ReadFile(filepath.Join("..", "reconciler", "testdata", "describe-alarms-healthcheck-ok.json"))
	require.NoError(t, err)
	var doc any
	require.NoError(t, json.Unmarshal(raw, &doc))
	describe := smithycbor.Encode(cborOf(t, doc, ""))
	var mu sync.Mutex
	var cwCalls []string
	cw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		cwCalls = append(cwCalls, r.URL.Path)
		mu.Unlock()
		req, err := smithycbor.Decode(body)
		if err != nil || !strings.HasSuffix(r.URL.Path, "/operation/DescribeAlarms") {
			http.Error(w, "unexpected request", http.StatusBadRequest)
			return
		}
		names, _ := req.(smithycbor.Map)["AlarmNames"].(smithycbor.List)
		if len(names) != 2 {
			http.Error(w, "want both alarm names", http.StatusBadRequest)
			return
		}
		w.Header().Set("smithy-protocol", "rpc-v2-cbor")
		w.Header().Set("Content-Type", "application/cbor")
		_, _ = w.Write(describe)
	}))
	t.Cleanup(cw.Close)

	okEvent, err := os.ReadFile(filepath.Join("handler", "testdata", "healthcheck-ok.json"))
	require.NoError(t, err)
	record, err := json.Marshal(map[string]any{
		"version": "1.0", "timestamp": "2026-11-27T06:20:09.412Z",
		"requestContext": map[string]any{"requestId": "e4b46cbf-b738-xmpl-8880-a18cdf61200e", "condition": "RetriesExhausted", "approximateInvokeCount": 3,
			"functionArn": "arn:aws:lambda:us-east-1:123456789012:function:" + functionName + ":$LATEST"},
		"requestPayload": json.RawMessage(okEvent),
	})
	require.NoError(t, err)
	sum := md5.Sum(record)
	var deleted []string
	delivered := false
	q := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		switch r.Header.Get("X-Amz-Target") {
		case "AmazonSQS.ReceiveMessage":
			if delivered {
				_, _ = io.WriteString(w, `{"Messages":[]}`)
				return
			}
			delivered = true
			b, _ := json.Marshal(map[string]any{"Messages": []map[string]any{{
				"MessageId": "lost-ok", "ReceiptHandle": "rh-lost-ok", "Body": string(record), "MD5OfBody": hex.EncodeToString(sum[:]),
			}}})
			_, _ = w.Write(b)
		case "AmazonSQS.DeleteMessage":
			var in struct{ ReceiptHandle string }
			_ = json.NewDecoder(r.Body).Decode(&in)
			deleted = append(deleted, in.ReceiptHandle)
			_, _ = io.WriteString(w, `{}`)
		default:
			http.Error(w, "unexpected "+r.Header.Get("X-Amz-Target"), http.StatusBadRequest)
		}
	}))
	t.Cleanup(q.Close)

	bootstrap := testenv.BuildBootstrap(t, "./functions/alarmhandler")
	// Both roles, as the component renders them: the same alarm settings,
	// and the reconciler's own.
	alarms := ahconfig.Config{
		TableName: table, ServiceName: service,
		DownstreamAlarmName: downstreamAlarm, HealthcheckAlarmName: healthcheckAlarm, TopicArn: topicArn,
		Policy: circuit.Policy{OpenDuration: time.Minute, MaxOpenDuration: 10 * time.Minute, BackoffMultiplier: 2},
	}
	handlerEnv := alarms.Env()
	handlerEnv[lambdaenv.Handler] = ahconfig.Handler
	handlerEnv["AWS_ENDPOINT_URL_DYNAMODB"] = endpoint
	reconcilerEnv := rcconfig.Config{Config: alarms, AlarmHandlerName: functionName,
		DeadLetterQueueURL: q.URL + "/123456789012/payments-breaker-alarm-handler-dlq-1a2b3c4"}.Env()
	reconcilerEnv[lambdaenv.Handler] = rcconfig.Handler
	reconcilerEnv["AWS_ENDPOINT_URL_DYNAMODB"] = endpoint
	reconcilerEnv["AWS_ENDPOINT_URL_CLOUDWATCH"] = cw.URL
	reconcilerEnv["AWS_ENDPOINT_URL_SQS"] = q.URL
	fn := testenv.StartRIE(t, bootstrap, handlerEnv)
	rc := testenv.StartRIE(t, bootstrap, reconcilerEnv)

	require.Nil(t, invoke(t, fn.InvokeURL, "healthcheck-alarm.json"))
	require.Equal(t, "OPEN", str(getItem(t, client, table), circuit.AttrState), "held open; its OK is lost")

	resp, err := http.Post(rc.InvokeURL, "application/json", strings.NewReader(rcconfig.ReconcileInput()))
	require.NoError(t, err)
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var rep struct {
		Alarms     map[string]string `json:"alarms"`
		DLQApplied int               `json:"dlqApplied"`
		ErrorType  string            `json:"errorType"`
	}
	require.NoError(t, json.Unmarshal(out, &rep), "%s", out)
	require.Empty(t, rep.ErrorType, "the run succeeds: %s", out)
	assert.Equal(t, "CLOSED", rep.Alarms["healthcheck"], "the report is the function's response: %s", out)
	assert.Equal(t, 1, rep.DLQApplied)

	// The alarm handler takes SNS events only: the schedule's run sent to it
	// is a malformed notification, and changes nothing.
	le := invokeBody(t, fn.InvokeURL, rcconfig.ReconcileInput())
	require.NotNil(t, le)
	assert.Equal(t, "MalformedNotificationError", le.ErrorType)

	item := getItem(t, client, table)
	assert.Equal(t, "CLOSED", str(item, circuit.AttrState), "healed by the alarm's current state")
	assert.Equal(t, "2026-11-27T00:20:05.731Z", str(item, circuit.AttrHealthcheckAlarmAt))
	mu.Lock()
	assert.Len(t, cwCalls, 1)
	assert.Equal(t, []string{"rh-lost-ok"}, deleted, "the dead-lettered OK, stale by then, is deleted")
	mu.Unlock()

	var emf map[string]any
	for _, line := range strings.Split(rc.Output(), "\n") {
		if i := strings.Index(line, `{"_aws"`); i >= 0 {
			require.NoError(t, json.Unmarshal([]byte(line[i:]), &emf), line)
		}
	}
	require.NotNil(t, emf, "the CircuitState EMF line reached stdout")
	assert.Equal(t, float64(circuit.MetricClosed), emf["CircuitState"])
}
