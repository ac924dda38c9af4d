package circuitctl

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit/alarmeval"
)

// Fuzz tests of what circuitctl parses besides its command line
// (args_fuzz_test.go): replay's flags and times, the stack outputs file
// (--stack) and the deployed alarms replay reads back from CloudWatch.
// docs/fuzzing.md lists the targets and what they found.

var fzNow = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)

// isUsage reports whether err is a usage error (exit 1, nothing sent).
func isUsage(err error) bool {
	var ee *exitError
	return errors.As(err, &ee) && ee.code == ExitUsage
}

// FuzzReplayFlags: replay's arguments (NUL between them), parsed, turned
// into the proposed alarms and the window, and the alarms replayed over
// the window's last two hours with no data. Whatever the flags say, no
// panic, no exhausted memory, and every refusal is a usage error. Seeds:
// docs/replay.md's and the usage text's command lines.
func FuzzReplayFlags(f *testing.F) {
	for _, s := range []string{
		"--function\x00payments",
		"--function\x00payments\x00--qualifier\x00live\x00--mode\x00rate\x00--error-rate\x0020\x00--since\x0072h",
		"--function\x00payments\x00--threshold\x005\x00--evaluation-periods\x003\x00--datapoints-to-alarm\x002\x00--since\x0014d",
		"--function\x00payments\x00--slow-threshold-ms\x00800\x00--slow-percentile\x00p99.9\x00--since\x002026-12-01T00:00:00Z\x00--until\x002026-12-02T00:00:00Z",
		"--function\x00payments\x00--period\x00300\x00--treat-missing-data\x00breaching\x00--open-duration-seconds\x0030\x00--open-backoff-multiplier\x002",
		"--function\x00payments\x00--evaluation-periods\x002147483647\x00--datapoints-to-alarm\x001",
		"--function\x00payments\x00--since\x000.5d\x00--until\x001h",
		"--stack\x00outputs.json", "--table\x00circuits\x00--service\x00payments",
		"--function\x00payments\x00--table\x00circuits", "--help", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		args := strings.Split(line, "\x00")
		if line == "" {
			args = nil
		}
		o, err := parseReplay(args)
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		if err != nil {
			if !isUsage(err) {
				t.Fatalf("refused with %T, not a usage error: %v", err, err)
			}
			return
		}
		if o.function == "" {
			return // a deployed breaker: its alarms come from CloudWatch (FuzzDeployedAlarm)
		}
		plan, err := proposedPlan(o)
		if err != nil {
			if !isUsage(err) {
				t.Fatalf("plan refused with %T, not a usage error: %v", err, err)
			}
			return
		}
		var periods []time.Duration
		for _, a := range plan.Alarms {
			periods = append(periods, a.Rule.Period)
		}
		from, until, err := replayWindow(o, fzNow, periods)
		if err != nil {
			if !isUsage(err) {
				t.Fatalf("window refused with %T, not a usage error: %v", err, err)
			}
			return
		}
		if !from.Before(until) || until.After(fzNow) {
			t.Fatalf("window %v to %v with now %v", from, until, fzNow)
		}
		if last := until.Add(-2 * time.Hour); from.Before(last) {
			from = last
		}
		for _, a := range plan.Alarms {
			if _, _, err := alarmeval.Replay(a.Name, a.Rule, nil, from, until); err != nil {
				t.Fatalf("a planned alarm does not replay: %v", err)
			}
		}
	})
}

// FuzzStackOutputs: the file --stack reads (`pulumi stack output --json`)
// and the circuit asked for. Whatever the file holds, no panic; it gives a
// table name or a usage error that says what to export.
func FuzzStackOutputs(f *testing.F) {
	for _, s := range []string{
		`{"tableName":"circuits","tableArn":"arn:aws:dynamodb:eu-west-1:123456789012:table/circuits","alarmHandlerName":"payments-alarm-handler"}`,
		`{"payments":{"tableName":"circuits","serviceName":"payments"},"orders":{"tableName":"circuits","serviceName":"orders"}}`,
		`{"breaker":{"tableName":"circuits","tableArn":"arn:aws:dynamodb:us-east-1:123456789012:table/circuits"}}`,
		`{"tableName":1}`, `[]`, `null`, `{"a":{"b":{}}}`, `{"tableArn":"arn:aws"}`,
	} {
		f.Add([]byte(s), "")
		f.Add([]byte(s), "payments#customer-42")
	}
	f.Fuzz(func(t *testing.T, content []byte, service string) {
		path := filepath.Join(t.TempDir(), StackOutputsFile)
		if err := os.WriteFile(path, content, 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := readStack(path, service)
		switch {
		case err != nil && !isUsage(err):
			t.Fatalf("refused with %T, not a usage error: %v", err, err)
		case err == nil && s.TableName == "":
			t.Fatal("accepted outputs without a table name")
		case err == nil:
			_ = regionOfArn(s.TableArn)
		}
	})
}

// deployedAlarmSeeds are the alarms the component creates, as DescribeAlarms
// returns them (aws-sdk-go-v2 cloudwatch types.MetricAlarm, the fields of
// LocalStack's AWS-validated snapshot tests/aws/services/cloudwatch/
// test_cloudwatch.snapshot.json "describe_alarm"): the count alarm, the rate
// alarm and the slow-call alarm, whose expressions are alarmeval's.
func deployedAlarmSeeds() []cwtypes.MetricAlarm {
	dims := []cwtypes.Dimension{{Name: aws.String("FunctionName"), Value: aws.String("payments")}, {Name: aws.String("Resource"), Value: aws.String("payments:live")}}
	stat := func(id, metric, s string) cwtypes.MetricDataQuery {
		return cwtypes.MetricDataQuery{Id: aws.String(id), ReturnData: aws.Bool(false), MetricStat: &cwtypes.MetricStat{
			Metric: &cwtypes.Metric{Namespace: aws.String("AWS/Lambda"), MetricName: aws.String(metric), Dimensions: dims}, Period: aws.Int32(60), Stat: aws.String(s)}}
	}
	expr := func(e string) cwtypes.MetricDataQuery {
		return cwtypes.MetricDataQuery{Id: aws.String("e1"), Expression: aws.String(e), ReturnData: aws.Bool(true)}
	}
	return []cwtypes.MetricAlarm{
		{AlarmName: aws.String("payments-breaker-downstream-errors"), Namespace: aws.String("AWS/Lambda"), MetricName: aws.String("Errors"),
			Dimensions: dims, Statistic: cwtypes.StatisticSum, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1), DatapointsToAlarm: aws.Int32(1),
			Threshold: aws.Float64(1), ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold, TreatMissingData: aws.String("notBreaching"),
			ActionsEnabled: aws.Bool(true), StateValue: cwtypes.StateValueOk},
		{AlarmName: aws.String("payments-breaker-downstream-error-rate"), EvaluationPeriods: aws.Int32(3), DatapointsToAlarm: aws.Int32(2),
			Threshold: aws.Float64(20), ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold, TreatMissingData: aws.String("missing"),
			Metrics: []cwtypes.MetricDataQuery{stat("errors", "Errors", "Sum"), stat("invocations", "Invocations", "Sum"), expr(alarmeval.RateExpression(10))}},
		{AlarmName: aws.String("payments-breaker-slow-calls"), EvaluationPeriods: aws.Int32(3), DatapointsToAlarm: aws.Int32(3),
			Threshold: aws.Float64(800), ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold, TreatMissingData: aws.String("notBreaching"),
			Metrics: []cwtypes.MetricDataQuery{stat("duration", "Duration", "p99"), stat("invocations", "Invocations", "Sum"), expr(alarmeval.SlowCallExpression(10))}},
	}
}

// FuzzDeployedAlarm: an alarm as DescribeAlarms returns it (JSON of the
// SDK's type; anyone who may edit the alarm writes it), read as a rule by
// replay and replayed over two hours of data. Whatever the alarm says, no
// panic and no exhausted memory: a rule replay cannot evaluate is an error.
func FuzzDeployedAlarm(f *testing.F) {
	for _, a := range deployedAlarmSeeds() {
		b, err := json.Marshal(a)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var a cwtypes.MetricAlarm
		if json.Unmarshal(raw, &a) != nil {
			return
		}
		r, _, err := ruleOf(a)
		if err != nil {
			return
		}
		in := map[string]alarmeval.Values{}
		until := fzNow.Truncate(r.Period)
		from := until.Add(-2 * time.Hour).Truncate(r.Period)
		for _, q := range r.Queries() {
			v := alarmeval.Values{}
			for at := from; at.Before(until); at = at.Add(r.Period) {
				v[at] = float64(at.Minute())
			}
			in[q.ID] = v
		}
		if _, _, err := alarmeval.Replay("fuzzed", r, in, from, until); err != nil {
			t.Fatalf("ruleOf accepted a rule Replay refuses: %v", err)
		}
	})
}

// TestReplayRefusesAnEvaluationRangeCloudWatchRefuses: `circuitctl replay
// --function f --evaluation-periods 2147483647` ran out of memory (a fatal
// error, not a panic: Replay allocated EvaluationPeriods datapoints per
// period). Found writing FuzzReplayFlags; its corpus entry
// testdata/fuzz/FuzzReplayFlags/evaluation-periods-out-of-memory. Such a
// rule is now a usage error naming the bound.
func TestReplayRefusesAnEvaluationRangeCloudWatchRefuses(t *testing.T) {
	for _, args := range [][]string{
		{"--function", "payments", "--evaluation-periods", "2147483647", "--datapoints-to-alarm", "1"},
		{"--function", "payments", "--evaluation-periods", "1441"},
		{"--function", "payments", "--slow-threshold-ms", "800", "--slow-period", "3600", "--slow-evaluation-periods", "169"},
	} {
		o, err := parseReplay(args)
		if err == nil {
			_, err = proposedPlan(o)
		}
		if !isUsage(err) || !strings.Contains(err.Error(), "the longest evaluation range CloudWatch accepts") {
			t.Errorf("%q: %v, want a usage error naming CloudWatch's evaluation range", args, err)
		}
	}
	o, err := parseReplay([]string{"--function", "payments", "--period", "3600", "--evaluation-periods", "168"})
	if err == nil {
		_, err = proposedPlan(o)
	}
	if err != nil {
		t.Errorf("7 days of 1-hour periods, which CloudWatch accepts: %v", err)
	}
}
