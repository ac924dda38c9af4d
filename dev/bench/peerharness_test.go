//go:build emulators

package bench

import (
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/testenv"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/testlambdas/outage"
)

// Issue 18: the bench's peer harness really runs the peer's code. A short
// outage through two environments: afterwards the peer's own item for the
// circuit is in its table, written by its DynamoDB persistence with its
// attribute names (CircuitBreakerDynamoDBPersistence's defaults: id, state,
// failure_count, expiration), and the protected calls the environments made
// are exactly the calls the harness's downstream counted. No timing is
// asserted: only that a trip was written, which five consecutive failures in
// one environment guarantee (each environment gets more than five of the
// outage's requests).
func TestPeerHarnessRanItsCode(t *testing.T) {
	endpoint := testenv.Dynalite(t)
	run := RunPeer(t, PeerOptions{
		Endpoint: endpoint, Envs: 2, Windows: []outage.Window{{After: time.Second, For: 2 * time.Second}}, Rate: 20, N: 100,
		FailureThreshold: 5, RecoveryTimeout: 1, SuccessThreshold: 1,
	})

	if run.Version != PeerVersion {
		t.Errorf("the environments ran aws-lambda-powertools %s, the bench pins %s: run `make deps`", run.Version, PeerVersion)
	}
	if len(run.Requests) != 100 {
		t.Fatalf("%d answers for 100 requests", len(run.Requests))
	}
	if run.Item == nil {
		t.Fatalf("no item for circuit %q in the peer's table %s after the run", run.Circuit, run.Table)
	}
	for _, attr := range []string{"id", "state", "failure_count", "expiration"} {
		if _, ok := run.Item[attr]; !ok {
			t.Errorf("the peer's item lacks its attribute %q: %v", attr, keys(run.Item))
		}
	}
	if id, ok := run.Item["id"].(*types.AttributeValueMemberS); !ok || id.Value != run.Circuit {
		t.Errorf("the item's id is %v, want the circuit's name %q", run.Item["id"], run.Circuit)
	}
	if st, ok := run.Item["state"].(*types.AttributeValueMemberS); !ok || !slices.Contains([]string{PeerClosed, PeerOpen, PeerHalfOpen}, st.Value) {
		t.Errorf("the item's state is %v, want one of the peer's states", run.Item["state"])
	}

	called := 0
	byEnv := map[int]int{}
	ops := map[string]int{}
	trips := 0
	for _, r := range run.Requests {
		called += r.Called
		byEnv[r.Env] += r.Called
		for op, n := range r.Ops {
			ops[op] += n
		}
		if r.Path() == PeerPathTrip {
			trips++
		}
	}
	if called == 0 || called != run.Downstream {
		t.Errorf("the environments made %d protected calls, the harness's downstream counted %d", called, run.Downstream)
	}
	for env, n := range byEnv {
		if run.DownstreamByEnv[env] != n {
			t.Errorf("environment %d: %d protected calls, the downstream counted %d", env, n, run.DownstreamByEnv[env])
		}
	}
	if trips == 0 || run.DownstreamFailed == 0 {
		t.Errorf("no trip (%d) or no failed downstream call (%d) in an outage", trips, run.DownstreamFailed)
	}
	// boto3's client events and the proxy in front of dynalite agree (no
	// call retried, none from elsewhere).
	for _, op := range []string{"GetItem", "PutItem", "UpdateItem"} {
		if ops[op] != run.Wire[op] {
			t.Errorf("%s: the environments counted %d, the wire %d", op, ops[op], run.Wire[op])
		}
	}
	if ops["PutItem"] == 0 {
		t.Errorf("the peer wrote no trip: %v", ops)
	}
}

func keys(m map[string]types.AttributeValue) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
