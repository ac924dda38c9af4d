//go:build emulators

package localbreaker

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/component"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/alarmsim"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/testlambdas/outage"
)

// The runner's smoke test: a handful of requests through the real definition
// and Lambdas, during an outage that lasts the whole test, so that the
// outcome does not depend on timing: healthy paths are not exercised, but
// counting, tripping (controller) and failing fast are.
func TestSmoke(t *testing.T) {
	threshold := 2
	b := Start(t, Options{
		Args:    component.Args{ServiceName: "smoke", FailureThreshold: &threshold},
		Outages: []outage.Window{{After: 0, For: time.Hour}},
		// One environment each: the calls below are sequential.
		DownstreamEnvs: 1, ControllerEnvs: 1,
		Lead: time.Millisecond,
	})
	ctx := context.Background()
	var paths []Path
	for range 3 {
		c, err := b.Call(ctx, map[string]any{"order": 1})
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, c.Path)
		if c.Result.Succeeded() {
			t.Fatalf("the downstream is down, yet %s", c.Result)
		}
	}
	want := []Path{PathFailing, PathTrip, PathOpen}
	for i := range want {
		if paths[i] != want[i] {
			t.Fatalf("paths %v, want %v", paths, want)
		}
	}
	c, err := b.Circuit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c.State != circuit.Open {
		t.Fatalf("circuit %+v, want OPEN", c)
	}
	var trips []Event
	for _, e := range b.Events() {
		if e.Kind == EventTransition {
			trips = append(trips, e)
		}
	}
	if len(trips) != 1 || trips[0].By != "controller" || trips[0].From != "CLOSED" || trips[0].To != "OPEN" {
		t.Fatalf("transitions %+v, want one trip by the controller", trips)
	}
	if calls := b.Controller(); calls.Changed["trip"] != 1 {
		t.Errorf("controller calls %+v, want one trip that changed the circuit", calls)
	}
	if ops := b.ControllerDynamo.Ops(); ops["GetItem"] != 1 || ops["UpdateItem"] != 1 {
		t.Errorf("the controller's DynamoDB calls %v, want 1 GetItem and 1 UpdateItem", ops)
	}

	// The real alarm handler accepts the simulation's notifications: a
	// healthcheck ALARM is recorded, and holds the circuit.
	change := alarmsim.Change{AlarmName: b.HealthcheckAlarm.Name, Old: alarmsim.StateOK, New: alarmsim.StateAlarm, At: time.Now(),
		Reason: "Threshold Crossed: 1 out of the last 1 datapoints [1.0] were greater than or equal to the threshold (1.0)."}
	if err := b.Deliver(ctx, alarmsim.Notification(b.HealthcheckAlarm, alarmsim.AllActions, change, b.Topic)); err != nil {
		t.Fatalf("the alarm handler refused the notification: %v", err)
	}
	if c, err := b.Circuit(ctx); err != nil || c.Healthcheck.State != circuit.AlarmStateAlarm {
		t.Fatalf("healthcheck alarm not recorded: %+v %v", c.Healthcheck, err)
	}
	if c, err := b.Call(ctx, "x"); err != nil || !c.Rejected() || c.Path != PathOpen {
		t.Fatalf("held circuit: %+v %v", c, err)
	}
	if ops := b.AlarmHandlerDynamo.Ops(); ops["GetItem"] != 1 || ops["UpdateItem"] != 1 {
		t.Errorf("the alarm handler's DynamoDB calls %v, want 1 GetItem and 1 UpdateItem", ops)
	}
}

// The alarm path end to end through our real alarm handler and the real
// definition: a healthcheck ALARM holds the circuit open even though the
// downstream answers, and its OK closes the circuit again. Notifications are
// delivered by hand, so nothing depends on timing.
func TestHealthcheckAlarmHoldsAndItsOKCloses(t *testing.T) {
	b := Start(t, Options{
		Args:           component.Args{ServiceName: "held"},
		DownstreamEnvs: 1, ControllerEnvs: 1,
		Lead: time.Millisecond,
	})
	ctx := context.Background()
	deliver := func(old, new string, at time.Time) {
		t.Helper()
		change := alarmsim.Change{AlarmName: b.HealthcheckAlarm.Name, Old: old, New: new, At: at, Reason: "healthcheck " + new}
		if err := b.Deliver(ctx, alarmsim.Notification(b.HealthcheckAlarm, alarmsim.AllActions, change, b.Topic)); err != nil {
			t.Fatalf("the alarm handler refused %s: %v", new, err)
		}
	}
	call := func() Call {
		t.Helper()
		c, err := b.Call(ctx, map[string]any{"order": 1})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}

	if c := call(); !c.Result.Succeeded() || c.Path != PathHealthy {
		t.Fatalf("before any alarm: %+v", c)
	}
	t0 := time.Now()
	deliver(alarmsim.StateOK, alarmsim.StateAlarm, t0)
	for range 3 {
		c := call()
		if !c.Rejected() || c.Result.LambdaInvocations != 0 {
			t.Fatalf("held by the healthcheck alarm, yet %+v", c)
		}
	}
	// A duplicate of the ALARM and a stale OK (older than the ALARM) change nothing.
	deliver(alarmsim.StateOK, alarmsim.StateAlarm, t0)
	deliver(alarmsim.StateAlarm, alarmsim.StateOK, t0.Add(-time.Second))
	if c := call(); !c.Rejected() {
		t.Fatalf("a stale OK released the hold: %+v", c)
	}

	deliver(alarmsim.StateAlarm, alarmsim.StateOK, t0.Add(time.Second))
	c, err := b.Circuit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c.State != circuit.Closed || c.LastTransition.To != circuit.Closed || !strings.Contains(c.LastTransition.Reason, b.HealthcheckAlarm.Name) {
		t.Fatalf("after the healthcheck's OK: %+v", c)
	}
	if c := call(); !c.Result.Succeeded() || c.Result.LambdaInvocations != 1 {
		t.Fatalf("after the healthcheck's OK: %+v", c)
	}
}

// Issue 10, recovery in one healthcheck interval, on the local run: the
// simulated scheduler runs the healthcheck through the real runner; the runs
// that see the outage open and hold the circuit, the first run after the
// recovery closes it, and the healthcheck alarm's notices (for the same runs,
// later) move nothing.
func TestHealthcheckRunnerClosesWithinOneInterval(t *testing.T) {
	const compression = 30 // rate(1 minute) runs every 2 s, at 1 s, 3 s, 5 s, ...
	recovery := 4500 * time.Millisecond
	b := Start(t, Options{
		Args:           component.Args{ServiceName: "recover"},
		Outages:        []outage.Window{{After: 500 * time.Millisecond, For: recovery - 500*time.Millisecond}},
		DownstreamEnvs: 1, ControllerEnvs: 1,
		Compression: compression,
	})
	time.Sleep(time.Until(b.Schedule.Epoch.Add(recovery + 2*b.HealthcheckEvery)))

	var opened, closed *Event
	for _, e := range b.Events() {
		if e.Kind != EventTransition {
			continue
		}
		if e.By != "healthcheck runner" {
			t.Errorf("transition by the %s (%s): only the runner's verdicts should move this circuit", e.By, e.Reason)
			continue
		}
		switch e.To {
		case "OPEN":
			if opened == nil {
				opened = &e
			}
		case "CLOSED":
			closed = &e
		}
	}
	if opened == nil || closed == nil {
		t.Fatalf("want the runner to open then close the circuit; events %+v", b.Events())
	}
	after := closed.At.Sub(b.Schedule.Epoch.Add(recovery))
	if after < 0 || after > b.HealthcheckEvery+time.Second {
		t.Fatalf("closed %v after the recovery, want within one interval (%v)", after, b.HealthcheckEvery)
	}
	c, err := b.Circuit(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c.State != circuit.Closed || c.Healthcheck.State != circuit.AlarmStateOK {
		t.Fatalf("circuit %+v, want CLOSED and released", c)
	}
}
