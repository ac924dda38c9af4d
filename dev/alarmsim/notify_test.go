package alarmsim

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

var origin = time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)

func rule(op string, threshold float64, n, m int, missing string) Rule {
	return Rule{
		Namespace: "AWS/Lambda", MetricName: "Errors", Dimensions: map[string]string{"FunctionName": "f"},
		Statistic: "Sum", ComparisonOperator: op, Threshold: threshold,
		EvaluationPeriods: n, DatapointsToAlarm: m, TreatMissingData: missing,
		Period: time.Minute, ConfiguredPeriodSeconds: 60,
	}
}

func at(minutes float64) time.Time { return origin.Add(time.Duration(minutes * float64(time.Minute))) }

// The notification is SNS's envelope around CloudWatch's JSON, in the shapes
// and time layouts the alarm handler parses.
func TestNotification(t *testing.T) {
	a, _ := New("payments-breaker-healthcheck-errors", "desc", rule("GreaterThanOrEqualToThreshold", 1, 1, 1, "notBreaching"), origin)
	a.Put(at(0.5), 1)
	c, _ := a.Evaluate(at(1))
	topic := Topic{Arn: "arn:aws:sns:us-east-1:123456789012:alarms", Account: "123456789012", Region: "us-east-1", RegionName: "US East (N. Virginia)"}
	ev := Notification(a, Actions{Alarm: true, OK: true}, c, topic)
	raw, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	var back events.SNSEvent
	if err := json.Unmarshal(raw, &back); err != nil || len(back.Records) != 1 {
		t.Fatalf("%v %s", err, raw)
	}
	var m events.CloudWatchAlarmSNSPayload
	if err := json.Unmarshal([]byte(back.Records[0].SNS.Message), &m); err != nil {
		t.Fatal(err)
	}
	if m.AlarmName != a.Name || m.NewStateValue != "ALARM" || m.OldStateValue != "INSUFFICIENT_DATA" ||
		m.StateChangeTime != "2026-11-27T00:01:00.000+0000" || m.Trigger.Period != 60 || m.Trigger.Statistic != "SUM" {
		t.Errorf("message %+v", m)
	}
	if !strings.Contains(back.Records[0].SNS.Message, `"InsufficientDataActions":[]`) {
		t.Errorf("actions: %s", back.Records[0].SNS.Message)
	}
	if back.Records[0].SNS.Subject != `ALARM: "payments-breaker-healthcheck-errors" in US East (N. Virginia)` {
		t.Errorf("subject %q", back.Records[0].SNS.Subject)
	}
}
