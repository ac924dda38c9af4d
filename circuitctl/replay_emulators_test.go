//go:build emulators

package circuitctl_test

import (
	ziplib "archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit/alarmeval"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuitctl"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/testenv"
	alarmhandler "github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/alarmhandler/config"
)

// minuteLoad is one minute of the downstream's traffic as Lambda publishes it
// (AWS/Lambda Invocations and Errors, per function: Lambda Developer Guide,
// "Types of metrics for Lambda functions"): a minute without invocations has
// no datapoint at all.
type minuteLoad struct{ invocations, errors float64 }

// history is two hours of one function's traffic, 100 calls a minute:
//
//	minutes 20-29  80 of 100 fail   an outage
//	minutes 60-62   5 of 100 fail   a blip: above the count alarm's 1, far below a 50% rate
//	minutes 90-95   4 calls, all failing: a quiet, broken spell below the rate's minimum of 10
func history() map[int]minuteLoad {
	h := map[int]minuteLoad{}
	for m := 0; m < 120; m++ {
		l := minuteLoad{100, 0}
		switch {
		case m >= 20 && m <= 29:
			l.errors = 80
		case m >= 60 && m <= 62:
			l.errors = 5
		case m >= 90 && m <= 95:
			l = minuteLoad{4, 4}
		}
		h[m] = l
	}
	return h
}

// seed puts the history into moto with PutMetricData, one datum per metric
// and minute, at mid-minute. (Real CloudWatch refuses PutMetricData to an
// AWS/ namespace: only Lambda publishes there. moto takes it, which is how
// this test stands in for Lambda.)
func seed(t *testing.T, endpoint, function string, base time.Time, h map[int]minuteLoad) {
	t.Helper()
	cw := motoCloudWatch(endpoint)
	dims := []cwtypes.Dimension{{Name: aws.String("FunctionName"), Value: aws.String(function)}}
	var data []cwtypes.MetricDatum
	flush := func() {
		if len(data) == 0 {
			return
		}
		_, err := cw.PutMetricData(context.Background(), &cloudwatch.PutMetricDataInput{Namespace: aws.String("AWS/Lambda"), MetricData: data})
		require.NoError(t, err)
		data = nil
	}
	for m, l := range h {
		at := base.Add(time.Duration(m)*time.Minute + 30*time.Second)
		data = append(data,
			cwtypes.MetricDatum{MetricName: aws.String("Invocations"), Dimensions: dims, Timestamp: aws.Time(at), Value: aws.Float64(l.invocations), Unit: cwtypes.StandardUnitCount},
			cwtypes.MetricDatum{MetricName: aws.String("Errors"), Dimensions: dims, Timestamp: aws.Time(at), Value: aws.Float64(l.errors), Unit: cwtypes.StandardUnitCount})
		if len(data) >= 500 {
			flush()
		}
	}
	flush()
}

// motoCloudWatch is a CloudWatch client of moto, through cborBridge.
func motoCloudWatch(endpoint string) *cloudwatch.Client {
	return cloudwatch.New(cloudwatch.Options{Region: testenv.FakeRegion, BaseEndpoint: aws.String(endpoint),
		Credentials: credentials.NewStaticCredentialsProvider(testenv.FakeAccessKeyID, testenv.FakeSecretAccessKey, ""),
		HTTPClient:  &http.Client{Transport: cborBridge{endpoint}}})
}

// replayFixture is moto seeded with history() for function "payments", from
// base, a whole hour three hours before the tests' clock.
type replayFixture struct {
	endpoint string
	base     time.Time
	now      time.Time
}

func newReplayFixture(t *testing.T) replayFixture {
	// TestMain sets AWS_PROFILE to "" to hide a developer's profile; moto's
	// botocore, which inherits the environment, takes "" for a profile name
	// and fails every request. Unset, the SDK and botocore both use none.
	if v, ok := os.LookupEnv("AWS_PROFILE"); ok {
		os.Unsetenv("AWS_PROFILE")
		t.Cleanup(func() { os.Setenv("AWS_PROFILE", v) })
	}
	endpoint := testenv.Moto(t)
	// moto keeps what it is given; replay refuses a window more than 15 days
	// old, so the tests' clock is today's.
	now := time.Now().UTC().Truncate(time.Hour)
	base := now.Add(-3 * time.Hour)
	seed(t, endpoint, "payments", base, history())
	return replayFixture{endpoint: endpoint, base: base, now: now}
}

func (f replayFixture) replay(t *testing.T, args ...string) (result, circuitctl.ReplayReport) {
	t.Helper()
	env := circuitctl.Env{Now: func() time.Time { return f.now },
		NewMetrics: func(_ context.Context, c circuitctl.Conn) (circuitctl.MetricsAPI, error) {
			require.Equal(t, f.endpoint, c.EndpointURL)
			return motoCloudWatch(f.endpoint), nil
		}}
	args = append([]string{"replay", "--function", "payments", "--endpoint-url", f.endpoint,
		"--since", f.base.Format(time.RFC3339), "--until", f.base.Add(2 * time.Hour).Format(time.RFC3339)}, args...)
	text := runWith(t, env, args...)
	require.Equal(t, circuitctl.ExitOK, text.code, text)
	js := runWith(t, env, append(args, "--output", "json")...)
	require.Equal(t, circuitctl.ExitOK, js.code, js)
	var rep circuitctl.ReplayReport
	require.NoError(t, json.Unmarshal([]byte(js.stdout), &rep), js.stdout)
	return text, rep
}

type openingWant struct {
	at, closed   int // minutes from base
	failedProbes int
	openFor      []time.Duration
}

func assertOpenings(t *testing.T, f replayFixture, rep circuitctl.ReplayReport, alarm string, want []openingWant) {
	t.Helper()
	require.Len(t, rep.Openings, len(want), "%+v", rep.Openings)
	for i, w := range want {
		op := rep.Openings[i]
		assert.Equal(t, alarm, op.Alarm)
		assert.Equal(t, f.base.Add(time.Duration(w.at)*time.Minute), op.At.UTC(), "opening %d", i+1)
		assert.Equal(t, f.base.Add(time.Duration(w.closed)*time.Minute), op.ClosedAt.UTC(), "opening %d closed", i+1)
		assert.Equal(t, w.failedProbes, op.FailedProbes, "opening %d", i+1)
		assert.Equal(t, w.openFor, op.OpenFor, "opening %d: the back-off of package circuit (60 s doubling)", i+1)
	}
}

// The count alarm with the component's defaults (Errors Sum > 1 in 3 of 3
// one-minute periods) opens in all three spells: the outage (ALARM at the end
// of its third minute, probes failing while 80% of calls fail, so the open
// duration doubles: 60 s, 120 s, 240 s), the blip, and the quiet broken spell.
func TestReplayCountAlarmOnMoto(t *testing.T) {
	f := newReplayFixture(t)
	// REPLAY_EXAMPLE=docs/replay.png (from the repository root) keeps the
	// chart and logs the output: docs/replay.md's example.
	chart := filepath.Join(t.TempDir(), "replay.png")
	if p := os.Getenv("REPLAY_EXAMPLE"); p != "" {
		chart = filepath.Join("..", p)
	}
	text, rep := f.replay(t, "--png", chart)
	assertOpenings(t, f, rep, "downstream", []openingWant{
		{at: 23, closed: 30, failedProbes: 2, openFor: []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute}},
		{at: 63, closed: 64, openFor: []time.Duration{time.Minute}},
		{at: 93, closed: 96, failedProbes: 1, openFor: []time.Duration{time.Minute, 2 * time.Minute}},
	})
	assert.Equal(t, 120, rep.Traffic.Minutes)
	assert.Equal(t, float64(100), rep.Traffic.PeakInvocationsPerMin)
	assert.Empty(t, rep.Warnings)
	for _, want := range []string{"openings it would have caused: 3", "in-line trip", "cannot be replayed", "per-period percentile"} {
		assert.Contains(t, text.stdout, want)
	}
	if os.Getenv("REPLAY_EXAMPLE") != "" {
		t.Logf("example output:\n%s", text.stdout)
	}
}

// The rate alarm (more than 50% errors in 2 of 2 periods of at least 10
// invocations) opens for the outage only: the blip's 5% is below the rate,
// and the quiet spell's 4 calls are below the minimum throughput, so its
// expression is 0 there (IF(invocations >= 10, ..., 0)). The outage's probes
// fail until minute 37: 60 s, 120 s, 240 s, 480 s (below the 600 s cap).
func TestReplayRateAlarmOnMoto(t *testing.T) {
	f := newReplayFixture(t)
	_, rep := f.replay(t, "--mode", "rate", "--error-rate", "50", "--evaluation-periods", "2")
	assertOpenings(t, f, rep, "downstream", []openingWant{
		{at: 22, closed: 37, failedProbes: 3, openFor: []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute}},
	})
	require.Len(t, rep.Alarms, 1)
	assert.Contains(t, rep.Alarms[0].Rule, "IF(invocations >= 10, 100 * errors / invocations, 0)")
	assert.Equal(t, 10, rep.Alarms[0].Breaching, "minutes 20-29")
}

// A minimum throughput above the busiest minute can never be met: replay
// says so, and finds no opening.
func TestReplayWarnsOfUnreachableMinimumOnMoto(t *testing.T) {
	f := newReplayFixture(t)
	text, rep := f.replay(t, "--mode", "rate", "--error-rate", "50", "--minimum-invocations", "500")
	assert.Empty(t, rep.Openings)
	require.Len(t, rep.Warnings, 1)
	assert.Contains(t, rep.Warnings[0], "minimum throughput (500 invocations a period) is above the busiest 1m0s period's 100 invocations")
	assert.Contains(t, text.stdout, "openings: none")

	// A count threshold at the busiest minute's invocations, likewise.
	_, rep = f.replay(t, "--threshold", "100")
	require.Len(t, rep.Warnings, 1)
	assert.Contains(t, rep.Warnings[0], "can never breach on this traffic")
}

// The chart is a PNG of the window.
func TestReplayWritesTheChartOnMoto(t *testing.T) {
	f := newReplayFixture(t)
	path := filepath.Join(t.TempDir(), "charts", "replay.png")
	text, _ := f.replay(t, "--png", path)
	assert.True(t, strings.HasSuffix(strings.TrimSpace(text.stdout), "chart: "+path), text.stdout)
	file, err := os.Open(path)
	require.NoError(t, err)
	defer file.Close()
	img, err := png.Decode(file)
	require.NoError(t, err)
	assert.Equal(t, 1400, img.Bounds().Dx())
}

// motoRole creates an IAM role in moto, which Lambda's CreateFunction checks
// for (moto's put_function). IAM speaks the query protocol; moto picks the
// service from the signing scope.
func motoRole(t *testing.T, endpoint string) string {
	t.Helper()
	form := url.Values{"Action": {"CreateRole"}, "Version": {"2010-05-08"}, "RoleName": {"alarm-handler"},
		"AssumeRolePolicyDocument": {`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`}}
	req, err := http.NewRequest(http.MethodPost, endpoint+"/", strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+testenv.FakeAccessKeyID+"/20261201/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	return "arn:aws:iam::123456789012:role/alarm-handler"
}

// A deployed breaker on moto: its alarm handler (a Lambda function whose
// environment is the alarm handler's Config.Env, as the component renders
// it), its rate alarm (PutMetricAlarm with the component's metric queries
// and RateExpression) and healthcheck alarm. replay --stack reads the
// handler's configuration (GetFunctionConfiguration), then the alarms
// (DescribeAlarms, moto's shape), and replays with the handler's open
// durations: 30 s, x3, capped at 90 s.
func TestReplayDeployedBreakerOnMoto(t *testing.T) {
	f := newReplayFixture(t)
	ctx := context.Background()
	creds := credentials.NewStaticCredentialsProvider(testenv.FakeAccessKeyID, testenv.FakeSecretAccessKey, "")
	fns := lambda.New(lambda.Options{Region: testenv.FakeRegion, BaseEndpoint: aws.String(f.endpoint), Credentials: creds})
	cfg := alarmhandler.Config{TableName: "circuits", ServiceName: "payments", DownstreamAlarmName: "t-downstream-errors", HealthcheckAlarmName: "t-healthcheck-errors",
		Policy:   circuit.Policy{OpenDuration: 30 * time.Second, MaxOpenDuration: 90 * time.Second, BackoffMultiplier: 3},
		TopicArn: "arn:aws:sns:us-east-1:123456789012:t"}
	var zip bytes.Buffer
	zw := ziplib.NewWriter(&zip)
	w, err := zw.Create("bootstrap")
	require.NoError(t, err)
	_, _ = w.Write([]byte("#!/bin/sh\n"))
	require.NoError(t, zw.Close())
	_, err = fns.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("payments-alarm-handler"), Role: aws.String(motoRole(t, f.endpoint)),
		Runtime: ltypes.RuntimeProvidedal2023, Handler: aws.String("bootstrap"), Code: &ltypes.FunctionCode{ZipFile: zip.Bytes()},
		Environment: &ltypes.Environment{Variables: cfg.Env()}})
	require.NoError(t, err)

	cw := motoCloudWatch(f.endpoint)
	dims := []cwtypes.Dimension{{Name: aws.String("FunctionName"), Value: aws.String("payments")}}
	metric := func(id, name string) cwtypes.MetricDataQuery {
		return cwtypes.MetricDataQuery{Id: aws.String(id), ReturnData: aws.Bool(false), MetricStat: &cwtypes.MetricStat{
			Metric: &cwtypes.Metric{Namespace: aws.String("AWS/Lambda"), MetricName: aws.String(name), Dimensions: dims}, Period: aws.Int32(60), Stat: aws.String("Sum")}}
	}
	_, err = cw.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{AlarmName: aws.String("t-downstream-errors"),
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold, Threshold: aws.Float64(50),
		EvaluationPeriods: aws.Int32(2), DatapointsToAlarm: aws.Int32(2), TreatMissingData: aws.String("notBreaching"), ActionsEnabled: aws.Bool(true),
		Metrics: []cwtypes.MetricDataQuery{metric(alarmeval.IDErrors, "Errors"), metric(alarmeval.IDInvocations, "Invocations"),
			{Id: aws.String("rate"), Expression: aws.String(alarmeval.RateExpression(10)), ReturnData: aws.Bool(true)}}})
	require.NoError(t, err)
	_, err = cw.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{AlarmName: aws.String("t-healthcheck-errors"),
		Namespace: aws.String("AWS/Lambda"), MetricName: aws.String("Errors"), Statistic: cwtypes.StatisticSum, Period: aws.Int32(60),
		Dimensions:         []cwtypes.Dimension{{Name: aws.String("FunctionName"), Value: aws.String("payments-health")}},
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold, Threshold: aws.Float64(1), EvaluationPeriods: aws.Int32(1)})
	require.NoError(t, err)

	stack := filepath.Join(t.TempDir(), "outputs.json")
	require.NoError(t, os.WriteFile(stack, []byte(`{"tableName": "circuits", "tableArn": "arn:aws:dynamodb:us-east-1:123456789012:table/circuits", "alarmHandlerName": "payments-alarm-handler"}`), 0o600))
	env := circuitctl.Env{Now: func() time.Time { return f.now },
		NewMetrics:   func(context.Context, circuitctl.Conn) (circuitctl.MetricsAPI, error) { return cw, nil },
		NewFunctions: func(context.Context, circuitctl.Conn) (circuitctl.FunctionsAPI, error) { return fns, nil }}
	r := runWith(t, env, "replay", "--stack", stack, "--endpoint-url", f.endpoint, "--output", "json",
		"--since", f.base.Format(time.RFC3339), "--until", f.base.Add(2*time.Hour).Format(time.RFC3339))
	require.Equal(t, circuitctl.ExitOK, r.code, r)
	var rep circuitctl.ReplayReport
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &rep), r.stdout)
	// The outage (minutes 20-29, 80% failing) alarms at the end of minute
	// 21; probes fail at 22:30, 24:00, 25:30, ... (each minute 80% failing)
	// until the first healthy minute, 30: open 30 s, 90 s, then 90 s (the cap).
	require.Len(t, rep.Openings, 1, "%+v", rep.Openings)
	op := rep.Openings[0]
	assert.Equal(t, "t-downstream-errors", op.Alarm)
	assert.Equal(t, f.base.Add(22*time.Minute), op.At.UTC())
	assert.Equal(t, []time.Duration{30 * time.Second, 90 * time.Second, 90 * time.Second, 90 * time.Second, 90 * time.Second, 90 * time.Second}, op.OpenFor)
	assert.Equal(t, f.base.Add(30*time.Minute), op.ClosedAt.UTC())
	assert.Equal(t, "rate", rep.Alarms[0].Kind)
	assert.Equal(t, "payments", rep.Function)
	require.Len(t, rep.Skipped, 1)
	assert.Contains(t, rep.Skipped[0], "t-healthcheck-errors")
}

// moto's GetMetricData answers in the shape of a recorded CloudWatch
// response (LocalStack's AWS-validated snapshot
// tests/aws/services/cloudwatch/test_cloudwatch.snapshot.json, localstack/localstack
// at 047825aac6954e7f1183da49d3937dcdb41bba9c): "test_get_metric_data_for_multiple_metrics",
// one MetricDataResult per query Id, StatusCode "Complete", Timestamps and
// Values in step; "test_get_metric_with_no_results", a query without data
// is a result with "Values": []. What replay's fetch relies on, checked here
// on the emulator its tests use.
func TestMotoGetMetricDataHasTheRecordedShape(t *testing.T) {
	f := newReplayFixture(t)
	q := func(id, function string) cwtypes.MetricDataQuery {
		return cwtypes.MetricDataQuery{Id: aws.String(id), MetricStat: &cwtypes.MetricStat{
			Metric: &cwtypes.Metric{Namespace: aws.String("AWS/Lambda"), MetricName: aws.String("Invocations"),
				Dimensions: []cwtypes.Dimension{{Name: aws.String("FunctionName"), Value: aws.String(function)}}},
			Period: aws.Int32(60), Stat: aws.String("Sum")}}
	}
	out, err := motoCloudWatch(f.endpoint).GetMetricData(context.Background(), &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(f.base), EndTime: aws.Time(f.base.Add(10 * time.Minute)), ScanBy: cwtypes.ScanByTimestampAscending,
		MetricDataQueries: []cwtypes.MetricDataQuery{q("seeded", "payments"), q("empty", "nobody")}})
	require.NoError(t, err)
	require.Len(t, out.MetricDataResults, 2)
	byID := map[string]cwtypes.MetricDataResult{}
	for _, r := range out.MetricDataResults {
		assert.Equal(t, cwtypes.StatusCodeComplete, r.StatusCode)
		assert.Len(t, r.Values, len(r.Timestamps))
		byID[aws.ToString(r.Id)] = r
	}
	assert.Len(t, byID["seeded"].Values, 10)
	assert.Equal(t, f.base, byID["seeded"].Timestamps[0].UTC(), "a period's datapoint is stamped with the period's start")
	assert.Equal(t, float64(100), byID["seeded"].Values[0])
	assert.Empty(t, byID["empty"].Values)
	assert.Nil(t, out.NextToken)
}

// splitMetrics sends a GetMetricData call's percentile queries to a fake
// (moto has no percentiles: a p99 query answers 500) and the rest to moto,
// and merges the answers: the slow-call alarm's Invocations come from moto,
// its per-minute p99 from the fake, in the recorded shape (replay_test.go).
type splitMetrics struct {
	moto *cloudwatch.Client
	fake *fakeMetrics
}

func (s splitMetrics) GetMetricData(ctx context.Context, in *cloudwatch.GetMetricDataInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error) {
	toMoto, toFake := *in, *in
	toMoto.MetricDataQueries, toFake.MetricDataQueries = nil, nil
	for _, q := range in.MetricDataQueries {
		if _, ok := alarmeval.Percentile(aws.ToString(q.MetricStat.Stat)); ok {
			toFake.MetricDataQueries = append(toFake.MetricDataQueries, q)
		} else {
			toMoto.MetricDataQueries = append(toMoto.MetricDataQueries, q)
		}
	}
	out, err := s.moto.GetMetricData(ctx, &toMoto, opts...)
	if err != nil || len(toFake.MetricDataQueries) == 0 {
		return out, err
	}
	fake, err := s.fake.GetMetricData(ctx, &toFake)
	if err != nil {
		return nil, err
	}
	out.MetricDataResults = append(out.MetricDataResults, fake.MetricDataResults...)
	return out, nil
}

func (s splitMetrics) DescribeAlarms(ctx context.Context, in *cloudwatch.DescribeAlarmsInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error) {
	return s.moto.DescribeAlarms(ctx, in, opts...)
}

// The slow-call alarm on moto's Invocations and a per-minute p99 (above
// 800 ms in 3 of 3 minutes of at least 10 calls): slow minutes 40-44 open
// the circuit at the end of minute 42 for 60 s; the probe at 44:00 meets a
// minute without errors (a slow call is no probe failure) and closes it. The slow minutes 92-94 fall in the quiet spell's 4
// calls a minute, below the minimum: no opening. (The count alarm, with a
// threshold no minute reaches here, opens nothing: --threshold 100 is at
// the busiest minute's 100 calls, which replay also warns of.)
func TestReplaySlowCallAlarmOnMoto(t *testing.T) {
	f := newReplayFixture(t)
	p99 := &fakeMetrics{pageSize: 1000, series: map[string]alarmeval.Values{"Duration p99": {}}}
	for m := 0; m < 120; m++ {
		d := 150.0
		if (m >= 40 && m <= 44) || (m >= 92 && m <= 94) {
			d = 2500
		}
		p99.series["Duration p99"][f.base.Add(time.Duration(m)*time.Minute)] = d
	}
	env := circuitctl.Env{Now: func() time.Time { return f.now },
		NewMetrics: func(context.Context, circuitctl.Conn) (circuitctl.MetricsAPI, error) {
			return splitMetrics{moto: motoCloudWatch(f.endpoint), fake: p99}, nil
		}}
	r := runWith(t, env, "replay", "--function", "payments", "--endpoint-url", f.endpoint, "--output", "json",
		"--since", f.base.Format(time.RFC3339), "--until", f.base.Add(2*time.Hour).Format(time.RFC3339),
		"--threshold", "100", "--slow-threshold-ms", "800")
	require.Equal(t, circuitctl.ExitOK, r.code, r)
	var rep circuitctl.ReplayReport
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &rep), r.stdout)
	require.Len(t, rep.Openings, 1, "%+v", rep.Openings)
	op := rep.Openings[0]
	assert.Equal(t, "slow-calls", op.Alarm)
	assert.Equal(t, circuit.SourceSlowCalls, op.Source)
	assert.Equal(t, f.base.Add(43*time.Minute), op.At.UTC())
	assert.Equal(t, f.base.Add(44*time.Minute), op.ClosedAt.UTC())
	require.Len(t, rep.Alarms, 2)
	assert.Equal(t, 5, rep.Alarms[1].Breaching, "minutes 40-44; 92-94 had 4 calls")
	require.Len(t, rep.Warnings, 1)
	assert.Contains(t, rep.Warnings[0], "downstream: Errors Sum > 100 can never breach")
}
