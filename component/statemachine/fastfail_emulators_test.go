//go:build emulators

package statemachine

import (
	"strconv"
	"testing"
	"time"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/sfnlocal"
)

// TestFastFailCauseForEachReason runs the real definition into every
// rejection of circuit.FastFails, plain and keyed, and parses the cause:
// exactly circuit.Cause with the reason of the Fail state, the item's
// deadline where the row knows it, the service, and the caller's key. The
// keyed key has an apostrophe and braces: it reaches the document through
// States.JsonToString, not spliced into the template.
func TestFastFailCauseForEachReason(t *testing.T) {
	const key = "acme 'q' {x}"
	for _, keyed := range []bool{false, true} {
		t.Run("keyed="+strconv.FormatBool(keyed), func(t *testing.T) {
			e := newEnv(t, func(c *Config) {
				c.FailClosed = true
				if keyed {
					c.CircuitKey = "$.provider"
				}
			})
			maxCalls := strconv.Itoa(e.cfg.HalfOpenMaxCalls)
			cases := []struct {
				step  string
				attrs map[string]string
				// onBreaker: the breaker's own item holds (keyed), not the key's.
				onBreaker bool
				inject    []sfnlocal.Fault
			}{
				{step: StateRejectOpen, attrs: map[string]string{circuit.AttrState: string(circuit.Open), circuit.AttrOpenUntil: ts(time.Minute)}},
				{step: StateRejectForcedOpen, attrs: map[string]string{circuit.AttrState: string(circuit.Closed), circuit.AttrOverride: string(circuit.ForcedOpen)}},
				{step: StateRejectHealthcheckAlarm, onBreaker: true, attrs: map[string]string{circuit.AttrHealthcheckAlarm: string(circuit.AlarmStateAlarm)}},
				{step: StateRejectHalfOpenFull, attrs: map[string]string{circuit.AttrState: string(circuit.HalfOpen), circuit.AttrHalfOpenUntil: ts(20 * time.Second), circuit.AttrProbes: maxCalls}},
				// More probes than the maximum (lowered by a redeploy): JoinProbe's
				// condition refuses the slot.
				{step: StateRejectProbeNotAdmitted, attrs: map[string]string{circuit.AttrState: string(circuit.HalfOpen), circuit.AttrHalfOpenUntil: ts(20 * time.Second), circuit.AttrProbes: "9"}},
				{step: StateRejectElectionClaimed, attrs: map[string]string{circuit.AttrState: string(circuit.Open), circuit.AttrOpenUntil: ts(-time.Second), circuit.AttrElectionClaim: circuit.ElectionMinute(now)}},
				{step: StateRejectCircuitUnavailable, inject: []sfnlocal.Fault{
					{Error: "DynamoDB.AmazonDynamoDBException", Cause: "User is not authorized to perform: dynamodb:GetItem"},
				}},
			}
			if keyed {
				// The keyed read and the breaker's item read alone both fail.
				cases[len(cases)-1].inject = []sfnlocal.Fault{
					{Error: ErrorDynamoDBSDKBase, Cause: "User is not authorized to perform: dynamodb:BatchGetItem"},
					{Error: ErrorDynamoDBSDKBase, Cause: "User is not authorized to perform: dynamodb:GetItem"},
				}
			}
			for _, c := range cases {
				t.Run(c.step, func(t *testing.T) {
					e.setItem(t, nil)
					itemKey := circuit.ItemKey(e.cfg.ServiceName, key)
					if keyed {
						e.setItemAt(t, itemKey, nil)
					}
					var input any = "x"
					want := circuit.Cause{ServiceName: e.cfg.ServiceName}
					if keyed {
						input = map[string]any{"provider": key}
						k := key
						want.CircuitKey = &k
					}
					if c.attrs != nil {
						if keyed && !c.onBreaker {
							e.setItemAt(t, itemKey, c.attrs)
						} else {
							e.setItem(t, c.attrs)
						}
					}
					f, _ := circuit.FastFailOf(c.step)
					want.Reason = f.Reason
					want.RetryAt = c.attrs[f.RetryAt]
					r := e.run(t, input, sfnlocal.Exec{InjectDynamoDB: c.inject})
					if r.Status != "FAILED" || r.Error != f.Error || r.States[len(r.States)-1] != c.step {
						t.Fatalf("want %s by %s, got %s", f.Error, c.step, r)
					}
					if got := checkCause(t, e.cfg, r, c.step); got.Marshal() != want.Marshal() || r.Cause != want.Marshal() {
						t.Errorf("cause %q, want %q", r.Cause, want.Marshal())
					}
					if r.LambdaInvocations != 0 {
						t.Errorf("invoked a Lambda: %s", r)
					}
				})
			}
		})
	}
}
