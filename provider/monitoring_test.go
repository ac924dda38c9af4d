package provider_test

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/stretchr/testify/require"
)

// Issue 10, bullets 1, 2 and 5 through Construct, as an SDK sends them: the
// nested slowCallMonitoring object with the schema's defaults filled in, the
// rate mode, and onStoreError.
func TestConstructTakesRateSlowCallsAndStoreErrors(t *testing.T) {
	e := &engine{}
	_, err := construct(t, e, map[string]property.Value{
		"serviceName":         property.New("payments"),
		"downstreamFunction":  functionRef("payments"),
		"healthcheckFunction": functionRef("payments-health"),
		"onStoreError":        property.New("failClosed"),
		"downstreamMonitoring": property.New(map[string]property.Value{
			"mode": property.New("rate"), "errorRatePercent": property.New(20.0), "minimumInvocations": property.New(50.0),
		}),
		"slowCallMonitoring": property.New(map[string]property.Value{
			"thresholdMs": property.New(800.0), "percentile": property.New("p99"), "period": property.New(60.0),
			"evaluationPeriods": property.New(3.0), "treatMissingData": property.New("notBreaching"), "actionsEnabled": property.New(true),
			"minimumInvocations": property.New(20.0),
		}),
	})
	require.NoError(t, err)
	down := e.children["breaker-downstream-errors"].Inputs
	require.False(t, down.Get("metricName").IsString())
	queries := down.Get("metricQueries").AsArray()
	require.Equal(t, 3, queries.Len())
	var expr string
	for _, q := range queries.AsSlice() {
		if q.AsMap().Get("id").AsString() == "rate" {
			expr = q.AsMap().Get("expression").AsString()
		}
	}
	require.Equal(t, "IF(invocations >= 50, 100 * errors / invocations, 0)", expr)
	slow := e.children["breaker-downstream-slow-calls"].Inputs
	require.False(t, slow.Get("extendedStatistic").IsString(), "a metric-math alarm: the percentile is its Duration query's stat")
	exprs := map[string]string{}
	for _, q := range slow.Get("metricQueries").AsArray().AsSlice() {
		m := q.AsMap()
		if m.Get("expression").IsString() {
			exprs[m.Get("id").AsString()] = m.Get("expression").AsString()
		} else {
			exprs[m.Get("id").AsString()] = m.Get("metric").AsMap().Get("stat").AsString()
		}
	}
	require.Equal(t, map[string]string{"duration": "p99", "invocations": "Sum", "slow": "IF(invocations >= 20, duration, 0)"}, exprs)
	require.Equal(t, 800.0, slow.Get("threshold").AsNumber())
	require.Contains(t, e.children["breaker-state-machine"].Inputs.Get("definition").AsString(), `"CircuitUnavailable"`)

	_, err = construct(t, &engine{}, map[string]property.Value{
		"serviceName":         property.New("payments"),
		"downstreamFunction":  functionRef("payments"),
		"healthcheckFunction": functionRef("payments-health"),
		"slowCallMonitoring":  property.New(map[string]property.Value{"thresholdMs": property.New(40000.0)}),
	})
	require.Contains(t, propertyErrors(t, err)["slowCallMonitoring.thresholdMs"], "not below downstreamTimeoutSeconds (30 s = 30000 ms)")
}
