package component_test

import (
	"encoding/json"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/component"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/component/statemachine"
)

// enforce: false (shadow mode, docs/shadow-mode.md) changes the definition,
// grants the state machine PutMetricData in the breaker's namespace only, and
// graphs the would-rejects; enforcing mode (the default) has none of it.
func TestShadowModeChangesOnlyWhatDependsOnIt(t *testing.T) {
	withDashboard := func(enforce *bool) func(f userFunctions) component.Args {
		return func(f userFunctions) component.Args {
			a := baseArgs(f)
			a.Dashboard = pulumi.BoolRef(true)
			a.Enforce = enforce
			return a
		}
	}
	for _, tc := range []struct {
		name    string
		enforce *bool
		shadow  bool
	}{{"default", nil, false}, {"enforce true", pulumi.BoolRef(true), false}, {"enforce false", pulumi.BoolRef(false), true}} {
		t.Run(tc.name, func(t *testing.T) {
			rec, _, err := deploy(t, withDashboard(tc.enforce))
			require.NoError(t, err)
			def := definition(t, rec)
			var d struct{ States map[string]json.RawMessage }
			require.NoError(t, json.Unmarshal([]byte(def), &d))
			_, counts := d.States[statemachine.StateCountWouldReject]
			_, rejects := d.States[statemachine.StateRejectOpen]
			require.Equal(t, tc.shadow, counts)
			require.Equal(t, !tc.shadow, rejects)

			p := rolePolicy(t, rec, "state-machine")
			if !tc.shadow {
				require.Len(t, p.Statement, 2)
			} else {
				require.Len(t, p.Statement, 3)
				put := p.Statement[2]
				require.Equal(t, []string{"cloudwatch:PutMetricData"}, put.Action)
				require.Equal(t, []string{"*"}, put.Resource, "PutMetricData takes no resource ARN")
				require.Equal(t, circuit.MetricNamespace, put.Condition["StringEquals"]["cloudwatch:namespace"])
			}

			seen := false
			for _, m := range dashboardMetrics(t, rec.one(t, "aws:cloudwatch/dashboard:Dashboard", "-dashboard").Inputs["dashboardBody"].StringValue()) {
				if m.key == circuit.MetricNamespace+" "+circuit.WouldRejectsMetric {
					require.Equal(t, "payments", m.values[circuit.MetricDimension])
					seen = true
				}
			}
			require.Equal(t, tc.shadow, seen, "would-rejects graphed exactly in shadow mode")
		})
	}
}
