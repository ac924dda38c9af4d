package alarmeval

import "fmt"

// RateExpression is the rate alarm's metric-math expression: the error
// percentage of a period, or 0 when the period had fewer than minimum
// invocations, so that a quiet period never breaches (and invocations is at
// least 1 wherever it divides). IF is a metric-math function
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html,
// "Metric math syntax and functions"). A period with no invocations has no
// datapoints at all and is missing data: treatMissingData decides it. The
// component deploys it (component.RateExpression) and replay evaluates it.
func RateExpression(minimumInvocations int) string {
	return fmt.Sprintf("IF(invocations >= %d, 100 * errors / invocations, 0)", minimumInvocations)
}

// SlowCallExpression is the slow-call alarm's metric-math expression: the
// period's Duration percentile, or 0 when the period had fewer than minimum
// invocations, so that a quiet period never breaches (the threshold is above
// 0); a period with no invocations has no datapoints and is missing data.
func SlowCallExpression(minimumInvocations int) string {
	return fmt.Sprintf("IF(invocations >= %d, duration, 0)", minimumInvocations)
}

// The ids the component's metric queries use (component/alarms.go), which
// the expressions above read.
const (
	IDErrors      = "errors"
	IDInvocations = "invocations"
	IDDuration    = "duration"
)

// RateQueries are the rate alarm's queries: the Sums of Errors and
// Invocations, and RateExpression, the only one returning data.
func RateQueries(minimumInvocations int) []Query {
	return []Query{
		{ID: IDErrors, MetricName: "Errors", Stat: "Sum"},
		{ID: IDInvocations, MetricName: "Invocations", Stat: "Sum"},
		{ID: "rate", Expression: RateExpression(minimumInvocations), ReturnData: true},
	}
}

// SlowCallQueries are the slow-call alarm's queries: the percentile of
// Duration, the Sum of Invocations, and SlowCallExpression.
func SlowCallQueries(percentile string, minimumInvocations int) []Query {
	return []Query{
		{ID: IDDuration, MetricName: "Duration", Stat: percentile},
		{ID: IDInvocations, MetricName: "Invocations", Stat: "Sum"},
		{ID: "slow", Expression: SlowCallExpression(minimumInvocations), ReturnData: true},
	}
}
