package statemachine

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/sfnlocal"
)

// Per-key circuits (docs/per-key.md) executed in the local executor, with the
// real controller: the state machine reads the breaker's item and the key's
// with one BatchGetItem (dev/sfn/run.mjs serves it as AWS shapes it, items
// shuffled) and acts on the one circuit.Governing picks.

func newKeyedEnv(t *testing.T, threshold int) *env {
	t.Helper()
	return newEnv(t, func(c *Config) {
		c.CircuitKey = "$.provider"
		c.FailureThreshold = threshold
	})
}

// call is an input for key: healthy, or failing with DownstreamBoom.
func call(key string, fail bool) map[string]any {
	in := map[string]any{"provider": key}
	if fail {
		in["fail"] = "DownstreamBoom"
		in["message"] = key + " is down"
	}
	return in
}

func (e *env) keyCircuit(t *testing.T, key string) circuit.Circuit {
	t.Helper()
	c, err := e.store.Get(context.Background(), circuit.ItemKey(e.cfg.ServiceName, key))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (e *env) hasItem(t *testing.T, itemKey string) bool {
	t.Helper()
	out, err := e.db.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: aws.String(e.cfg.TableName), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{circuit.KeyAttribute: &types.AttributeValueMemberS{Value: itemKey}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.Item != nil
}

// alarm applies a CloudWatch alarm notification to the breaker's own item, as
// the alarm handler does (circuit.ApplyAlarm through the store): the alarm
// path simulated as in the other execution tests.
func (e *env) alarm(t *testing.T, source circuit.Source, state circuit.AlarmState, at time.Time) {
	t.Helper()
	policy := circuit.Policy{OpenDuration: openFor, MaxOpenDuration: maxOpenFor, BackoffMultiplier: 2}
	n := circuit.AlarmNotice{Source: source, AlarmName: "orders-" + string(source), State: state, ChangedAt: at}
	_, err := e.store.Update(context.Background(), e.cfg.ServiceName, func(c circuit.Circuit) (circuit.Circuit, bool, error) {
		next, outcome := c.ApplyAlarm(n, at, policy)
		return next, outcome.Changed(), nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// setItemAt is setItem for any item key.
func (e *env) setItemAt(t testing.TB, itemKey string, attrs map[string]string) {
	t.Helper()
	saved := e.cfg.ServiceName
	e.cfg.ServiceName = itemKey
	defer func() { e.cfg.ServiceName = saved }()
	e.setItem(t, attrs)
}

// BenchmarkKeyedRequestPath is BenchmarkRequestPath with circuitKey: the
// keyed read (BatchGetItem) and its Choice and Pass states, through the same
// local stand-ins.
func BenchmarkKeyedRequestPath(b *testing.B) {
	for _, bc := range []struct {
		name  string
		attrs map[string]string
	}{
		{"admitted", map[string]string{circuit.AttrState: string(circuit.Closed)}},
		{"rejected", map[string]string{circuit.AttrState: string(circuit.Open), circuit.AttrOpenUntil: ts(time.Hour)}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			e := newEnv(b, func(c *Config) { c.CircuitKey = "$.provider" })
			e.setItem(b, map[string]string{circuit.AttrState: string(circuit.Closed)})
			e.setItemAt(b, circuit.ItemKey(e.cfg.ServiceName, "acme"), bc.attrs)
			var inside time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				r, err := e.machine.Execute(context.Background(), call("acme", false), sfnlocal.Exec{StartTime: now})
				if err != nil || r.Status == "" {
					b.Fatalf("%v %s", err, r)
				}
				inside += r.Duration
			}
			b.ReportMetric(float64(inside.Microseconds())/1000/float64(b.N), "exec-ms")
		})
	}
}
