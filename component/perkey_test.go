package component_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/component"
)

func keyedArgs(f userFunctions) component.Args {
	a := baseArgs(f)
	a.CircuitKey = pulumi.StringRef("$.provider")
	return a
}

// Per-key circuits keep the IAM grants to this breaker's items: its own
// ("payments") and its keys' ("payments#<key>"), never another breaker's
// sharing the table ('#' never occurs in a service name, so "payments#*"
// cannot match "payments-eu" or "paymentsx"). Only the state machine and the
// controller write keys' items; the alarm handler keeps its one item.
func TestPerKeyGrantsStayOnThisBreakersKeys(t *testing.T) {
	rec, _, err := deploy(t, keyedArgs)
	require.NoError(t, err)
	tableArn := rec.state(t, "aws:dynamodb/table:Table", "-table", "arn")
	keyed := []any{"payments", "payments#*"}

	sm := rolePolicy(t, rec, "state-machine").Statement[0]
	require.Equal(t, []string{"dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:BatchGetItem"}, sm.Action)
	require.Equal(t, []string{tableArn}, sm.Resource)
	require.Equal(t, map[string]map[string]any{"ForAllValues:StringLike": {"dynamodb:LeadingKeys": keyed}}, sm.Condition)

	ctl := rolePolicy(t, rec, "controller").Statement[0]
	require.Equal(t, []string{"dynamodb:GetItem", "dynamodb:UpdateItem"}, ctl.Action)
	require.Equal(t, map[string]map[string]any{"ForAllValues:StringLike": {"dynamodb:LeadingKeys": keyed}}, ctl.Condition)

	ah := rolePolicy(t, rec, "alarm-handler").Statement[0]
	require.Equal(t, map[string]map[string]any{"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": []any{"payments"}}}, ah.Condition)

	// What those patterns admit, by IAM's StringLike rules ('*' any run).
	for item, want := range map[string]bool{"payments": true, "payments#acme": true, "payments#": true, "payments-eu": false, "paymentsx": false, "payments-eu#acme": false} {
		require.Equal(t, want, stringLikeAny(keyed, item), item)
	}

	def := definition(t, rec)
	require.Contains(t, def, `"Resource": "arn:aws:states:::aws-sdk:dynamodb:batchGetItem"`)
	// Issue 14 item 5: the state machine's role has exactly the DynamoDB
	// actions its definition calls, no more (GetItem: reading the breaker's
	// item alone when the keyed read fails or is partial).
	require.ElementsMatch(t, dynamoActionsOf(t, def), sm.Action)
	require.ElementsMatch(t, []string{"dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:BatchGetItem"}, sm.Action)
	require.Contains(t, def, `States.Format('payments#{}', $.Circuit.key)`)
}

// dynamoActionsOf is the IAM actions the definition's DynamoDB Tasks need:
// each integration's action is the API's (Step Functions Developer Guide,
// "IAM policies for DynamoDB"; the AWS SDK integration calls the API itself).
func dynamoActionsOf(t *testing.T, def string) []string {
	t.Helper()
	var asl struct{ States map[string]map[string]any }
	require.NoError(t, json.Unmarshal([]byte(def), &asl))
	needs := map[string]string{
		"arn:aws:states:::aws-sdk:dynamodb:batchGetItem": "dynamodb:BatchGetItem",
		"arn:aws:states:::aws-sdk:dynamodb:getItem":      "dynamodb:GetItem",
		"arn:aws:states:::dynamodb:getItem":              "dynamodb:GetItem",
		"arn:aws:states:::dynamodb:updateItem":           "dynamodb:UpdateItem",
	}
	var used []string
	for name, st := range asl.States {
		r, _ := st["Resource"].(string)
		if !strings.Contains(r, "dynamodb") {
			continue
		}
		action, ok := needs[r]
		require.True(t, ok, "state %s uses %s", name, r)
		if !slices.Contains(used, action) {
			used = append(used, action)
		}
	}
	return used
}

// Without circuitKey the grants are exactly today's.
func TestPlainGrantsUnchangedByPerKey(t *testing.T) {
	rec, _, err := deploy(t, baseArgs)
	require.NoError(t, err)
	for _, role := range []string{"state-machine", "controller"} {
		st := rolePolicy(t, rec, role).Statement[0]
		require.Equal(t, []string{"dynamodb:GetItem", "dynamodb:UpdateItem"}, st.Action, role)
		require.Equal(t, map[string]map[string]any{"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": []any{"payments"}}}, st.Condition, role)
	}
	require.NotContains(t, definition(t, rec), "batchGetItem")
	require.ElementsMatch(t, dynamoActionsOf(t, definition(t, rec)), rolePolicy(t, rec, "state-machine").Statement[0].Action)
}

// A circuitKey the definition cannot use is refused at preview, naming the
// field and the fix.
func TestCircuitKeyValidatedAtPreview(t *testing.T) {
	for _, bad := range []string{"provider", "$..provider", "$['provider']", "$.a[0]"} {
		_, err := component.Resolve(component.Args{ServiceName: "payments", DownstreamFunction: nilFn(), HealthcheckFunction: nilFn(),
			CircuitKey: pulumi.StringRef(bad)})
		require.Error(t, err, bad)
		require.Contains(t, err.Error(), "circuitKey")
		require.Contains(t, err.Error(), `"$.provider"`)
	}
	s, err := component.Resolve(component.Args{ServiceName: "payments", DownstreamFunction: nilFn(), HealthcheckFunction: nilFn(),
		CircuitKey: pulumi.StringRef("$.payment.provider")})
	require.NoError(t, err)
	require.Equal(t, "$.payment.provider", s.CircuitKey)
}

// stringLikeAny is IAM's StringLike for patterns with '*' only.
func stringLikeAny(patterns []any, s string) bool {
	for _, p := range patterns {
		parts := strings.Split(p.(string), "*")
		if len(parts) == 1 {
			if s == parts[0] {
				return true
			}
			continue
		}
		if strings.HasPrefix(s, parts[0]) && strings.HasSuffix(s[len(parts[0]):], parts[len(parts)-1]) {
			return true
		}
	}
	return false
}
