//go:build emulators

package statemachine

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/sfnlocal"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/testenv"
	ahconfig "github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/alarmhandler/config"
	alarmhandler "github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/alarmhandler/handler"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/lambdaenv"
)

// The alarm names of the notifications in functions/alarmhandler/handler/testdata
// (CloudWatch's JSON, with the SNS envelope, as the handler receives it).
const (
	fixtureDownstreamAlarm  = "payments-breaker-downstream-errors-5b1e0c7"
	fixtureHealthcheckAlarm = "payments-breaker-healthcheck-errors-9d4a6f2"
	fixtureSlowCallAlarm    = "payments-breaker-alarms-3f9c2a1-downstream-slow-calls"
	// The topic the fixtures came through: the handler applies only its
	// notifications.
	fixtureTopicArn = "arn:aws:sns:us-east-1:123456789012:payments-breaker-alarms-3f9c2a1"
)

// notify delivers a recorded notification to the real alarm-handler
// bootstrap, running under the RIE on e's table, as SNS would invoke it.
func notify(t *testing.T, handlerURL, fixture string) {
	t.Helper()
	body, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "functions", "alarmhandler", "handler", "testdata", fixture))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(handlerURL, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || bytes.Contains(out, []byte("errorType")) {
		t.Fatalf("alarm handler on %s: %d %s", fixture, resp.StatusCode, out)
	}
}

// Issue 10, "what it must show": a slow-call alarm and a rate alarm move the
// circuit, in executions of the real definition. The alarm path is simulated
// as the other tests do: the real alarm-handler bootstrap applies the
// notifications CloudWatch would send (a metric-math alarm's, with
// Trigger.Metrics, for the rate alarm; a percentile alarm's, with
// ExtendedStatistic, for the slow-call alarm) to the table the definition
// reads. Each opening rejects with 0 invocations; recovery goes through a
// probe once the open duration has passed, as for the error alarm.
func TestSlowCallAndRateAlarmsMoveTheCircuit(t *testing.T) {
	e := newEnv(t, nil)
	bootstrap := testenv.BuildBootstrap(t, "./functions/alarmhandler")
	handlerURL := testenv.RIE(t, bootstrap, map[string]string{
		alarmhandler.EnvTableName:            e.cfg.TableName,
		alarmhandler.EnvServiceName:          e.cfg.ServiceName,
		alarmhandler.EnvDownstreamAlarmName:  fixtureDownstreamAlarm,
		alarmhandler.EnvHealthcheckAlarmName: fixtureHealthcheckAlarm,
		alarmhandler.EnvSlowCallAlarmName:    fixtureSlowCallAlarm,
		alarmhandler.EnvOpenDurationSeconds:  strconv.Itoa(int(openFor.Seconds())),
		alarmhandler.EnvMaxOpenDuration:      strconv.Itoa(int(maxOpenFor.Seconds())),
		alarmhandler.EnvBackoffMultiplier:    "2",
		alarmhandler.EnvAlarmTopicArn:        fixtureTopicArn,
		"AWS_ENDPOINT_URL_DYNAMODB":          dynaliteEndpoint(t),
		lambdaenv.Handler:                    ahconfig.Handler, // the role the zip's bootstrap runs
	})

	for _, tc := range []struct {
		name, alarm string
		source      func(circuit.Circuit) circuit.AlarmStatus
	}{
		{"slow-call alarm", "slowcalls-alarm.json", func(c circuit.Circuit) circuit.AlarmStatus { return c.SlowCalls }},
		{"rate alarm", "downstream-rate-alarm.json", func(c circuit.Circuit) circuit.AlarmStatus { return c.Downstream }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.setItem(t, nil)
			admitted(t, e.run(t, "before", sfnlocal.Exec{}), `{"echoed": "before"}`)

			notify(t, handlerURL, tc.alarm)
			c := e.circuit(t)
			if c.State != circuit.Open || tc.source(c).State != circuit.AlarmStateAlarm {
				t.Fatalf("after %s: %+v", tc.alarm, c)
			}
			// The handler opened it on its own clock: executions starting
			// before OpenUntil are rejected without invoking anything.
			r := e.run(t, "x", sfnlocal.Exec{StartTime: c.OpenUntil.Add(-1)})
			rejected(t, e, r, StateRejectOpen)
			budget(t, r, 0, 0, 1, 0)

			// Recovery: the first call after OpenUntil is elected as the
			// probe, and its success closes the circuit.
			r = e.run(t, "probe", sfnlocal.Exec{StartTime: c.OpenUntil})
			succeeded(t, r, `{"echoed": "probe"}`)
			if got := e.circuit(t); got.State != circuit.Closed {
				t.Fatalf("after the probe: %+v", got)
			}
		})
	}

	t.Run("slow-call OK does not close: probes do", func(t *testing.T) {
		e.setItem(t, nil)
		notify(t, handlerURL, "slowcalls-alarm.json")
		notify(t, handlerURL, "slowcalls-ok.json")
		c := e.circuit(t)
		if c.State != circuit.Open || c.SlowCalls.State != circuit.AlarmStateOK {
			t.Fatalf("after ALARM then OK: %+v", c)
		}
		rejected(t, e, e.run(t, "x", sfnlocal.Exec{StartTime: c.OpenUntil.Add(-1)}), StateRejectOpen)
	})
}
