//go:build emulators

package statemachine

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/sfnlocal"
)

// Issue 14 item 22, through the real definition and the real controller:
// nothing an operator can write into the item wedges the circuit.
//
// What CheckCircuit does with such values (no change to the definition was
// needed): it compares override with FORCED_OPEN and FORCED_CLOSED only, so an
// unknown override is no override; it reads the counters as strings of their
// N (a counter of another type is absent), so a garbage failures count admits
// the call (counted or not) and a garbage probes count joins or rejects by the
// conditional write. The writes whose ADD meets a value of another type fail
// (ValidationException) and are caught: the downstream's own result still
// reaches the caller, and the count stays wrong until circuit.Repair rewrites
// it (the controller's next write, or the alarm handler's reconciliation
// within its schedule).
func TestHandWrittenValuesDoNotWedgeTheRequestPath(t *testing.T) {
	t.Run("an unknown override on an elapsed opening: the probe is elected", func(t *testing.T) {
		e := newEnv(t, nil)
		e.setItem(t, map[string]string{circuit.AttrState: string(circuit.Open), circuit.AttrOpenUntil: ts(0), circuit.AttrOpenings: "1",
			circuit.AttrOverride: "forced_open"})
		r := e.run(t, "x", sfnlocal.Exec{})
		// Before, CheckCircuit asked for an election (the override is none
		// to it) and the controller refused every one (an override is set):
		// rejected for good.
		succeeded(t, r, `{"echoed": "x"}`)
		if got := statesOf(r); !strings.Contains(got, StateElectProbe) || !strings.Contains(got, StateInvokeProbe) {
			t.Fatalf("states = %s", got)
		}
		c := e.circuit(t)
		if c.State != circuit.Closed || c.Override != circuit.NoOverride {
			t.Fatalf("want closed by the probe, the override removed by the controller's repair: %+v", c)
		}
	})

	t.Run("a key's unknown override does not escape the breaker's hold", func(t *testing.T) {
		e := newKeyedEnv(t, 5)
		e.setItem(t, map[string]string{circuit.AttrState: string(circuit.Open), circuit.AttrOpenUntil: ts(time.Hour)})
		e.setItemAt(t, circuit.ItemKey(e.cfg.ServiceName, "acme"), map[string]string{circuit.AttrOverride: "forced_closed"})
		r := e.run(t, call("acme", false), sfnlocal.Exec{})
		if !strings.Contains(statesOf(r), StateUseBreakerCircuit) || r.Error != ErrorCircuitOpen {
			t.Fatalf("want the breaker's hold (circuit.Governing: %s), got %s", circuit.Governing(circuit.Circuit{State: circuit.Open}, circuit.Circuit{Override: "forced_closed"}), r)
		}
	})

	t.Run("counters and a version of the wrong type", func(t *testing.T) {
		e := newEnv(t, func(c *Config) { c.FailureThreshold = 1 })
		_, err := e.db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(e.cfg.TableName), Item: map[string]types.AttributeValue{
			circuit.KeyAttribute:  &types.AttributeValueMemberS{Value: e.cfg.ServiceName},
			circuit.AttrState:     &types.AttributeValueMemberS{Value: string(circuit.Closed)},
			circuit.AttrFailures:  &types.AttributeValueMemberS{Value: "lots"},
			circuit.AttrVersion:   &types.AttributeValueMemberS{Value: "v7"},
			circuit.AttrOpenings:  &types.AttributeValueMemberN{Value: "-3"},
			circuit.AttrSuccesses: &types.AttributeValueMemberN{Value: "1E+30"},
		}})
		if err != nil {
			t.Fatal(err)
		}
		// Admitted, and a failure still reaches the caller as the
		// downstream's own error: the count's ADD fails and is caught.
		admitted(t, e.run(t, "ok", sfnlocal.Exec{}), `{"echoed": "ok"}`)
		r := e.at(t, time.Second, boom("down"))
		failedWith(t, r, "DownstreamBoom", "down")
		if c := e.circuit(t); c.State != circuit.Closed || !strings.Contains(c.Unreadable, circuit.AttrFailures) {
			t.Fatalf("the garbage count stays until repaired: %+v", c)
		}
		// A Lambda's next write or an operator's repair (circuitctl repair:
		// circuit.ManualRepair, the same Repair rule) rewrites the item;
		// from then on the state machine counts and trips again.
		if _, err := e.store.Update(context.Background(), e.cfg.ServiceName, func(c circuit.Circuit) (circuit.Circuit, bool, error) {
			next, _, changed, err := c.ManualRepair(time.Now().UTC(), circuit.Limits{}, "repair drill")
			return next, changed, err
		}); err != nil {
			t.Fatal(err)
		}
		raw := e.rawItem(t)
		if _, ok := raw[circuit.AttrFailures].(*types.AttributeValueMemberN); !ok {
			t.Fatalf("failures not repaired: %#v", raw[circuit.AttrFailures])
		}
		if _, ok := raw[circuit.AttrVersion].(*types.AttributeValueMemberN); !ok {
			t.Fatalf("version not repaired: %#v", raw[circuit.AttrVersion])
		}
		failedWith(t, e.at(t, 2*time.Second, boom("down")), "DownstreamBoom", "down")
		if c := e.circuit(t); c.State != circuit.Open {
			t.Fatalf("want tripped at the threshold of 1 once repaired: %+v", c)
		}
	})
}
