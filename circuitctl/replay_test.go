package circuitctl_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit/alarmeval"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuitctl"
	alarmhandler "github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/alarmhandler/config"
)

// fakeMetrics answers GetMetricData from per-minute series, in the shape a
// recorded CloudWatch response has: LocalStack's AWS-validated snapshot
// tests/aws/services/cloudwatch/test_cloudwatch.snapshot.json (localstack/localstack
// at 047825aac6954e7f1183da49d3937dcdb41bba9c), "test_get_metric_data_for_multiple_metrics":
// {"Messages": [], "MetricDataResults": [{"Id", "Label", "StatusCode": "Complete",
// "Timestamps", "Values"}, ...]}, one result per query Id with its Timestamps
// and Values in step, and "test_get_metric_with_no_results": a query without
// data is a result with "Values": [] (a period without data is absent, never
// a 0). A page holds at most pageSize datapoints per result; the rest follows
// with NextToken, each page but the last "PartialData" (CloudWatch API
// Reference, GetMetricData: NextToken, and MetricDataResult.StatusCode).
// moto cannot stand in here: its GetMetricData answers a percentile stat with
// a 500 (its statistics are Sum, Average, Minimum, Maximum and SampleCount).
type fakeMetrics struct {
	// series[metric+" "+stat] are the values by minute.
	series   map[string]alarmeval.Values
	pageSize int
	requests []*cloudwatch.GetMetricDataInput
	alarms   []cwtypes.MetricAlarm
}

func (f *fakeMetrics) GetMetricData(_ context.Context, in *cloudwatch.GetMetricDataInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error) {
	f.requests = append(f.requests, in)
	offset := 0
	if in.NextToken != nil {
		fmt.Sscanf(*in.NextToken, "page-%d", &offset)
	}
	out := &cloudwatch.GetMetricDataOutput{Messages: []cwtypes.MessageData{}}
	more := false
	for _, q := range in.MetricDataQueries {
		ms := q.MetricStat
		if aws.ToInt32(ms.Period) != 60 {
			return nil, fmt.Errorf("fake serves one-minute data only")
		}
		v := f.series[aws.ToString(ms.Metric.MetricName)+" "+aws.ToString(ms.Stat)]
		var ts []time.Time
		for t := range v {
			if !t.Before(*in.StartTime) && t.Before(*in.EndTime) {
				ts = append(ts, t)
			}
		}
		sort.Slice(ts, func(i, j int) bool { return ts[i].Before(ts[j]) })
		if in.ScanBy != cwtypes.ScanByTimestampAscending {
			return nil, fmt.Errorf("replay asks for ascending timestamps")
		}
		end := min(len(ts), offset+f.pageSize)
		r := cwtypes.MetricDataResult{Id: q.Id, Label: ms.Metric.MetricName, StatusCode: cwtypes.StatusCodeComplete, Timestamps: []time.Time{}, Values: []float64{}}
		if offset < len(ts) {
			for _, t := range ts[offset:end] {
				r.Timestamps = append(r.Timestamps, t)
				r.Values = append(r.Values, v[t])
			}
		}
		if end < len(ts) {
			r.StatusCode, more = cwtypes.StatusCodePartialData, true
		}
		out.MetricDataResults = append(out.MetricDataResults, r)
	}
	if more {
		out.NextToken = aws.String(fmt.Sprintf("page-%d", offset+f.pageSize))
	}
	return out, nil
}

func (f *fakeMetrics) DescribeAlarms(_ context.Context, in *cloudwatch.DescribeAlarmsInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error) {
	out := &cloudwatch.DescribeAlarmsOutput{}
	for _, a := range f.alarms {
		for _, n := range in.AlarmNames {
			if n == aws.ToString(a.AlarmName) {
				out.MetricAlarms = append(out.MetricAlarms, a)
			}
		}
	}
	return out, nil
}

var replayBase = time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)

// minutes sets series[key] from minute 0 for n minutes with f(m); f's ok
// false leaves a minute without a datapoint.
func (f *fakeMetrics) minutes(key string, n int, v func(m int) (float64, bool)) {
	if f.series == nil {
		f.series = map[string]alarmeval.Values{}
	}
	s := alarmeval.Values{}
	for m := 0; m < n; m++ {
		if x, ok := v(m); ok {
			s[replayBase.Add(time.Duration(m)*time.Minute)] = x
		}
	}
	f.series[key] = s
}

// slowHistory: 100 calls a minute for an hour, no errors; the p99 is 1,500
// ms in minutes 10-14, and 3,000 ms in minutes 30-35, when only 5 calls a
// minute came (below the minimum of 10: the slow-call expression is 0 there).
func slowHistory(pageSize int) *fakeMetrics {
	f := &fakeMetrics{pageSize: pageSize}
	inv := func(m int) (float64, bool) {
		if m >= 30 && m <= 35 {
			return 5, true
		}
		return 100, true
	}
	f.minutes("Invocations Sum", 60, inv)
	f.minutes("Errors Sum", 60, func(int) (float64, bool) { return 0, true })
	f.minutes("Duration p99", 60, func(m int) (float64, bool) {
		switch {
		case m >= 10 && m <= 14:
			return 1500, true
		case m >= 30 && m <= 35:
			return 3000, true
		}
		return 120, true
	})
	return f
}

func replayEnv(cw circuitctl.MetricsAPI, fns circuitctl.FunctionsAPI) circuitctl.Env {
	return circuitctl.Env{
		Now:          func() time.Time { return replayBase.Add(2 * time.Hour) },
		NewMetrics:   func(context.Context, circuitctl.Conn) (circuitctl.MetricsAPI, error) { return cw, nil },
		NewFunctions: func(context.Context, circuitctl.Conn) (circuitctl.FunctionsAPI, error) { return fns, nil },
	}
}

var replayWindowArgs = []string{"--since", replayBase.Format(time.RFC3339), "--until", replayBase.Add(time.Hour).Format(time.RFC3339)}

func replayJSON(t *testing.T, env circuitctl.Env, args ...string) circuitctl.ReplayReport {
	t.Helper()
	r := runWith(t, env, append(append([]string{"replay"}, args...), append(replayWindowArgs, "--output", "json")...)...)
	require.Equal(t, circuitctl.ExitOK, r.code, r)
	var rep circuitctl.ReplayReport
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &rep), r.stdout)
	return rep
}

// The slow-call alarm (p99 above 800 ms in 3 of 3 minutes of at least 10
// calls) opens at the end of minute 12, and its probe at minute 14 succeeds
// (no errors: a slow call is no probe failure); the later, slower minutes
// have too few calls to count. Replay reads CloudWatch's own p99 per minute.
func TestReplaySlowCallsFromPerMinutePercentiles(t *testing.T) {
	for _, pageSize := range []int{1000, 7} {
		t.Run(fmt.Sprintf("page of %d", pageSize), func(t *testing.T) {
			f := slowHistory(pageSize)
			rep := replayJSON(t, replayEnv(f, nil), "--function", "payments", "--slow-threshold-ms", "800")
			require.Len(t, rep.Openings, 1, "%+v", rep.Openings)
			op := rep.Openings[0]
			assert.Equal(t, circuit.SourceSlowCalls, op.Source)
			assert.Equal(t, "slow-calls", op.Alarm)
			assert.Equal(t, replayBase.Add(13*time.Minute), op.At.UTC())
			assert.Equal(t, replayBase.Add(14*time.Minute), op.ClosedAt.UTC())
			assert.Equal(t, []time.Duration{time.Minute}, op.OpenFor)
			require.Len(t, rep.Alarms, 2)
			assert.Equal(t, 5, rep.Alarms[1].Breaching, "minutes 10-14; 30-35 are below the minimum")
			assert.Empty(t, rep.Warnings)

			// The query asked CloudWatch for its p99 per minute, with the
			// function's dimension.
			var stats []string
			for _, q := range f.requests[0].MetricDataQueries {
				stats = append(stats, aws.ToString(q.MetricStat.Metric.MetricName)+" "+aws.ToString(q.MetricStat.Stat))
				assert.Equal(t, "payments", aws.ToString(q.MetricStat.Metric.Dimensions[0].Value))
			}
			assert.ElementsMatch(t, []string{"Invocations Sum", "Errors Sum", "Duration p99"}, stats)
			if pageSize < 60 {
				assert.Equal(t, 9, rep.GetMetricDataCalls, "60 datapoints in pages of 7")
				assert.Equal(t, "page-7", aws.ToString(f.requests[1].NextToken))
			} else {
				assert.Equal(t, 1, rep.GetMetricDataCalls)
			}
		})
	}
}

// A percentile alarm whose minimum is above the busiest minute can never
// breach; replay says so.
func TestReplayWarnsOfUnreachableSlowCallMinimum(t *testing.T) {
	rep := replayJSON(t, replayEnv(slowHistory(1000), nil), "--function", "payments", "--slow-threshold-ms", "800", "--slow-minimum-invocations", "150")
	assert.Empty(t, rep.Openings)
	require.Len(t, rep.Warnings, 1)
	assert.Contains(t, rep.Warnings[0], "slow-calls: the minimum throughput (150 invocations a period) is above the busiest 1m0s period's 100 invocations")
}

// No datapoints at all (the recorded "Values": [] of every query): a
// warning, no opening.
func TestReplayWithoutData(t *testing.T) {
	rep := replayJSON(t, replayEnv(&fakeMetrics{pageSize: 100}, nil), "--function", "nobody")
	assert.Empty(t, rep.Openings)
	require.Len(t, rep.Warnings, 1)
	assert.Contains(t, rep.Warnings[0], "no Invocations datapoints at all")
}

// fakeFunctions holds one deployed alarm handler.
type fakeFunctions struct {
	name string
	env  map[string]string
}

func (f fakeFunctions) GetFunctionConfiguration(_ context.Context, in *lambda.GetFunctionConfigurationInput, _ ...func(*lambda.Options)) (*lambda.GetFunctionConfigurationOutput, error) {
	if aws.ToString(in.FunctionName) != f.name {
		return nil, &ltypes.ResourceNotFoundException{Message: aws.String("Function not found: " + aws.ToString(in.FunctionName))}
	}
	return &lambda.GetFunctionConfigurationOutput{FunctionName: aws.String(f.name), Environment: &ltypes.EnvironmentResponse{Variables: f.env}}, nil
}

func (f fakeFunctions) ListFunctions(context.Context, *lambda.ListFunctionsInput, ...func(*lambda.Options)) (*lambda.ListFunctionsOutput, error) {
	return &lambda.ListFunctionsOutput{Functions: []ltypes.FunctionConfiguration{
		{FunctionName: aws.String("someone-else"), Environment: &ltypes.EnvironmentResponse{Variables: map[string]string{"TABLE_NAME": "x"}}},
		{FunctionName: aws.String(f.name), Environment: &ltypes.EnvironmentResponse{Variables: f.env}},
	}}, nil
}

// A deployed breaker: the alarm handler's own configuration (written here by
// its Config.Env, as the component renders it) gives the open durations and
// the alarms' names; DescribeAlarms gives the alarms as the component
// defines them (a rate alarm: metric queries with RateExpression; the
// healthcheck alarm is not replayed). The outage of slowHistory has no
// errors, so here errors come in minutes 20-24.
func TestReplayDeployedBreaker(t *testing.T) {
	f := slowHistory(1000)
	f.minutes("Errors Sum", 60, func(m int) (float64, bool) {
		if m >= 20 && m <= 24 {
			return 90, true
		}
		return 0, true
	})
	dims := []cwtypes.Dimension{{Name: aws.String("FunctionName"), Value: aws.String("payments")}}
	metric := func(id, name string) cwtypes.MetricDataQuery {
		return cwtypes.MetricDataQuery{Id: aws.String(id), ReturnData: aws.Bool(false), MetricStat: &cwtypes.MetricStat{
			Metric: &cwtypes.Metric{Namespace: aws.String("AWS/Lambda"), MetricName: aws.String(name), Dimensions: dims}, Period: aws.Int32(60), Stat: aws.String("Sum")}}
	}
	f.alarms = []cwtypes.MetricAlarm{
		{AlarmName: aws.String("t-downstream-errors"), ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold, Threshold: aws.Float64(50),
			EvaluationPeriods: aws.Int32(2), DatapointsToAlarm: aws.Int32(2), TreatMissingData: aws.String("notBreaching"), ActionsEnabled: aws.Bool(true),
			Metrics: []cwtypes.MetricDataQuery{metric("errors", "Errors"), metric("invocations", "Invocations"),
				{Id: aws.String("rate"), Expression: aws.String(alarmeval.RateExpression(10)), ReturnData: aws.Bool(true)}}},
		{AlarmName: aws.String("t-healthcheck-errors"), Namespace: aws.String("AWS/Lambda"), MetricName: aws.String("Errors"), Statistic: cwtypes.StatisticSum,
			Dimensions: []cwtypes.Dimension{{Name: aws.String("FunctionName"), Value: aws.String("payments-health")}}, Period: aws.Int32(60),
			ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold, Threshold: aws.Float64(1), EvaluationPeriods: aws.Int32(1)},
	}
	cfg := alarmhandler.Config{TableName: "circuits", ServiceName: "payments", DownstreamAlarmName: "t-downstream-errors", HealthcheckAlarmName: "t-healthcheck-errors",
		Policy:   circuit.Policy{OpenDuration: 30 * time.Second, MaxOpenDuration: 90 * time.Second, BackoffMultiplier: 3},
		TopicArn: "arn:aws:sns:us-east-1:123456789012:t"}
	fns := fakeFunctions{name: "payments-alarm-handler", env: cfg.Env()}

	check := func(rep circuitctl.ReplayReport) {
		require.Len(t, rep.Openings, 1, "%+v", rep.Openings)
		op := rep.Openings[0]
		assert.Equal(t, "t-downstream-errors", op.Alarm)
		// ALARM at the end of minute 21; probes fail at 22:30 and 24:00
		// (90% errors in their minutes) and succeed at 25:30: open 30 s,
		// then x3 = 90 s, then 270 s capped at 90 s.
		assert.Equal(t, replayBase.Add(22*time.Minute), op.At.UTC())
		assert.Equal(t, []time.Duration{30 * time.Second, 90 * time.Second, 90 * time.Second}, op.OpenFor)
		assert.Equal(t, 2, op.FailedProbes)
		assert.Equal(t, replayBase.Add(25*time.Minute+30*time.Second), op.ClosedAt.UTC())
		assert.Equal(t, "rate", rep.Alarms[0].Kind)
		assert.Contains(t, rep.Settings, "payments-alarm-handler")
		require.Len(t, rep.Skipped, 1)
		assert.Contains(t, rep.Skipped[0], "t-healthcheck-errors")
	}
	dir := t.TempDir()
	stack := dir + "/outputs.json"
	require.NoError(t, os.WriteFile(stack, []byte(`{"breaker": {"tableName": "circuits", "tableArn": "arn:aws:dynamodb:us-east-1:123456789012:table/circuits", "alarmHandlerName": "payments-alarm-handler"}}`), 0o600))
	check(replayJSON(t, replayEnv(f, fns), "--stack", stack))
	check(replayJSON(t, replayEnv(f, fns), "--table", "circuits", "--service", "payments"))

	r := runWith(t, replayEnv(f, fns), append([]string{"replay", "--table", "circuits", "--service", "refunds"}, replayWindowArgs...)...)
	assert.Equal(t, circuitctl.ExitCircuitNotFound, r.code, r)
	assert.Contains(t, r.stderr, "no alarm handler in this account and region serves table circuits and service refunds")

	wrong := dir + "/wrong.json"
	require.NoError(t, os.WriteFile(wrong, []byte(`{"tableName": "circuits", "alarmHandlerName": "nobody"}`), 0o600))
	r = runWith(t, replayEnv(f, fns), append([]string{"replay", "--stack", wrong}, replayWindowArgs...)...)
	assert.Equal(t, circuitctl.ExitCircuitNotFound, r.code, r)
	assert.Contains(t, r.stderr, "alarmHandlerName names no function")
}

func TestReplayRefusesBadInput(t *testing.T) {
	env := replayEnv(&fakeMetrics{pageSize: 10}, nil)
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "replay needs --function NAME"},
		{[]string{"--function", "f", "--stack", "x"}, "not both"},
		{[]string{"--stack", "x", "--threshold", "3"}, "--threshold proposes a setting and applies with --function only"},
		{[]string{"--table", "t"}, "needs both --table and --service"},
		{[]string{"--function", "f", "--mode", "rate"}, "--mode rate needs --error-rate PCT"},
		{[]string{"--function", "f", "--error-rate", "5"}, "--error-rate applies with --mode rate only"},
		{[]string{"--function", "f", "--mode", "rate", "--error-rate", "5", "--threshold", "2"}, "--threshold does not apply with --mode rate"},
		{[]string{"--function", "f", "--period", "90"}, "--period 90: replay reads one-minute data"},
		{[]string{"--function", "f", "--slow-percentile", "p90"}, "need --slow-threshold-ms"},
		{[]string{"--function", "f", "--slow-threshold-ms", "100", "--slow-percentile", "q9"}, "--slow-percentile \"q9\""},
		{[]string{"--function", "f", "--datapoints-to-alarm", "4"}, "DatapointsToAlarm (4) <= EvaluationPeriods (3)"},
		{[]string{"--function", "f", "--treat-missing-data", "zero"}, "TreatMissingData \"zero\""},
		{[]string{"--function", "f", "--open-duration-seconds", "0"}, "--open-duration-seconds"},
		{[]string{"--function", "f", "--since", "20d"}, "more than 15 days ago"},
		{[]string{"--function", "f", "--since", "yesterday"}, "--since \"yesterday\""},
		{[]string{"--function", "f", "extra"}, "replay takes flags only"},
	} {
		args := append([]string{"replay"}, c.args...)
		if !strings.Contains(strings.Join(c.args, " "), "--since") {
			args = append(args, replayWindowArgs...)
		}
		r := runWith(t, env, args...)
		assert.Equal(t, circuitctl.ExitUsage, r.code, "%v: %s", c.args, r)
		assert.Contains(t, r.stderr, c.want, "%v", c.args)
	}
	r := runWith(t, env, "replay", "--help")
	assert.Equal(t, circuitctl.ExitOK, r.code)
	assert.Contains(t, r.stdout, "in-line trip")
}
