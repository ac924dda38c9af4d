package statemachine

import (
	"cmp"
	"context"
	"encoding/json"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit/circuitstore"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/sfnlocal"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/testenv"
	ctlconfig "github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/controller/config"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/controller/handler"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/lambdaenv"
)

// These tests execute the real definition (aws-local-stepfunctions) against
// dynalite, with the controller Lambda and the downstream test Lambda running as
// real bootstraps under the RIE. Time is each execution's
// $$.Execution.StartTime, which elections also take as their "now", so
// scenarios move the clock by starting executions later: nothing waits. Trips
// and reopenings take the failing state's $$.State.EnteredTime, which the
// executor runs on from the start in real time (milliseconds here) unless a
// test pins it (failingAt).

// One dynalite for the package, started by the first test that needs one, so
// that the pure unit tests run without emulators.
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

const (
	downstreamArn = "arn:aws:lambda:us-east-1:123456789012:function:downstream"
	controllerArn = "arn:aws:lambda:us-east-1:123456789012:function:controller"
	fallbackArn   = "arn:aws:lambda:us-east-1:123456789012:function:fallback"
)

// The controller's settings in every env: open for 60 s, doubling up to 600 s;
// half-open periods of 30 s.
const (
	openFor     = 60 * time.Second
	maxOpenFor  = 600 * time.Second
	halfOpenFor = 30 * time.Second
)

// now is the default $$.Execution.StartTime.
var now = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

func ts(d time.Duration) string { return circuit.FormatTime(now.Add(d)) }

type env struct {
	cfg           Config
	db            *dynamodb.Client
	store         *circuitstore.Store
	machine       *sfnlocal.Machine
	controllerURL string
	downstreams   []*testenv.Lambda
}

type envOptions struct {
	mutate func(*Config)
	// Execution environments (RIEs) per function, for concurrent invocations;
	// 0 means 1.
	downstreams, controllers int
	// noController maps no Lambda to ControllerArn: its calls fail with
	// Lambda.ResourceNotFoundException.
	noController bool
	// openFor is the controller's OPEN_DURATION_SECONDS; 0 means openFor.
	openFor time.Duration
	// dynamo is the DynamoDB endpoint; "" means the package's dynalite.
	// createTable makes the circuit table there; nil means
	// testenv.CreateCircuitTable.
	dynamo      string
	createTable func(testing.TB, *dynamodb.Client) string
}

// newEnv runs the definition for validConfig (with the test ARNs and a fresh
// table), mutated, with fresh RIEs for the downstream and the controller.
func newEnv(t testing.TB, mutate func(*Config)) *env {
	t.Helper()
	return newEnvWith(t, envOptions{mutate: mutate})
}

func newEnvWith(t testing.TB, o envOptions) *env {
	t.Helper()
	endpoint := o.dynamo
	if endpoint == "" {
		endpoint = dynaliteEndpoint(t)
	}
	db := testenv.DynamoClient(t, endpoint)
	cfg := validConfig()
	cfg.DownstreamArn = downstreamArn
	cfg.ControllerArn = controllerArn
	cfg.DownstreamTimeoutSeconds = 30
	if o.createTable != nil {
		cfg.TableName = o.createTable(t, db)
	} else {
		cfg.TableName = testenv.CreateCircuitTable(t, db)
	}
	if o.mutate != nil {
		o.mutate(&cfg)
	}
	def, err := Definition(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{cfg: cfg, db: db, store: circuitstore.New(db, cfg.TableName)}
	lambdas := map[string][]string{}

	downstream := testenv.BuildBootstrap(t, "./dev/testlambdas/downstream")
	for range max(o.downstreams, 1) {
		l := testenv.StartRIE(t, downstream, nil)
		e.downstreams = append(e.downstreams, l)
		lambdas[downstreamArn] = append(lambdas[downstreamArn], l.InvokeURL)
	}
	if cfg.FallbackArn != "" {
		lambdas[cfg.FallbackArn] = []string{testenv.RIE(t, downstream, map[string]string{"ECHO_KEY": "fallback"})}
	}
	if !o.noController {
		controller := testenv.BuildBootstrap(t, "./functions/controller")
		vars := map[string]string{
			handler.EnvTableName:           cfg.TableName,
			handler.EnvServiceName:         cfg.ServiceName,
			handler.EnvOpenDurationSeconds: strconv.Itoa(int(cmp.Or(o.openFor, openFor).Seconds())),
			handler.EnvMaxOpenDuration:     strconv.Itoa(int(maxOpenFor.Seconds())),
			handler.EnvBackoffMultiplier:   "2",
			handler.EnvHalfOpenMaxCalls:    strconv.Itoa(cfg.HalfOpenMaxCalls),
			handler.EnvProbeTimeoutSeconds: strconv.Itoa(int(halfOpenFor.Seconds())),
			"AWS_ENDPOINT_URL_DYNAMODB":    endpoint,
			lambdaenv.Handler:              ctlconfig.Handler, // the role the zip's bootstrap runs
		}
		for range max(o.controllers, 1) {
			url := testenv.RIE(t, controller, vars)
			lambdas[controllerArn] = append(lambdas[controllerArn], url)
			e.controllerURL = url
		}
	}
	started := time.Now()
	e.machine = sfnlocal.Start(t, def, sfnlocal.Options{DynamoEndpoint: endpoint, Lambdas: lambdas})
	t.Logf("executor ready in %v, of which building the definition %v", time.Since(started), e.machine.BuildTime)
	return e
}

// setItem replaces the circuit's item with these attributes (each of the type
// the item declares for it, circuit.KindOf; S for others; version 7 unless
// given); nil deletes it.
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
	item := map[string]types.AttributeValue{
		circuit.KeyAttribute: key[circuit.KeyAttribute],
		circuit.AttrVersion:  &types.AttributeValueMemberN{Value: "7"},
	}
	for k, v := range itemOf(attrs) {
		if v.Kind == circuit.KindN {
			item[k] = &types.AttributeValueMemberN{Value: v.Text}
		} else {
			item[k] = &types.AttributeValueMemberS{Value: v.Text}
		}
	}
	if _, err := e.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(e.cfg.TableName), Item: item}); err != nil {
		t.Fatal(err)
	}
}

// circuit reads the item back through the store's codec (strongly consistent).
func (e *env) circuit(t testing.TB) circuit.Circuit {
	t.Helper()
	c, err := e.store.Get(context.Background(), e.cfg.ServiceName)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// rawItem is the item as stored, for attributes the codec normalises away.
func (e *env) rawItem(t testing.TB) map[string]types.AttributeValue {
	return testenv.CircuitItem(t, e.db, e.cfg.TableName, e.cfg.ServiceName)
}

func (e *env) run(t *testing.T, input any, ex sfnlocal.Exec) sfnlocal.Result {
	t.Helper()
	if ex.StartTime.IsZero() {
		ex.StartTime = now
	}
	return e.machine.Run(t, input, ex)
}

// at runs input with the execution started d after now.
func (e *env) at(t *testing.T, d time.Duration, input any) sfnlocal.Result {
	t.Helper()
	return e.run(t, input, sfnlocal.Exec{StartTime: now.Add(d)})
}

// control applies an operator's command as circuitctl does (open, close,
// release: circuit.SetOverride through the store's conditional write): the
// controller takes no override. payload is {"action": "forceOpen" |
// "forceClosed" | "release", "reason": ..., "key": ...}.
func (e *env) control(t *testing.T, payload string) circuit.Circuit {
	t.Helper()
	var cmd struct{ Action, Reason, Key string }
	if err := json.Unmarshal([]byte(payload), &cmd); err != nil {
		t.Fatal(err)
	}
	o, ok := map[string]circuit.Override{"forceOpen": circuit.ForcedOpen, "forceClosed": circuit.ForcedClosed, "release": circuit.NoOverride}[cmd.Action]
	if !ok {
		t.Fatalf("control %s: not an operator's command", payload)
	}
	c, err := e.store.Update(context.Background(), circuit.ItemKey(e.cfg.ServiceName, cmd.Key), func(c circuit.Circuit) (circuit.Circuit, bool, error) {
		return c.SetOverride(o, time.Now().UTC(), cmd.Reason)
	})
	if err != nil {
		t.Fatalf("control %s: %v", payload, err)
	}
	return c
}

func sameJSON(a, b []byte) bool {
	var x, y any
	return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && reflect.DeepEqual(x, y)
}

func statesOf(r sfnlocal.Result) string { return strings.Join(r.States, ",") }

// budget asserts the calls an execution made: downstream (or fallback) and
// controller invocations, DynamoDB reads and writes (conditional writes that
// failed included: they are billed too).
func budget(t *testing.T, r sfnlocal.Result, downstream, controller, reads, writes int) {
	t.Helper()
	d := r.LambdaInvocationsByFunction[downstreamArn] + r.LambdaInvocationsByFunction[fallbackArn]
	c := r.LambdaInvocationsByFunction[controllerArn]
	if d != downstream || c != controller || r.DynamoReads != reads || r.DynamoWrites != writes {
		t.Fatalf("budget: want downstream %d, controller %d, reads %d, writes %d; got %d, %d, %d, %d: %s",
			downstream, controller, reads, writes, d, c, r.DynamoReads, r.DynamoWrites, r)
	}
}

// succeeded asserts the execution's output is exactly want.
func succeeded(t *testing.T, r sfnlocal.Result, want string) {
	t.Helper()
	if !r.Succeeded() || !sameJSON(r.Output, []byte(want)) {
		t.Fatalf("want SUCCEEDED with %s, got %s", want, r)
	}
}

// admitted: the healthy path. The downstream ran once and its result is the
// output; one read, no write, no controller.
func admitted(t *testing.T, r sfnlocal.Result, wantOutput string) {
	t.Helper()
	succeeded(t, r, wantOutput)
	budget(t, r, 1, 0, 1, 0)
}

// rejected: FAILED CircuitOpen by the given state, nothing invoked, one read.
// checkCause parses the fast-fail cause of r, rejected by the Fail state by:
// its reason is by's, it names the service, carries the caller's key when the
// breaker is keyed, and a time (retryAt) exactly when by's row knows one.
func checkCause(t *testing.T, cfg Config, r sfnlocal.Result, by string) circuit.Cause {
	t.Helper()
	c, err := circuit.ParseCause(r.Cause)
	if err != nil {
		t.Fatalf("cause %q: %v", r.Cause, err)
	}
	f, ok := circuit.FastFailOf(by)
	if !ok {
		t.Fatalf("%s is not a rejection", by)
	}
	if c.Reason != f.Reason || c.ServiceName != cfg.ServiceName {
		t.Errorf("cause %q: want reason %s and serviceName %q", r.Cause, f.Reason, cfg.ServiceName)
	}
	if (c.CircuitKey != nil) != (cfg.CircuitKey != "") {
		t.Errorf("cause %q: circuitKey present %v, keyed %v", r.Cause, c.CircuitKey != nil, cfg.CircuitKey != "")
	}
	if _, ok := c.RetryTime(); ok != (f.RetryAt != "") || (c.RetryAt != "") != (f.RetryAt != "") {
		t.Errorf("cause %q: retryAt %q, want one: %v", r.Cause, c.RetryAt, f.RetryAt != "")
	}
	return c
}

func rejected(t *testing.T, e *env, r sfnlocal.Result, by string) {
	t.Helper()
	if r.Status != "FAILED" || r.Error != ErrorCircuitOpen {
		t.Fatalf("want rejected with %s, got %s", ErrorCircuitOpen, r)
	}
	checkCause(t, e.cfg, r, by)
	if last := r.States[len(r.States)-1]; last != by {
		t.Errorf("rejected by %s, want %s (states %s)", last, by, statesOf(r))
	}
	if r.LambdaInvocationsByFunction[downstreamArn] != 0 {
		t.Errorf("the downstream was invoked: %s", r)
	}
}

// failedWith asserts the execution failed with the downstream's own error name
// and cause, as the function reported them.
func failedWith(t *testing.T, r sfnlocal.Result, errorType, message string) {
	t.Helper()
	if r.Status != "FAILED" || r.Error != errorType {
		t.Fatalf("want FAILED with %s, got %s", errorType, r)
	}
	var cause struct{ ErrorType, ErrorMessage string }
	if err := json.Unmarshal([]byte(r.Cause), &cause); err != nil || cause.ErrorType != errorType || cause.ErrorMessage != message {
		t.Errorf("cause is not the function's error: %q", r.Cause)
	}
	if last := r.States[len(r.States)-1]; last != StateRaiseDownstreamError {
		t.Errorf("ended in %s", last)
	}
}

// openedFromTheFailure asserts that c was opened for d counted from its
// transition, whose time is the failure's: not before the failing state could
// be entered (notBefore), and within a few seconds of it (the executor's real
// time runs on from the execution's fixed start).
func openedFromTheFailure(t *testing.T, c circuit.Circuit, d time.Duration, notBefore time.Time) {
	t.Helper()
	at := c.LastTransition.At
	if c.State != circuit.Open || !c.OpenUntil.Equal(at.Add(d)) {
		t.Fatalf("want OPEN until the transition's time + %s: %+v", d, c)
	}
	if at.Before(notBefore) || at.After(notBefore.Add(5*time.Second)) {
		t.Fatalf("opened at %s, want the failure's time, just after %s", circuit.FormatTime(at), circuit.FormatTime(notBefore))
	}
}

// failingAt pins $$.State.EnteredTime: a fixed clock for the states reporting
// a failure, as if the downstream had failed at that moment.
func failingAt(at time.Time) map[string]any {
	return map[string]any{"State": map[string]any{"EnteredTime": circuit.FormatTime(at)}}
}

func boom(message string) map[string]any {
	return map[string]any{"fail": "DownstreamBoom", "message": message}
}

func assertClosedByProbes(t *testing.T, e *env, reason string) {
	t.Helper()
	c := e.circuit(t)
	if c.State != circuit.Closed || c.Failures != 0 || c.Openings != 0 || c.Probes != 0 || c.Successes != 0 {
		t.Fatalf("not closed with counters reset: %+v", c)
	}
	if c.LastTransition.From != circuit.HalfOpen || c.LastTransition.To != circuit.Closed || c.LastTransition.Reason != reason || c.LastTransition.At.IsZero() {
		t.Errorf("transition %+v", c.LastTransition)
	}
	item := e.rawItem(t)
	for _, gone := range []string{circuit.AttrOpenUntil, circuit.AttrHalfOpenUntil} {
		if _, ok := item[gone]; ok {
			t.Errorf("%s left on a closed circuit", gone)
		}
	}
}

func runConcurrently(t *testing.T, e *env, n int, input any) []sfnlocal.Result {
	t.Helper()
	results := make([]sfnlocal.Result, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = e.machine.Execute(context.Background(), input, sfnlocal.Exec{StartTime: now})
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return results
}

// itemOf is a test item: each attribute of the type the item declares for it
// (circuit.KindOf), S for others.
func itemOf(attrs map[string]string) circuit.Item {
	it := circuit.Item{}
	for k, v := range attrs {
		if kind, _ := circuit.KindOf(k); kind == circuit.KindN {
			it[k] = circuit.Value{Kind: circuit.KindN, Text: v}
		} else {
			it[k] = circuit.S(v)
		}
	}
	return it
}

// removeVersion makes the item one without a version (written by hand, or by
// a tool that does not version).
func (e *env) removeVersion(t testing.TB) {
	t.Helper()
	_, err := e.db.UpdateItem(context.Background(), &dynamodb.UpdateItemInput{
		TableName:                aws.String(e.cfg.TableName),
		Key:                      map[string]types.AttributeValue{circuit.KeyAttribute: &types.AttributeValueMemberS{Value: e.cfg.ServiceName}},
		UpdateExpression:         aws.String("REMOVE #v"),
		ExpressionAttributeNames: map[string]string{"#v": circuit.AttrVersion},
	})
	if err != nil {
		t.Fatal(err)
	}
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
