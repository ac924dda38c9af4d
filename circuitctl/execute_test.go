//go:build emulators

package circuitctl_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuitctl"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/component/statemachine"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/sfnlocal"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/testenv"
	ctlconfig "github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/controller/config"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/controller/handler"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/lambdaenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The tool's override is what the request path obeys: the component's real
// definition (statemachine.Definition), executed by aws-local-stepfunctions
// against the same dynalite table, with the downstream test Lambda and our
// controller as real bootstraps under the Lambda RIE (as in
// component/statemachine/execute_test.go).
const (
	service       = "payments"
	downstreamArn = "arn:aws:lambda:us-east-1:123456789012:function:payments"
	controllerArn = "arn:aws:lambda:us-east-1:123456789012:function:payments-breaker-controller"
)

// realDefinition runs the component's definition against f's table, with
// the downstream test Lambda and our controller as real bootstraps; exec runs
// one execution a second after the tool's clock.
func realDefinition(t *testing.T, f fixture) (exec func() sfnlocal.Result) {
	cfg := statemachine.Config{
		ServiceName: service, TableName: f.table,
		DownstreamArn: downstreamArn, DownstreamTimeoutSeconds: 30,
		FailureThreshold: circuit.DefaultFailureThreshold, HalfOpenMaxCalls: circuit.DefaultHalfOpenMaxCalls,
		SuccessThreshold: circuit.DefaultSuccessThreshold,
		ControllerArn:    controllerArn,
	}
	def, err := statemachine.Definition(cfg)
	require.NoError(t, err)
	downstream := testenv.BuildBootstrap(t, "./dev/testlambdas/downstream")
	controller := testenv.BuildBootstrap(t, "./functions/controller")
	machine := sfnlocal.Start(t, def, sfnlocal.Options{DynamoEndpoint: endpoint, Lambdas: map[string][]string{
		downstreamArn: {testenv.RIE(t, downstream, nil)},
		controllerArn: {testenv.RIE(t, controller, map[string]string{
			handler.EnvTableName: f.table, handler.EnvServiceName: service,
			handler.EnvOpenDurationSeconds: "60", handler.EnvMaxOpenDuration: "600", handler.EnvBackoffMultiplier: "2",
			handler.EnvHalfOpenMaxCalls:    strconv.Itoa(cfg.HalfOpenMaxCalls),
			handler.EnvProbeTimeoutSeconds: "30",
			"AWS_ENDPOINT_URL_DYNAMODB":    endpoint,
			lambdaenv.Handler:              ctlconfig.Handler,
		})},
	}})
	return func() sfnlocal.Result {
		return machine.Run(t, map[string]any{"amount": 42}, sfnlocal.Exec{StartTime: now.Add(time.Second)})
	}
}

func TestForcedOpenIsObservedByTheRealDefinition(t *testing.T) {
	f := newFixture(t)
	exec := realDefinition(t, f)

	// Healthy and never written: admitted.
	r := exec()
	require.True(t, r.Succeeded(), "%s", r)
	assert.Equal(t, 1, r.LambdaInvocationsByFunction[downstreamArn])

	// A healthy circuit that never failed has no item: forcing it needs --create.
	cr := ctl(t, "open", service, "--table", f.table, "--reason", "INC-7 vendor outage", "--create")
	require.Equal(t, circuitctl.ExitOK, cr.code, cr)

	r = exec()
	assert.Equal(t, "FAILED", r.Status, "%s", r)
	assert.Equal(t, statemachine.ErrorCircuitOpen, r.Error, "%s", r)
	assert.Equal(t, statemachine.StateRejectForcedOpen, r.States[len(r.States)-1], "%s", r)
	// Fails fast: no Lambda at all (neither the downstream nor the
	// controller), one read, no write.
	assert.Equal(t, 0, r.LambdaInvocations, "%s", r)
	assert.Equal(t, 1, r.DynamoReads, "%s", r)
	assert.Equal(t, 0, r.DynamoWrites, "%s", r)

	st := ctl(t, "status", service, "--table", f.table)
	require.Equal(t, circuitctl.ExitOK, st.code, st)
	assert.Contains(t, st.stdout, "effective state    FORCED_OPEN\n")
	assert.Contains(t, st.stdout, "why                manual: INC-7 vendor outage\n")

	cr = ctl(t, "release", service, "--table", f.table, "--reason", "vendor recovered")
	require.Equal(t, circuitctl.ExitOK, cr.code, cr)
	r = exec()
	require.True(t, r.Succeeded(), "%s", r)
	assert.Equal(t, 1, r.LambdaInvocationsByFunction[downstreamArn], "the next execution invokes the downstream again: %s", r)
	assert.Equal(t, 0, r.LambdaInvocationsByFunction[controllerArn], "%s", r)
	assert.JSONEq(t, `{"echoed": {"amount": 42}}`, string(r.Output))
	c := f.get(t, service)
	assert.Equal(t, circuit.Closed, c.Effective())
	assert.Equal(t, "manual: vendor recovered", c.LastTransition.Reason)
}

// What circuitctl's clear-alarm and clear-hold write is what the request path
// obeys: a circuit held by a healthcheck ALARM dated 9999 and opened until
// 9998 (issue 14, item 6) fails every call fast through the real definition;
// after clear-alarm the healthcheck no longer holds it, and after clear-hold
// the next call is elected as the probe: the controller admits it and the
// downstream is invoked.
func TestClearedHoldsAreObservedByTheRealDefinition(t *testing.T) {
	f := newFixture(t)
	item := wedged(service)
	delete(item, circuit.AttrOverride)
	delete(item, circuit.AttrFailures)
	f.putRaw(t, item)
	exec := realDefinition(t, f)

	r := exec()
	require.Equal(t, "FAILED", r.Status, "%s", r)
	assert.Equal(t, statemachine.ErrorCircuitOpen, r.Error, "%s", r)
	assert.Equal(t, 0, r.LambdaInvocations, "%s", r)

	cr := ctl(t, "clear-alarm", service, "--table", f.table, "--source", "healthcheck", "--reason", "INC-12 ALARM dated 9999")
	require.Equal(t, circuitctl.ExitOK, cr.code, cr)
	r = exec()
	require.Equal(t, "FAILED", r.Status, "still open until 9998: %s", r)
	assert.Equal(t, 0, r.LambdaInvocations, "%s", r)

	cr = ctl(t, "clear-hold", service, "--table", f.table, "--reason", "INC-13 open until 9998")
	require.Equal(t, circuitctl.ExitOK, cr.code, cr)
	r = exec()
	require.True(t, r.Succeeded(), "%s", r)
	assert.Equal(t, 1, r.LambdaInvocationsByFunction[controllerArn], "elected as the probe: %s", r)
	assert.Equal(t, 1, r.LambdaInvocationsByFunction[downstreamArn], "%s", r)
}
