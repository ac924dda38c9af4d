package statemachine

import (
	"context"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/internal/sfnlocal"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/internal/testenv"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/lambdas/circuit"
)

// These tests execute the real definition (aws-local-stepfunctions) against
// dynalite and the downstream test Lambda under the RIE.

// One dynalite for the package, started by the first test that needs one, so
// that the pure unit tests above run without emulators.
var shared struct {
	once     sync.Once
	endpoint string
	stop     func()
	err      error
}

func dynaliteEndpoint(t testing.TB) string {
	t.Helper()
	shared.once.Do(func() { shared.endpoint, shared.stop, shared.err = testenv.StartDynalite() })
	if shared.err != nil {
		t.Fatalf("dynalite: %v", shared.err)
	}
	return shared.endpoint
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.stop != nil {
		shared.stop()
	}
	os.Exit(code)
}

const downstreamArn = "arn:aws:lambda:us-east-1:123456789012:function:downstream"

// now is every execution's $$.Execution.StartTime, so that openUntil is
// compared against a known instant.
var now = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

type env struct {
	cfg     Config
	db      *dynamodb.Client
	machine *sfnlocal.Machine
}

// newEnv runs the definition for cfg (validConfig with the downstream ARN and a
// fresh table, then mutate) with a fresh RIE for the downstream.
func newEnv(t testing.TB, mutate func(*Config)) *env {
	t.Helper()
	endpoint := dynaliteEndpoint(t)
	db := testenv.DynamoClient(t, endpoint)
	cfg := validConfig()
	cfg.DownstreamArn = downstreamArn
	cfg.DownstreamTimeoutSeconds = 30
	cfg.TableName = testenv.CreateCircuitTable(t, db)
	if mutate != nil {
		mutate(&cfg)
	}
	def, err := Definition(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rie := testenv.RIE(t, testenv.BuildBootstrap(t, "./internal/testlambdas/downstream"), nil)
	started := time.Now()
	m := sfnlocal.Start(t, def, sfnlocal.Options{
		DynamoEndpoint: endpoint,
		Lambdas:        map[string][]string{downstreamArn: {rie}},
	})
	t.Logf("executor ready in %v, of which building the definition %v", time.Since(started), m.BuildTime)
	return &env{cfg: cfg, db: db, machine: m}
}

// setItem replaces the circuit's item with these string attributes; nil deletes it.
func (e *env) setItem(t testing.TB, attrs map[string]string) {
	t.Helper()
	key := map[string]types.AttributeValue{circuit.KeyAttribute: &types.AttributeValueMemberS{Value: e.cfg.ServiceName}}
	ctx := context.Background()
	if attrs == nil {
		if _, err := e.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(e.cfg.TableName), Key: key}); err != nil {
			t.Fatal(err)
		}
		return
	}
	item := map[string]types.AttributeValue{}
	for k, v := range key {
		item[k] = v
	}
	for k, v := range attrs {
		item[k] = &types.AttributeValueMemberS{Value: v}
	}
	// Other attributes the alarm path keeps, so that the definition is shown to
	// ignore what it does not decide on.
	item[circuit.AttrVersion] = &types.AttributeValueMemberN{Value: "7"}
	item[circuit.AttrFailures] = &types.AttributeValueMemberN{Value: "0"}
	if _, err := e.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(e.cfg.TableName), Item: item}); err != nil {
		t.Fatal(err)
	}
}

func (e *env) run(t *testing.T, input any, ex sfnlocal.Exec) sfnlocal.Result {
	t.Helper()
	if ex.StartTime.IsZero() {
		ex.StartTime = now
	}
	return e.machine.Run(t, input, ex)
}

func sameJSON(a, b []byte) bool {
	var x, y any
	return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && reflect.DeepEqual(x, y)
}

// admitted: the downstream ran once and its result is the output; one read, no write.
func admitted(t *testing.T, r sfnlocal.Result, wantOutput string) {
	t.Helper()
	if !r.Succeeded() || r.LambdaInvocations != 1 || r.DynamoReads != 1 || r.DynamoWrites != 0 {
		t.Fatalf("want admitted (1 invocation, 1 read, 0 writes), got %s", r)
	}
	if !sameJSON(r.Output, []byte(wantOutput)) {
		t.Fatalf("output = %s, want %s", r.Output, wantOutput)
	}
}

// rejected: FAILED CircuitOpen by the given state, nothing invoked, one read.
func rejected(t *testing.T, e *env, r sfnlocal.Result, by string) {
	t.Helper()
	if r.Status != "FAILED" || r.Error != ErrorCircuitOpen || r.LambdaInvocations != 0 || r.DynamoReads != 1 || r.DynamoWrites != 0 {
		t.Fatalf("want rejected with %s (0 invocations, 1 read), got %s", ErrorCircuitOpen, r)
	}
	if !strings.Contains(r.Cause, e.cfg.ServiceName) {
		t.Errorf("cause does not name the service: %q", r.Cause)
	}
	if last := r.States[len(r.States)-1]; last != by {
		t.Errorf("rejected by %s, want %s", last, by)
	}
}

func ts(d time.Duration) string { return circuit.FormatTime(now.Add(d)) }

func TestRequestPath(t *testing.T) {
	e := newEnv(t, nil)

	t.Run("no item is closed", func(t *testing.T) {
		e.setItem(t, nil)
		r := e.run(t, map[string]any{"order": 42}, sfnlocal.Exec{})
		admitted(t, r, `{"echoed": {"order": 42}}`)
		if got := strings.Join(r.States, ","); got != "ReadCircuit,CheckCircuit,InvokeDownstream" {
			t.Errorf("states = %s", got)
		}
	})

	t.Run("non-object payloads pass through unchanged", func(t *testing.T) {
		e.setItem(t, nil)
		for _, in := range []string{`"just a string"`, `[1, "two", {"three": 3}, null]`, `42`, `true`, `null`, `{}`} {
			r := e.run(t, json.RawMessage(in), sfnlocal.Exec{})
			admitted(t, r, `{"echoed": `+in+`}`)
		}
	})

	t.Run("output is the function's result only", func(t *testing.T) {
		e.setItem(t, nil)
		admitted(t, e.run(t, map[string]any{"return": map[string]any{"statusCode": 200, "body": "ok"}}, sfnlocal.Exec{}), `{"statusCode": 200, "body": "ok"}`)
		admitted(t, e.run(t, map[string]any{"return": nil}, sfnlocal.Exec{}), `null`)
		admitted(t, e.run(t, map[string]any{"return": "plain"}, sfnlocal.Exec{}), `"plain"`)
	})

	t.Run("closed item", func(t *testing.T) {
		e.setItem(t, map[string]string{circuit.AttrState: string(circuit.Closed), circuit.AttrHealthcheckAlarm: "OK"})
		admitted(t, e.run(t, "x", sfnlocal.Exec{}), `{"echoed": "x"}`)
	})

	t.Run("open until later fails fast", func(t *testing.T) {
		e.setItem(t, map[string]string{circuit.AttrState: string(circuit.Open), circuit.AttrOpenUntil: ts(time.Minute)})
		rejected(t, e, e.run(t, "x", sfnlocal.Exec{}), StateRejectOpen)
		// One millisecond before the end is still open.
		e.setItem(t, map[string]string{circuit.AttrState: string(circuit.Open), circuit.AttrOpenUntil: ts(time.Millisecond)})
		rejected(t, e, e.run(t, "x", sfnlocal.Exec{}), StateRejectOpen)
	})

	t.Run("open duration elapsed admits", func(t *testing.T) {
		e.setItem(t, map[string]string{circuit.AttrState: string(circuit.Open), circuit.AttrOpenUntil: ts(-time.Minute)})
		admitted(t, e.run(t, "x", sfnlocal.Exec{}), `{"echoed": "x"}`)
		// openUntil == now: Decide rejects only while now is before openUntil.
		e.setItem(t, map[string]string{circuit.AttrState: string(circuit.Open), circuit.AttrOpenUntil: ts(0)})
		admitted(t, e.run(t, "x", sfnlocal.Exec{}), `{"echoed": "x"}`)
	})

	t.Run("open without openUntil admits", func(t *testing.T) {
		e.setItem(t, map[string]string{circuit.AttrState: string(circuit.Open)})
		admitted(t, e.run(t, "x", sfnlocal.Exec{}), `{"echoed": "x"}`)
	})

	t.Run("healthcheck alarm fails fast", func(t *testing.T) {
		e.setItem(t, map[string]string{circuit.AttrState: string(circuit.Closed), circuit.AttrHealthcheckAlarm: string(circuit.AlarmStateAlarm)})
		rejected(t, e, e.run(t, "x", sfnlocal.Exec{}), StateRejectHealthcheckAlarm)
	})

	t.Run("forced open fails fast", func(t *testing.T) {
		e.setItem(t, map[string]string{circuit.AttrState: string(circuit.Closed), circuit.AttrOverride: string(circuit.ForcedOpen)})
		rejected(t, e, e.run(t, "x", sfnlocal.Exec{}), StateRejectForcedOpen)
	})

	t.Run("forced closed wins over alarm and open", func(t *testing.T) {
		e.setItem(t, map[string]string{
			circuit.AttrOverride:         string(circuit.ForcedClosed),
			circuit.AttrState:            string(circuit.Open),
			circuit.AttrOpenUntil:        ts(time.Hour),
			circuit.AttrHealthcheckAlarm: string(circuit.AlarmStateAlarm),
		})
		admitted(t, e.run(t, "x", sfnlocal.Exec{}), `{"echoed": "x"}`)
	})

	t.Run("downstream error fails with its own name and cause", func(t *testing.T) {
		e.setItem(t, nil)
		r := e.run(t, map[string]any{"fail": "DownstreamBoom", "message": "card declined"}, sfnlocal.Exec{})
		// Function errors are not retried: exactly one invocation.
		if r.Status != "FAILED" || r.Error != "DownstreamBoom" || r.LambdaInvocations != 1 || r.DynamoReads != 1 {
			t.Fatalf("got %s", r)
		}
		var cause struct{ ErrorType, ErrorMessage string }
		if err := json.Unmarshal([]byte(r.Cause), &cause); err != nil || cause.ErrorMessage != "card declined" || cause.ErrorType != "DownstreamBoom" {
			t.Errorf("cause is not the downstream's error: %q", r.Cause)
		}
		if last := r.States[len(r.States)-1]; last != StateRaiseDownstreamError {
			t.Errorf("ended in %s", last)
		}
	})

	t.Run("transient Lambda errors are retried", func(t *testing.T) {
		e.setItem(t, nil)
		r := e.run(t, "x", sfnlocal.Exec{InjectLambda: []sfnlocal.Fault{{Error: "Lambda.TooManyRequestsException"}, {Error: "Lambda.ServiceException"}}})
		if !r.Succeeded() || r.InjectedFaults != 2 || r.LambdaInvocations != 1 {
			t.Fatalf("got %s", r)
		}
		// More than MaxAttempts (3) retries: the throttle is the execution's error.
		throttles := make([]sfnlocal.Fault, 4)
		for i := range throttles {
			throttles[i] = sfnlocal.Fault{Error: "Lambda.TooManyRequestsException", Cause: "Rate exceeded"}
		}
		r = e.run(t, "x", sfnlocal.Exec{InjectLambda: throttles})
		if r.Status != "FAILED" || r.Error != "Lambda.TooManyRequestsException" || r.Cause != "Rate exceeded" || r.InjectedFaults != 4 || r.LambdaInvocations != 0 {
			t.Fatalf("got %s", r)
		}
	})

	t.Run("throttled read is retried, then decides", func(t *testing.T) {
		e.setItem(t, map[string]string{circuit.AttrState: string(circuit.Open), circuit.AttrOpenUntil: ts(time.Minute)})
		throttle := sfnlocal.Fault{Error: "DynamoDB.ProvisionedThroughputExceededException"}
		r := e.run(t, "x", sfnlocal.Exec{InjectDynamoDB: []sfnlocal.Fault{throttle, throttle}})
		if r.InjectedFaults != 2 {
			t.Fatalf("got %s", r)
		}
		rejected(t, e, r, StateRejectOpen)
	})

	t.Run("read failing after retries fails open", func(t *testing.T) {
		e.setItem(t, map[string]string{circuit.AttrState: string(circuit.Open), circuit.AttrOpenUntil: ts(time.Minute)})
		throttle := sfnlocal.Fault{Error: "DynamoDB.ProvisionedThroughputExceededException"}
		r := e.run(t, "x", sfnlocal.Exec{InjectDynamoDB: []sfnlocal.Fault{throttle, throttle, throttle}})
		if !r.Succeeded() || r.InjectedFaults != 3 || r.DynamoReads != 0 || r.LambdaInvocations != 1 {
			t.Fatalf("got %s", r)
		}
		if got := strings.Join(r.States, ","); got != "ReadCircuit,InvokeDownstream" {
			t.Errorf("states = %s", got)
		}
	})
}

func TestTableMissingFailsOpen(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.TableName = "no-such-table" })
	r := e.run(t, []any{"a"}, sfnlocal.Exec{})
	// ResourceNotFoundException cannot heal within a request: one read, no retry.
	if !r.Succeeded() || r.DynamoReads != 1 || r.LambdaInvocations != 1 || !sameJSON(r.Output, []byte(`{"echoed": ["a"]}`)) {
		t.Fatalf("got %s", r)
	}
	if got := strings.Join(r.States, ","); got != "ReadCircuit,InvokeDownstream" {
		t.Errorf("states = %s", got)
	}
}

func TestDownstreamTimeout(t *testing.T) {
	// TimeoutSeconds has a one-second grain, so this test waits about a second.
	e := newEnv(t, func(c *Config) { c.DownstreamTimeoutSeconds = 1 })
	r := e.run(t, map[string]any{"sleepMs": 3000}, sfnlocal.Exec{})
	// States.Timeout is not among the retried errors: one attempt.
	if r.Status != "FAILED" || r.Error != "States.Timeout" || r.LambdaInvocations != 1 {
		t.Fatalf("got %s", r)
	}
}

// The executed definition and circuit.Decide agree on every combination of the
// attributes Decide reads, including absent, unknown and malformed values.
func TestDefinitionAgreesWithDecide(t *testing.T) {
	e := newEnv(t, nil)
	absent := "\x00absent"
	states := []string{absent, string(circuit.Closed), string(circuit.Open), string(circuit.HalfOpen), "open"}
	overrides := []string{absent, string(circuit.ForcedOpen), string(circuit.ForcedClosed), "FORCED_SIDEWAYS"}
	healthchecks := []string{absent, string(circuit.AlarmStateOK), string(circuit.AlarmStateAlarm), string(circuit.AlarmStateInsufficientData)}
	openUntils := []string{absent, ts(-time.Hour), ts(-time.Millisecond), ts(0), ts(time.Millisecond), ts(time.Hour), "not a time"}

	check := func(t *testing.T, attrs map[string]string) {
		t.Helper()
		e.setItem(t, attrs)
		want := circuit.Decide(decodeForDecide(attrs), now, 1)
		if want.Invokes() {
			// This definition does not elect probes yet: it invokes whatever
			// Decide does not reject.
			want = circuit.Admit
		}
		r := e.run(t, "x", sfnlocal.Exec{})
		var got circuit.Verdict
		switch {
		case r.Succeeded() && r.LambdaInvocations == 1:
			got = circuit.Admit
		case r.Status == "FAILED" && r.Error == ErrorCircuitOpen && r.LambdaInvocations == 0:
			got = circuit.Reject
		default:
			t.Fatalf("item %v: neither admitted nor rejected: %s", attrs, r)
		}
		if got != want {
			t.Errorf("item %v: definition %s, circuit.Decide %s (states %v)", attrs, got, want, r.States)
		}
	}

	check(t, nil)
	n := 1
	for _, st := range states {
		for _, ov := range overrides {
			for _, hc := range healthchecks {
				for _, ou := range openUntils {
					attrs := map[string]string{}
					for k, v := range map[string]string{circuit.AttrState: st, circuit.AttrOverride: ov, circuit.AttrHealthcheckAlarm: hc, circuit.AttrOpenUntil: ou} {
						if v != absent {
							attrs[k] = v
						}
					}
					check(t, attrs)
					n++
				}
			}
		}
	}
	t.Logf("%d items compared", n)
}

// decodeForDecide reads the attributes circuit.Decide looks at, the way the
// contract defines them: absent is the zero value, a malformed time is none.
func decodeForDecide(attrs map[string]string) circuit.Circuit {
	c := circuit.Circuit{
		State:    circuit.State(attrs[circuit.AttrState]),
		Override: circuit.Override(attrs[circuit.AttrOverride]),
	}
	c.Healthcheck.State = circuit.AlarmState(attrs[circuit.AttrHealthcheckAlarm])
	if v, ok := attrs[circuit.AttrOpenUntil]; ok {
		if t, err := circuit.ParseTime(v); err == nil {
			c.OpenUntil = t
		}
	}
	return c
}

// BenchmarkRequestPath measures one execution end to end through the local
// stand-ins (Go -> executor -> dynalite -> RIE); it is the executor's cost, not
// Step Functions'. The runner's own time per execution is reported as exec-ms.
func BenchmarkRequestPath(b *testing.B) {
	for _, bc := range []struct {
		name  string
		attrs map[string]string
	}{
		{"admitted", nil},
		{"rejected", map[string]string{circuit.AttrState: string(circuit.Open), circuit.AttrOpenUntil: ts(time.Hour)}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			e := newEnv(b, nil)
			e.setItem(b, bc.attrs)
			var inside time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				r, err := e.machine.Execute(context.Background(), "x", sfnlocal.Exec{StartTime: now})
				if err != nil || r.Status == "" {
					b.Fatalf("%v %s", err, r)
				}
				inside += r.Duration
			}
			b.ReportMetric(float64(inside.Microseconds())/1000/float64(b.N), "exec-ms")
		})
	}
}
