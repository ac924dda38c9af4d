//go:build emulators

package handler_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/testenv"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/controller/handler"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTrip(t *testing.T) {
	r := newRig(t, 1)
	// The state machine's RecordFailure wrote the count (ADD failures, version).
	r.put(circuit.Circuit{State: circuit.Closed, Failures: 3})
	resp := r.must(`{"action":"trip","at":"` + at(0) + `","failures":3,"error":"DownstreamBoom"}`)
	assert.Equal(t, handler.Response{
		Action: handler.ActionTrip, Changed: true, State: circuit.Open,
		OpenUntil: at(time.Minute), HalfOpenUntil: "", Version: 2,
	}, resp)

	c := r.circuit()
	assert.Equal(t, circuit.Open, c.State)
	assert.Equal(t, t0.Add(time.Minute), c.OpenUntil, `"at" is the clock, not the Lambda's`)
	assert.Equal(t, 1, c.Openings)
	assert.Equal(t, 0, c.Failures)
	assert.Equal(t, circuit.Transition{At: t0, From: circuit.Closed, To: circuit.Open, Reason: "3 consecutive failures, last: DownstreamBoom"}, c.LastTransition)

	lines := r.logLines()
	require.Len(t, lines, 1)
	assert.Equal(t, "circuit transition", lines[0]["msg"])
	assert.Equal(t, service, lines[0]["service"])
	assert.Equal(t, "trip", lines[0]["action"])
	assert.Equal(t, "CLOSED", lines[0]["from"])
	assert.Equal(t, "OPEN", lines[0]["to"])
	assert.Equal(t, at(time.Minute), lines[0]["openUntil"])

	// A second execution that counted the same failures finds it open: no-op.
	resp = r.must(`{"action":"trip","at":"` + at(time.Second) + `","failures":3,"error":"DownstreamBoom"}`)
	assert.False(t, resp.Changed)
	assert.Equal(t, circuit.Open, resp.State)
	assert.Equal(t, int64(2), resp.Version)
	assert.Equal(t, "circuit unchanged", r.logLines()[0]["msg"])
}

func TestTripWithoutAnItemChangesNothing(t *testing.T) {
	r := newRig(t, 1)
	resp := r.must(`{"action":"trip","failures":1}`)
	assert.False(t, resp.Changed)
	assert.Equal(t, circuit.Closed, resp.State)
	assert.Empty(t, r.item(), "nothing written")
}

func TestTripUsesTheLambdaClockWithoutAt(t *testing.T) {
	r := newRig(t, 1)
	r.put(circuit.Circuit{State: circuit.Closed, Failures: 1})
	resp := r.must(`{"action":"trip","failures":1}`)
	assert.Equal(t, circuit.FormatTime(lambdaClock.Add(time.Minute)), resp.OpenUntil)
	assert.Equal(t, "1 consecutive failures, last: unknown error", r.circuit().LastTransition.Reason)
}

// Many executions read an elapsed OPEN circuit at once and all ask to be the
// probe: exactly HalfOpenMaxCalls are admitted.
func TestConcurrentElectionsAdmitExactlyMaxCalls(t *testing.T) {
	const maxCalls, callers = 3, 20
	r := newRig(t, maxCalls)
	r.put(circuit.Circuit{State: circuit.Open, OpenUntil: t0, Openings: 1})

	var wg sync.WaitGroup
	results := make([]handler.Response, callers)
	errs := make([]error, callers)
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = r.h.Handle(context.Background(), json.RawMessage(`{"action":"elect","at":"`+at(time.Second)+`"}`))
		}()
	}
	wg.Wait()
	admitted := 0
	for i := range callers {
		require.NoError(t, errs[i])
		if results[i].Admitted {
			admitted++
			assert.Equal(t, at(time.Second+40*time.Second), results[i].HalfOpenUntil, "every admitted probe belongs to the one period")
		}
		assert.Equal(t, circuit.HalfOpen, results[i].State)
	}
	assert.Equal(t, maxCalls, admitted)

	c := r.circuit()
	assert.Equal(t, circuit.HalfOpen, c.State)
	assert.Equal(t, maxCalls, c.Probes)
	assert.Equal(t, t0.Add(41*time.Second), c.HalfOpenUntil)
	assert.True(t, c.OpenUntil.IsZero())
	assert.Equal(t, 1, c.Openings, "kept for the next back-off")
	assert.Equal(t, int64(1+maxCalls), c.Version, "one write per admitted probe, none for the others")

	var transitions, joins, refused int
	for _, l := range r.logLines() {
		switch l["msg"] {
		case "circuit transition":
			transitions++
			assert.Equal(t, "OPEN", l["from"])
			assert.Equal(t, "HALF_OPEN", l["to"])
		case "probe admitted":
			joins++
		case "circuit unchanged":
			refused++
			assert.Equal(t, false, l["admitted"])
		}
	}
	assert.Equal(t, []int{1, maxCalls - 1, callers - maxCalls}, []int{transitions, joins, refused})
}

func TestElectionRules(t *testing.T) {
	r := newRig(t, 1)
	elect := func(d time.Duration) handler.Response {
		return r.must(`{"action":"elect","at":"` + at(d) + `"}`)
	}

	r.put(circuit.Circuit{State: circuit.Open, OpenUntil: t0.Add(time.Minute)})
	resp := elect(time.Minute - time.Millisecond)
	assert.False(t, resp.Admitted || resp.Changed, "still open")
	assert.Equal(t, "", resp.HalfOpenUntil, "present even when empty, for the state machine's ResultSelector")

	resp = elect(time.Minute)
	assert.True(t, resp.Admitted)
	assert.Equal(t, at(time.Minute+40*time.Second), resp.HalfOpenUntil)

	// Within the period, the one slot is taken.
	assert.False(t, elect(time.Minute+39*time.Second).Admitted)

	// The probe never reported back: at the deadline the next caller re-elects.
	resp = elect(time.Minute + 40*time.Second)
	assert.True(t, resp.Admitted)
	assert.Equal(t, at(time.Minute+80*time.Second), resp.HalfOpenUntil)
	c := r.circuit()
	assert.Equal(t, 1, c.Probes)
	assert.Contains(t, c.LastTransition.Reason, "presumed lost")

	// Overrides and the healthcheck's hold admit nobody.
	for _, held := range []circuit.Circuit{
		{State: circuit.Open, Override: circuit.ForcedOpen},
		{State: circuit.Open, Healthcheck: circuit.AlarmStatus{State: circuit.AlarmStateAlarm, ChangedAt: t0}},
		{State: circuit.Closed},
	} {
		r.put(held)
		resp := elect(time.Hour)
		assert.False(t, resp.Admitted || resp.Changed, "%+v", held)
	}
}

func TestReopenBacksOffAndIgnoresOtherPeriods(t *testing.T) {
	r := newRig(t, 1)
	r.put(circuit.Circuit{State: circuit.Open, OpenUntil: t0, Openings: 1})
	period := r.must(`{"action":"elect","at":"` + at(0) + `"}`).HalfOpenUntil

	resp := r.must(`{"action":"reopen","at":"` + at(time.Second) + `","error":"DownstreamBoom","halfOpenUntil":"` + at(time.Hour) + `"}`)
	assert.False(t, resp.Changed, "a probe of another period")
	assert.Equal(t, circuit.HalfOpen, resp.State)

	resp = r.must(`{"action":"reopen","at":"` + at(time.Second) + `","error":"States.Timeout","halfOpenUntil":"` + period + `"}`)
	assert.True(t, resp.Changed)
	assert.Equal(t, circuit.Open, resp.State)
	assert.Equal(t, at(time.Second+2*time.Minute), resp.OpenUntil, "the second opening lasts twice as long")
	c := r.circuit()
	assert.Equal(t, 2, c.Openings)
	assert.Equal(t, circuit.Transition{At: t0.Add(time.Second), From: circuit.HalfOpen, To: circuit.Open, Reason: "probe failed: States.Timeout"}, c.LastTransition)
	assert.NotContains(t, r.item(), circuit.AttrHalfOpenUntil, "the period ended with the opening")
}

func TestMalformedRequestsNameTheFieldAndChangeNothing(t *testing.T) {
	r := newRig(t, 1)
	r.put(circuit.Circuit{State: circuit.Closed, Failures: 2})
	before := r.item()
	r.logLines()
	for payload, field := range map[string]string{
		`not json`:                          "(payload)",
		`[1,2]`:                             "(payload)",
		`{"action":"trip","failures":1} {}`: "(payload)",
		`{}`:                                "action",
		`{"action":"explode"}`:              "action",
		`{"action":7}`:                      "action",
		`{"action":"elect","at":"noon"}`:    "at",
		`{"action":"trip"}`:                 "failures",
		`{"action":"trip","failures":0}`:    "failures",
		`{"action":"trip","failures":"3"}`:  "failures",
		`{"action":"reopen","halfOpenUntil":"later"}`: "halfOpenUntil",
		// The operators' overrides are circuitctl's, never the controller's.
		`{"action":"forceOpen","reason":"INC-1"}`:             "action",
		`{"action":"release"}`:                                "action",
		`{"action":"healthcheck"}`:                            "action",
		`{"action":"elect","reson":"hunter2-secret-in-typo"}`: "reson",
		`{"action":"trip","failures":1,"scheduledTime":"x"}`:  "scheduledTime",
	} {
		_, err := r.call(payload)
		var bad *handler.InvalidRequestError
		if assert.True(t, errors.As(err, &bad), "%s: %v", payload, err) {
			assert.Equal(t, field, bad.Field, payload)
			assert.Contains(t, err.Error(), field+": ", payload)
		}
		assert.Equal(t, before, r.item(), "%s changed the item", payload)
	}
	logs := r.logs.take()
	assert.NotContains(t, string(logs), "hunter2", "payload values are never logged")
	assert.Equal(t, 16, strings.Count(string(logs), `"msg":"invalid controller request"`))
}

// "at" is $$.Execution.StartTime, which AWS writes without the fraction when
// the milliseconds are zero ("...:00Z"; docs/aws-facts.md), and
// halfOpenUntil is the string the state machine got from us or from the item:
// both forms are the same instant, and what we write back keeps our fixed
// width, which the state machine's JoinProbe matches by equality.
func TestTimesInEitherForm(t *testing.T) {
	for _, form := range []string{"2026-11-27T00:10:00Z", "2026-11-27T00:10:00.000Z"} {
		t.Run(form, func(t *testing.T) {
			r := newRig(t, 1)
			r.put(circuit.Circuit{State: circuit.Closed, Failures: 1})
			resp := r.must(`{"action":"trip","at":"` + form + `","failures":1}`)
			assert.Equal(t, "2026-11-27T00:11:00.000Z", resp.OpenUntil)
			assert.Equal(t, t0, r.circuit().LastTransition.At)

			resp = r.must(`{"action":"elect","at":"2026-11-27T00:11:00Z"}`)
			require.True(t, resp.Admitted)
			assert.Equal(t, "2026-11-27T00:11:40.000Z", resp.HalfOpenUntil)
			assert.Equal(t, &types.AttributeValueMemberS{Value: resp.HalfOpenUntil}, r.item()[circuit.AttrHalfOpenUntil],
				"the period the state machine matches by string equality is the one stored")

			// The period in Step Functions' form (zero milliseconds) is still this period.
			period := strings.Replace(resp.HalfOpenUntil, ".000Z", "Z", 1)
			resp = r.must(`{"action":"reopen","at":"2026-11-27T00:11:05Z","error":"DownstreamBoom","halfOpenUntil":"` + period + `"}`)
			assert.True(t, resp.Changed)
			assert.Equal(t, circuit.Open, resp.State)
		})
	}
}

// A per-key breaker's controller acts on the named key's item only
// (circuit.ItemKey: "<service>#<key>", docs/per-key.md): a trip and an
// election on "stripe" leave the breaker's own item and the other keys'
// untouched.
func TestKeyedActionsWriteOnlyThatKeysItem(t *testing.T) {
	r := newRig(t, 1)
	ctx := context.Background()
	stripe := circuit.ItemKey(service, "stripe")
	_, err := r.store.Update(ctx, stripe, func(circuit.Circuit) (circuit.Circuit, bool, error) {
		return circuit.Circuit{State: circuit.Closed, Failures: 3}, true, nil
	})
	require.NoError(t, err)

	resp := r.must(`{"action":"trip","at":"` + at(0) + `","failures":3,"error":"Boom","key":"stripe"}`)
	assert.Equal(t, circuit.Open, resp.State)
	got, err := r.store.Get(ctx, stripe)
	require.NoError(t, err)
	assert.Equal(t, circuit.Open, got.State)
	assert.Equal(t, t0.Add(time.Minute), got.OpenUntil)

	resp = r.must(`{"action":"elect","at":"` + at(time.Minute) + `","key":"stripe"}`)
	assert.True(t, resp.Admitted)
	assert.Equal(t, circuit.HalfOpen, resp.State)

	// The breaker's own item and another key's were never written.
	assert.Nil(t, r.item())
	adyen, err := r.store.Get(ctx, circuit.ItemKey(service, "adyen"))
	require.NoError(t, err)
	assert.Equal(t, int64(0), adyen.Version)
}

func TestInvalidKeyNamesTheFieldAndTheRule(t *testing.T) {
	r := newRig(t, 1)
	for _, payload := range []string{
		`{"action":"trip","failures":1,"key":"a#b"}`,
		`{"action":"trip","failures":1,"key":"` + strings.Repeat("k", 2100) + `"}`,
		`{"action":"trip","failures":1,"key":7}`,
	} {
		_, err := r.call(payload)
		var bad *handler.InvalidRequestError
		require.ErrorAs(t, err, &bad, "%.40s", payload)
		assert.Equal(t, "key", bad.Field)
	}
	assert.Nil(t, r.item())
}

func TestMain(m *testing.M) { testenv.MainWithDynalite(m, &endpoint) }

// The typed handler validates a Request as Handle validates a payload: the
// same rules, the same named fields; a retired action says where it went.
func TestHandleRequestValidatesLikeAPayload(t *testing.T) {
	r := newRig(t, 1)
	r.put(circuit.Circuit{State: circuit.Closed, Failures: 3})
	before := r.item()
	three := 3
	for req, field := range map[*handler.Request]string{
		{Action: "forceOpen"}:                                      "action",
		{Action: "healthcheck"}:                                    "action",
		{Action: handler.ActionTrip}:                               "failures",
		{Action: handler.ActionElect, At: "noon"}:                  "at",
		{Action: handler.ActionTrip, Failures: &three, Key: "a#b"}: "key",
	} {
		_, err := r.h.HandleRequest(context.Background(), *req)
		var bad *handler.InvalidRequestError
		require.ErrorAs(t, err, &bad, "%+v", *req)
		assert.Equal(t, field, bad.Field, "%+v", *req)
		if req.Action == "forceOpen" {
			assert.Contains(t, bad.Problem, "circuitctl open")
		}
	}
	assert.Equal(t, before, r.item(), "nothing written")
	resp, err := r.h.HandleRequest(context.Background(), handler.Request{Action: handler.ActionTrip, At: at(0), Failures: &three, Error: "DownstreamBoom"})
	require.NoError(t, err)
	assert.Equal(t, circuit.Open, resp.State)
}
