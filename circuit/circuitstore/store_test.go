package circuitstore_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit/circuitstore"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/testenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// One dynalite for the package; each test gets its own table.
var endpoint string

func newStore(t *testing.T) (*circuitstore.Store, *dynamodb.Client) {
	c := testenv.DynamoClient(t, endpoint)
	return circuitstore.New(c, testenv.CreateCircuitTable(t, c)), c
}

var t0 = time.Date(2026, 11, 27, 0, 10, 39, 123_000_000, time.UTC)

func rawItem(t *testing.T, c *dynamodb.Client, table, service string) circuitstore.Item {
	return testenv.CircuitItem(t, c, table, service)
}

// Every time attribute decodes in both forms a writer can leave: ours (fixed
// width) and Step Functions' (no fraction when the milliseconds are zero,
// which CloseCircuit writes into transitionAt from $$.Execution.StartTime),
// and the next write stores our fixed width again.
func TestTimesDecodeInEitherForm(t *testing.T) {
	at := time.Date(2026, 11, 27, 0, 10, 6, 0, time.UTC)
	for _, attr := range []string{circuit.AttrOpenUntil, circuit.AttrHalfOpenUntil, circuit.AttrDownstreamAlarmAt, circuit.AttrHealthcheckAlarmAt, circuit.AttrTransitionAt} {
		for _, form := range []string{"2026-11-27T00:10:06Z", "2026-11-27T00:10:06.000Z"} {
			c, err := circuitstore.Decode("payments", circuitstore.Item{attr: &types.AttributeValueMemberS{Value: form}})
			require.NoError(t, err)
			got := map[string]time.Time{
				circuit.AttrOpenUntil: c.OpenUntil, circuit.AttrHalfOpenUntil: c.HalfOpenUntil,
				circuit.AttrDownstreamAlarmAt: c.Downstream.ChangedAt, circuit.AttrHealthcheckAlarmAt: c.Healthcheck.ChangedAt,
				circuit.AttrTransitionAt: c.LastTransition.At,
			}[attr]
			assert.True(t, got.Equal(at), "%s = %q decoded as %v", attr, form, got)
			set, _ := circuitstore.Encode(c)
			assert.Equal(t, &types.AttributeValueMemberS{Value: "2026-11-27T00:10:06.000Z"}, set[attr], "%s re-encoded", attr)
		}
	}
}
