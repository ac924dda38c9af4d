// Package localbreaker runs one circuit breaker end to end on this machine,
// with no AWS account: what `make demo` shows and `make bench` measures.
//
// What is real: the state machine definition, built exactly as the component
// deploys it (component.Resolve, component.StateMachineConfig,
// statemachine.Definition); our alarm-handler, controller and healthcheck
// runner Lambdas (the runner is the controller's zip with its own Handler
// setting; the simulated scheduler targets it), as their real bootstraps under the Lambda Runtime Interface Emulator; the circuit's
// item in DynamoDB (dynalite; moto, whose DynamoDB keeps a stream, when
// Options.Events publishes transition events). The definition runs in aws-local-stepfunctions
// (dev/sfnlocal).
//
// What is a stand-in: the downstream and the healthcheck are demo functions
// that fail during scripted outage windows (dev/testlambdas/flaky,
// healthcheck). CloudWatch alarms, SNS delivery and EventBridge Scheduler have
// no emulator here: dev/alarmsim SIMULATES them (per-period metric
// statistics, alarm evaluation, notifications as real SNS-wrapped CloudWatch
// JSON), optionally with compressed periods, which the demo and the benchmark
// say in their output.
package localbreaker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	awslambda "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit/circuitstore"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/component"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/component/statemachine"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/alarmsim"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/sfnlocal"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/testenv"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/testlambdas/outage"
	ahconfig "github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/alarmhandler/config"
	ctlconfig "github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/controller/config"
	hrconfig "github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/healthrunner/config"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/lambdaenv"
)

// The fake account and region every ARN here is in.
const (
	Account    = "123456789012"
	Region     = "us-east-1"
	regionName = "US East (N. Virginia)"
)

// Options describe the breaker and its scenario.
type Options struct {
	// Args are the breaker's inputs as a Pulumi program would give them. The
	// function references are filled in here (Resolve only checks that they
	// are set); ServiceName defaults to "demo".
	Args component.Args
	// Outages are the windows, from the scenario's start, during which the
	// demo downstream fails and the demo healthcheck reports it.
	Outages []outage.Window
	// BlindHealthcheck starts the demo healthcheck without the outages: it
	// keeps succeeding, as a healthcheck that does not see this kind of outage
	// would.
	BlindHealthcheck bool
	// Compression runs the alarm path that many times faster than configured:
	// a 60 s alarm period and a rate(1 minute) schedule last 60/Compression
	// seconds. Request-path times (open durations, probe budgets) are never
	// compressed: they are what the Lambdas and the definition compute. 0 or 1:
	// real time.
	Compression float64
	// DownstreamEnvs and ControllerEnvs are how many execution environments
	// (RIE processes) serve those functions, i.e. how many of their
	// invocations may run at once (default 4 and 2).
	DownstreamEnvs, ControllerEnvs int
	// Lead is how far from now the scenario starts, to leave time for the
	// emulators to start (default 2 s). Start returns at the scenario's start.
	Lead time.Duration
	// Log receives one line per step of the setup; nil discards them.
	Log io.Writer
	// Events publishes transition events (docs/events.md): the circuit table
	// then lives in moto, whose DynamoDB has the stream dynalite lacks, and
	// our event publisher puts each transition on moto's EventBridge, from
	// where the timeline reads it (EventPublished). Off: dynalite, no events.
	Events bool
}

// Breaker is one running breaker.
type Breaker struct {
	Settings   component.Settings
	Config     statemachine.Config
	Definition string
	// Schedule is the scenario: its start (the epoch every time here is
	// measured from) and its outages.
	Schedule    outage.Schedule
	Compression float64
	// The simulated alarms, and how often the simulated scheduler runs the
	// healthcheck.
	DownstreamAlarm, HealthcheckAlarm *alarmsim.Alarm
	HealthcheckEvery                  time.Duration
	// AlarmLag is how long after a period's end the simulation evaluates it.
	AlarmLag time.Duration
	// Topic is the simulated alarm topic.
	Topic alarmsim.Topic

	DownstreamArn, ControllerArn string
	// Store names the local DynamoDB holding the circuit table: "dynalite",
	// or "moto" when transition events need the table's stream.
	Store string
	// DynamoEndpoint is the local DynamoDB (Store) holding the circuit table
	// (Config.TableName), for tools pointed at it (the demo's circuitctl status).
	DynamoEndpoint string

	tb           testenv.T
	machine      *sfnlocal.Machine
	store        *circuitstore.Store
	alarmHandler *testenv.Lambda
	healthcheck  *testenv.Lambda
	// runner is the healthcheck runner (the controller's bootstrap with
	// Handler healthrunner, component/schedule.go): the simulated scheduler's
	// target, as the schedule's on AWS.
	runner      *testenv.Lambda
	controllers []*testenv.Lambda
	http        *http.Client
	deliverMu   sync.Mutex
	healthMu    sync.Mutex
	// Our Lambdas' DynamoDB calls, counted at the wire (sfnlocal counts the
	// state machine's own).
	ControllerDynamo, AlarmHandlerDynamo *DynamoCounter

	mu              sync.Mutex
	events          []Event
	logOffsets      map[*testenv.Lambda]int
	controllerCalls ControllerCalls
	controllerLog   LogVolume
}

// DynamoClient is a client of the breaker's dynalite, with the fake
// credentials every emulator client here uses.
func (b *Breaker) DynamoClient() *dynamodb.Client { return testenv.NewDynamoClient(b.DynamoEndpoint) }

// Names of the breaker's functions and alarms.
func functionArn(name string) string {
	return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", Region, Account, name)
}

var ratePattern = regexp.MustCompile(`^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$`)

// scheduleEvery is how often a rate(...) schedule fires. cron(...) schedules
// are not simulated.
func scheduleEvery(expr string) (time.Duration, error) {
	m := ratePattern.FindStringSubmatch(expr)
	if m == nil {
		return 0, fmt.Errorf("localbreaker: the simulated scheduler runs rate(...) schedules only, not %q", expr)
	}
	n, _ := strconv.Atoi(m[1])
	unit := map[string]time.Duration{"minute": time.Minute, "hour": time.Hour, "day": 24 * time.Hour}[trimPlural(m[2])]
	return time.Duration(n) * unit, nil
}

func trimPlural(s string) string {
	if len(s) > 0 && s[len(s)-1] == 's' {
		return s[:len(s)-1]
	}
	return s
}

// Start builds and starts everything, and returns at the scenario's start.
// Everything stops when tb's test (or Main's body) ends.
func Start(tb testenv.T, o Options) *Breaker {
	tb.Helper()
	logf := func(format string, args ...any) {
		if o.Log != nil {
			fmt.Fprintf(o.Log, format+"\n", args...)
		}
	}
	if o.Compression <= 0 {
		o.Compression = 1
	}
	if o.DownstreamEnvs <= 0 {
		o.DownstreamEnvs = 4
	}
	if o.ControllerEnvs <= 0 {
		o.ControllerEnvs = 2
	}
	if o.Lead <= 0 {
		o.Lead = 2 * time.Second
	}
	args := o.Args
	if args.ServiceName == "" {
		args.ServiceName = "demo"
	}
	// Placeholders: Resolve checks only that the functions are given; their
	// ARNs, which the component reads from these resources' outputs, are the
	// local ones below.
	args.DownstreamFunction = &awslambda.Function{}
	args.HealthcheckFunction = &awslambda.Function{}
	s, err := component.Resolve(args)
	if err != nil {
		tb.Fatalf("localbreaker: %v", err)
	}
	every, err := scheduleEvery(s.HealthcheckSchedule)
	if err != nil {
		tb.Fatalf("%v", err)
	}
	if s.SlowCalls != nil {
		// alarmsim has no percentiles: the slow-call alarm would be missing.
		tb.Fatalf("localbreaker: slowCallMonitoring is not simulated locally (dev/alarmsim evaluates no percentiles)")
	}
	b := &Breaker{
		Settings:         s,
		Compression:      o.Compression,
		HealthcheckEvery: scale(every, o.Compression),
		tb:               tb,
		http:             &http.Client{Timeout: 2 * time.Minute},
		logOffsets:       map[*testenv.Lambda]int{},
	}
	svc := s.ServiceName
	b.DownstreamArn = component.Qualified(functionArn(svc+"-downstream"), s.DownstreamQualifier)
	b.ControllerArn = functionArn(svc + "-breaker-controller")

	logf("building the Lambdas' bootstraps (our alarm handler and controller, the demo downstream and healthcheck)")
	bootstraps := map[string]string{}
	pkgs := []string{"./functions/alarmhandler", "./functions/controller", "./dev/testlambdas/flaky", "./dev/testlambdas/healthcheck"}
	if o.Events {
		pkgs = append(pkgs, "./functions/eventpublisher")
	}
	for _, pkg := range pkgs {
		bootstraps[pkg] = testenv.BuildBootstrap(tb, pkg)
	}

	var endpoint, table, streamArn string
	if o.Events {
		logf("starting moto (DynamoDB with streams, EventBridge, SQS) on 127.0.0.1 and creating the circuit table with its stream")
		endpoint, b.Store = testenv.Moto(tb), "moto"
		table, streamArn = testenv.CreateStreamTable(tb, testenv.DynamoClient(tb, endpoint))
	} else {
		logf("starting dynalite (DynamoDB) on 127.0.0.1 and creating the circuit table")
		endpoint, b.Store = testenv.Dynalite(tb), "dynalite"
		table = testenv.CreateCircuitTable(tb, testenv.DynamoClient(tb, endpoint))
	}
	b.DynamoEndpoint = endpoint
	db := testenv.DynamoClient(tb, endpoint)
	b.store = circuitstore.New(db, table)
	b.ControllerDynamo = countDynamo(tb, endpoint)
	b.AlarmHandlerDynamo = countDynamo(tb, endpoint)

	b.Config = component.StateMachineConfig(s, table, b.DownstreamArn, b.ControllerArn, "")
	b.Definition, err = statemachine.Definition(b.Config)
	if err != nil {
		tb.Fatalf("localbreaker: the definition: %v", err)
	}

	// Our Lambdas' environment, as the component sets it (component/golambda.go,
	// requestpath.go, alarmhandler.go).
	openPolicy := map[string]string{
		"TABLE_NAME":                table,
		"SERVICE_NAME":              svc,
		"OPEN_DURATION_SECONDS":     strconv.Itoa(s.OpenDurationSeconds),
		"MAX_OPEN_DURATION_SECONDS": strconv.Itoa(s.MaxOpenDurationSeconds),
		"OPEN_BACKOFF_MULTIPLIER":   strconv.FormatFloat(s.OpenBackoffMultiplier, 'f', -1, 64),
	}
	downAlarmName := svc + "-breaker-downstream-errors"
	healthAlarmName := svc + "-breaker-healthcheck-errors"
	// The window in the simulation's compressed time.
	window := strconv.Itoa(int(math.Ceil(float64(component.HealthcheckAlarmWindowSeconds(s.HealthcheckMonitoring)) / o.Compression)))
	handlerEnv := with(openPolicy, map[string]string{
		"DOWNSTREAM_ALARM_NAME":            downAlarmName,
		"HEALTHCHECK_ALARM_NAME":           healthAlarmName,
		"HEALTHCHECK_ALARM_WINDOW_SECONDS": window,
		// The topic the simulated alarms notify (b.Topic): the handler
		// applies only its notifications.
		"ALARM_TOPIC_ARN":           topicArn(svc),
		"PROBE_TIMEOUT_SECONDS":     strconv.Itoa(component.ProbeBudgetSeconds(s)),
		"AWS_ENDPOINT_URL_DYNAMODB": b.AlarmHandlerDynamo.URL,
		lambdaenv.Handler:           ahconfig.Handler,
	})
	controllerEnv := with(openPolicy, map[string]string{
		"HALF_OPEN_MAX_CALLS":       strconv.Itoa(s.HalfOpenMaxCalls),
		"PROBE_TIMEOUT_SECONDS":     strconv.Itoa(component.ProbeBudgetSeconds(s)),
		"AWS_ENDPOINT_URL_DYNAMODB": b.ControllerDynamo.URL,
		lambdaenv.Handler:           ctlconfig.Handler,
	})

	logf("starting the Lambdas under the RIE: alarm handler, %d controller and %d downstream environments, healthcheck", o.ControllerEnvs, o.DownstreamEnvs)
	b.alarmHandler = testenv.StartRIE(tb, bootstraps["./functions/alarmhandler"], handlerEnv)
	lambdas := map[string][]string{}
	for range o.ControllerEnvs {
		l := testenv.StartRIE(tb, bootstraps["./functions/controller"], controllerEnv)
		b.controllers = append(b.controllers, l)
		lambdas[b.ControllerArn] = append(lambdas[b.ControllerArn], l.InvokeURL)
	}
	// The scenario's clock starts once everything is up; the demo functions
	// read it from their environment, so they start last.
	b.Schedule = outage.Schedule{Epoch: time.Now().Add(o.Lead).Truncate(time.Millisecond), Windows: o.Outages}
	for range o.DownstreamEnvs {
		l := testenv.StartRIE(tb, bootstraps["./dev/testlambdas/flaky"], b.Schedule.Env())
		lambdas[b.DownstreamArn] = append(lambdas[b.DownstreamArn], l.InvokeURL)
	}
	healthSchedule := b.Schedule
	if o.BlindHealthcheck {
		healthSchedule.Windows = nil
	}
	b.healthcheck = testenv.StartRIE(tb, bootstraps["./dev/testlambdas/healthcheck"], healthSchedule.Env())
	front, err := url.Parse(b.healthcheck.InvokeURL)
	if err != nil {
		tb.Fatalf("localbreaker: %v", err)
	}
	b.runner = testenv.StartRIE(tb, bootstraps["./functions/controller"], with(controllerEnv, map[string]string{
		"HEALTHCHECK_FUNCTION_ARN":         component.Qualified(functionArn(svc+"-healthcheck"), s.HealthcheckQualifier),
		"HEALTHCHECK_UNHEALTHY_THRESHOLD":  strconv.Itoa(s.HealthcheckUnhealthyThreshold),
		"HEALTHCHECK_ALARM_WINDOW_SECONDS": window,
		// Its table calls are not the request path's: not counted with the
		// controller's.
		"AWS_ENDPOINT_URL_DYNAMODB": endpoint,
		"AWS_ENDPOINT_URL_LAMBDA":   front.Scheme + "://" + front.Host,
		// The controller's zip, run as the runner (functions/controller/main.go).
		lambdaenv.Handler: hrconfig.Handler,
	}))

	logf("loading the definition (%d bytes, built by component.Resolve + StateMachineConfig + statemachine.Definition) into aws-local-stepfunctions", len(b.Definition))
	// Retry waits as on AWS: a retried transient error delays the caller.
	b.machine = sfnlocal.Start(tb, b.Definition, sfnlocal.Options{DynamoEndpoint: endpoint, Lambdas: lambdas, KeepRetryIntervals: true})

	b.DownstreamAlarm = b.newAlarm(downAlarmName, svc+"-downstream", s.DownstreamMonitoring,
		"Circuit breaker "+svc+": errors of the downstream function. ALARM opens the circuit; it closes again through half-open probes.")
	b.HealthcheckAlarm = b.newAlarm(healthAlarmName, svc+"-healthcheck", s.HealthcheckMonitoring,
		"Circuit breaker "+svc+": errors of the healthcheck function. ALARM holds the circuit open; OK closes it.")

	if wait := time.Until(b.Schedule.Epoch); wait > 0 {
		time.Sleep(wait)
	} else {
		logf("warning: the setup took %v longer than the %v lead; the scenario started without the first part of its healthy lead-in", -wait, o.Lead)
	}
	b.AlarmLag = min(250*time.Millisecond, b.HealthcheckEvery/8)
	b.Topic = alarmsim.Topic{Arn: topicArn(svc), Account: Account, Region: Region, RegionName: regionName}
	ctx, cancel := context.WithCancel(context.Background())
	loop := &alarmsim.Loop{
		Alarms: []alarmsim.Watched{
			{Alarm: b.DownstreamAlarm, Actions: actions(s.DownstreamMonitoring)},
			{Alarm: b.HealthcheckAlarm, Actions: actions(s.HealthcheckMonitoring)},
		},
		Topic:   b.Topic,
		Deliver: b.Deliver,
		Observe: b.observeAlarm,
		Target:  b.runHealthcheck,
		Origin:  b.Schedule.Epoch,
		Every:   b.HealthcheckEvery,
		// Mid-interval, so that each check lands unambiguously in one period.
		Offset: b.HealthcheckEvery / 2,
		Lag:    b.AlarmLag,
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		loop.Run(ctx)
	}()
	published := (<-chan struct{})(closed)
	if o.Events {
		logf("starting the event publisher (real bootstrap, RIE) on the table's stream, polled as Lambda's event source mapping would")
		published = b.publishEvents(ctx, endpoint, streamArn, table, bootstraps["./functions/eventpublisher"])
	}
	tb.Cleanup(func() {
		cancel()
		<-done
		<-published
	})
	return b
}

// closed is a channel that is already closed.
var closed = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

func with(base, extra map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

func scale(d time.Duration, compression float64) time.Duration {
	return time.Duration(float64(d) / compression)
}

// actions: the component's alarms notify on every state (component/alarms.go);
// ActionsEnabled false notifies on none.
func actions(m component.Monitoring) alarmsim.Actions {
	if !m.ActionsEnabled {
		return alarmsim.Actions{}
	}
	return alarmsim.AllActions
}

func (b *Breaker) newAlarm(name, function string, m component.Monitoring, description string) *alarmsim.Alarm {
	if m.Mode != component.MonitoringCount {
		// alarmsim evaluates one metric's statistic, not metric math: running
		// a rate alarm as a count alarm would show a breaker that is not the
		// one configured.
		b.tb.Fatalf("alarm %s: mode %q is not simulated locally (dev/alarmsim evaluates count alarms only)", name, m.Mode)
	}
	dims := map[string]string{"FunctionName": function}
	a, err := alarmsim.New(name, description, alarmsim.Rule{
		Namespace:               "AWS/Lambda",
		MetricName:              m.MetricName,
		Dimensions:              dims,
		Statistic:               m.Statistic,
		ComparisonOperator:      m.ComparisonOperator,
		Threshold:               m.Threshold,
		EvaluationPeriods:       m.EvaluationPeriods,
		DatapointsToAlarm:       m.DatapointsToAlarm,
		TreatMissingData:        m.TreatMissingData,
		Period:                  scale(time.Duration(m.Period)*time.Second, b.Compression),
		ConfiguredPeriodSeconds: m.Period,
	}, b.Schedule.Epoch)
	if err != nil {
		b.tb.Fatalf("%v", err)
	}
	return a
}

// Since is t measured from the scenario's start.
func (b *Breaker) Since(t time.Time) time.Duration { return t.Sub(b.Schedule.Epoch) }

// Call is one execution of the state machine.
type Call struct {
	Start   time.Time // its $$.Execution.StartTime
	Latency time.Duration
	Result  sfnlocal.Result
	Path    Path
}

// Rejected reports whether the call failed fast (CircuitOpen).
func (c Call) Rejected() bool { return c.Result.Error == statemachine.ErrorCircuitOpen }

// DownstreamCalls is how many times the call invoked the downstream.
func (c Call) downstreamCalls(arn string) int { return c.Result.LambdaInvocationsByFunction[arn] }

// Call runs one execution with input, as a caller's StartSyncExecution would,
// and feeds its downstream invocations to the simulated downstream alarm (as
// Lambda's Errors metric: one sample per invocation, 1 when it failed).
func (b *Breaker) Call(ctx context.Context, input any) (Call, error) {
	start := time.Now().Truncate(time.Millisecond)
	r, err := b.machine.Execute(ctx, input, sfnlocal.Exec{StartTime: start})
	if err != nil {
		return Call{}, err
	}
	c := Call{Start: start, Latency: time.Since(start), Result: r, Path: Classify(r.States)}
	if n := c.downstreamCalls(b.DownstreamArn); n > 0 {
		// Every invocation but the last can only have failed with a retried
		// transient (service) error, which Lambda does not count as an Error;
		// the last failed if the execution failed with the downstream's error.
		failed := !r.Succeeded() && !c.Rejected()
		for i := 0; i < n; i++ {
			v := 0.0
			if i == n-1 && failed {
				v = 1
			}
			b.DownstreamAlarm.Put(start, v)
		}
	}
	if c.Path == PathProbeClosed {
		// The close's version is not in the result; it follows every write
		// of its instant (the election that admitted this probe).
		b.record(Event{At: start, Kind: EventTransition, By: "state machine", From: string(circuit.HalfOpen), To: string(circuit.Closed),
			Reason: b.closeReason(), Version: math.MaxInt64})
	}
	return c, nil
}

// closeReason is what CloseCircuit records (statemachine's probePath).
func (b *Breaker) closeReason() string {
	if b.Settings.SuccessThreshold > 1 {
		return fmt.Sprintf("%d probes succeeded", b.Settings.SuccessThreshold)
	}
	return "probe succeeded"
}

// Circuit reads the circuit's item (strongly consistent).
func (b *Breaker) Circuit(ctx context.Context) (circuit.Circuit, error) {
	return b.store.Get(ctx, b.Settings.ServiceName)
}

// ItemSize is the circuit item's size as DynamoDB bills it (attribute names
// plus values; numbers approximated by their digits), which decides how many
// request units a read (4 KB) or a write (1 KB) consumes.
func (b *Breaker) ItemSize(ctx context.Context) (int, error) {
	out, err := b.store.Client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(b.store.Table),
		Key:            map[string]types.AttributeValue{circuit.KeyAttribute: &types.AttributeValueMemberS{Value: b.Settings.ServiceName}},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return 0, err
	}
	size := 0
	for name, v := range out.Item {
		size += len(name)
		switch v := v.(type) {
		case *types.AttributeValueMemberS:
			size += len(v.Value)
		case *types.AttributeValueMemberN:
			size += (len(v.Value)+1)/2 + 1
		default:
			size += 8
		}
	}
	return size, nil
}

// invoke POSTs payload to a Lambda under the RIE, which answers a function
// error with HTTP 200 and {"errorType": ...}.
func (b *Breaker) invoke(ctx context.Context, l *testenv.Lambda, payload []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.InvokeURL, bytes.NewReader(payload))
	if err != nil {
		return nil, err
	}
	resp, err := b.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return body, fmt.Errorf("RIE answered HTTP %d: %s", resp.StatusCode, body)
	}
	var fnErr struct {
		ErrorType    string `json:"errorType"`
		ErrorMessage string `json:"errorMessage"`
	}
	if json.Unmarshal(body, &fnErr) == nil && fnErr.ErrorType != "" {
		return body, fmt.Errorf("%s: %s", fnErr.ErrorType, fnErr.ErrorMessage)
	}
	return body, nil
}

// Deliver is SNS invoking the alarm handler with one notification. The
// handler's RIE takes one invocation at a time, like one execution environment.
func (b *Breaker) Deliver(ctx context.Context, ev events.SNSEvent) error {
	payload, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	b.deliverMu.Lock()
	defer b.deliverMu.Unlock()
	_, err = b.invoke(ctx, b.alarmHandler, payload)
	return err
}

// runHealthcheck is the simulated scheduler's target: it invokes the
// healthcheck runner with the schedule's payload (hrconfig.RunInput,
// the run's time in place of <aws.scheduler.scheduled-time>), which invokes the
// healthcheck and applies its verdict to the circuit, and feeds the
// healthcheck's outcome to the healthcheck alarm (Lambda's Errors metric of
// that invocation).
func (b *Breaker) runHealthcheck(ctx context.Context, at time.Time) {
	b.healthMu.Lock()
	defer b.healthMu.Unlock()
	payload := strings.ReplaceAll(hrconfig.RunInput(b.Settings.HealthcheckInput),
		"<aws.scheduler.scheduled-time>", at.UTC().Format(time.RFC3339Nano))
	body, err := b.invoke(ctx, b.runner, []byte(payload))
	if ctx.Err() != nil {
		return
	}
	if err == nil {
		var resp struct {
			Verdict string `json:"verdict"`
		}
		if jerr := json.Unmarshal(body, &resp); jerr != nil || resp.Verdict == "" {
			err = fmt.Errorf("the healthcheck runner answered no verdict: %s", body)
		} else if resp.Verdict != "HEALTHY" {
			err = errors.New("the healthcheck failed (verdict " + resp.Verdict + ")")
		}
	}
	v := 0.0
	if err != nil {
		v = 1
	}
	now := time.Now()
	b.HealthcheckAlarm.Put(now, v)
	e := Event{At: now, Kind: EventHealthcheck, OK: err == nil}
	if err != nil {
		e.Reason = err.Error()
	}
	b.record(e)
}

func (b *Breaker) observeAlarm(a *alarmsim.Alarm, c alarmsim.Change, published bool, err error) {
	e := Event{At: c.At, Kind: EventAlarm, Alarm: a.Name, From: c.Old, To: c.New, Reason: c.Reason, Published: published}
	switch a {
	case b.DownstreamAlarm:
		e.Source = string(circuit.SourceDownstream)
	case b.HealthcheckAlarm:
		e.Source = string(circuit.SourceHealthcheck)
	}
	if err != nil {
		e.Err = err.Error()
	}
	b.record(e)
}

func (b *Breaker) record(e Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.events = append(b.events, e)
}

// topicArn is the simulated alarm topic of service svc.
func topicArn(svc string) string {
	return fmt.Sprintf("arn:aws:sns:%s:%s:%s-breaker-alarms", Region, Account, svc)
}
