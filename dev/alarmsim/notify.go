package alarmsim

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// Topic is the SNS topic the alarms notify.
type Topic struct {
	Arn        string // arn:aws:sns:<region>:<account>:<name>
	Account    string
	Region     string // e.g. us-east-1
	RegionName string // as CloudWatch writes it, e.g. "US East (N. Virginia)"
}

// Actions says which new states notify the topic. The component's alarms
// notify on all three; the original module's downstream alarm had no OK action.
type Actions struct {
	Alarm, OK, InsufficientData bool
}

// AllActions notifies on every state.
var AllActions = Actions{Alarm: true, OK: true, InsufficientData: true}

// Notifies reports whether a change to state is published.
func (a Actions) Notifies(state string) bool {
	switch state {
	case StateAlarm:
		return a.Alarm
	case StateOK:
		return a.OK
	case StateInsufficientData:
		return a.InsufficientData
	}
	return false
}

// cloudWatchTime is how CloudWatch writes times in alarm notifications.
const cloudWatchTime = "2006-01-02T15:04:05.000-0700"

// message is a CloudWatch alarm notification, field for field as CloudWatch
// publishes it (see functions/alarmhandler/handler/testdata for real ones).
type message struct {
	AlarmName                          string   `json:"AlarmName"`
	AlarmDescription                   string   `json:"AlarmDescription"`
	AWSAccountID                       string   `json:"AWSAccountId"`
	AlarmConfigurationUpdatedTimestamp string   `json:"AlarmConfigurationUpdatedTimestamp"`
	NewStateValue                      string   `json:"NewStateValue"`
	NewStateReason                     string   `json:"NewStateReason"`
	StateChangeTime                    string   `json:"StateChangeTime"`
	Region                             string   `json:"Region"`
	AlarmArn                           string   `json:"AlarmArn"`
	OldStateValue                      string   `json:"OldStateValue"`
	OKActions                          []string `json:"OKActions"`
	AlarmActions                       []string `json:"AlarmActions"`
	InsufficientDataActions            []string `json:"InsufficientDataActions"`
	Trigger                            trigger  `json:"Trigger"`
}

type trigger struct {
	MetricName                       string      `json:"MetricName"`
	Namespace                        string      `json:"Namespace"`
	StatisticType                    string      `json:"StatisticType"`
	Statistic                        string      `json:"Statistic"`
	Unit                             *string     `json:"Unit"`
	Dimensions                       []dimension `json:"Dimensions"`
	Period                           int         `json:"Period"`
	EvaluationPeriods                int         `json:"EvaluationPeriods"`
	DatapointsToAlarm                int         `json:"DatapointsToAlarm"`
	ComparisonOperator               string      `json:"ComparisonOperator"`
	Threshold                        float64     `json:"Threshold"`
	TreatMissingData                 string      `json:"TreatMissingData"`
	EvaluateLowSampleCountPercentile string      `json:"EvaluateLowSampleCountPercentile"`
}

type dimension struct {
	Value string `json:"value"`
	Name  string `json:"name"`
}

// Notification is the SNS event that delivers change c of alarm a to a Lambda
// subscribed to topic: the SNS envelope around CloudWatch's JSON message. The
// signature is a placeholder (nothing here verifies it, and neither does the
// alarm handler: Lambda's SNS trigger is authenticated by IAM, not by it).
func Notification(a *Alarm, actions Actions, c Change, topic Topic) events.SNSEvent {
	list := func(on bool) []string {
		if on {
			return []string{topic.Arn}
		}
		return []string{}
	}
	var dims []dimension
	for name, value := range a.Rule.Dimensions {
		dims = append(dims, dimension{Value: value, Name: name})
	}
	m := message{
		AlarmName:                          a.Name,
		AlarmDescription:                   a.Description,
		AWSAccountID:                       topic.Account,
		AlarmConfigurationUpdatedTimestamp: a.Origin.UTC().Format(cloudWatchTime),
		NewStateValue:                      c.New,
		NewStateReason:                     c.Reason,
		StateChangeTime:                    c.At.UTC().Format(cloudWatchTime),
		Region:                             topic.RegionName,
		AlarmArn:                           fmt.Sprintf("arn:aws:cloudwatch:%s:%s:alarm:%s", topic.Region, topic.Account, a.Name),
		OldStateValue:                      c.Old,
		OKActions:                          list(actions.OK),
		AlarmActions:                       list(actions.Alarm),
		InsufficientDataActions:            list(actions.InsufficientData),
		Trigger: trigger{
			MetricName:         a.Rule.MetricName,
			Namespace:          a.Rule.Namespace,
			StatisticType:      "Statistic",
			Statistic:          strings.ToUpper(a.Rule.Statistic),
			Dimensions:         dims,
			Period:             a.Rule.ConfiguredPeriodSeconds,
			EvaluationPeriods:  a.Rule.EvaluationPeriods,
			DatapointsToAlarm:  a.Rule.DatapointsToAlarm,
			ComparisonOperator: a.Rule.ComparisonOperator,
			Threshold:          a.Rule.Threshold,
			TreatMissingData:   a.Rule.TreatMissingData,
		},
	}
	body, err := json.Marshal(m)
	if err != nil {
		panic(err) // only strings and numbers: cannot fail
	}
	subscription := topic.Arn + ":" + newUUID()
	endpoint := fmt.Sprintf("https://sns.%s.amazonaws.com", topic.Region)
	return events.SNSEvent{Records: []events.SNSEventRecord{{
		EventSource:          "aws:sns",
		EventVersion:         "1.0",
		EventSubscriptionArn: subscription,
		SNS: events.SNSEntity{
			Type:              "Notification",
			MessageID:         newUUID(),
			TopicArn:          topic.Arn,
			Subject:           truncateSubject(fmt.Sprintf("%s: %q in %s", c.New, a.Name, topic.RegionName)),
			Message:           string(body),
			Timestamp:         c.At.UTC().Add(400 * time.Millisecond), // SNS delivers a moment after the change
			SignatureVersion:  "1",
			Signature:         "SIMULATED-BY-ALARMSIM-NOT-SIGNED",
			SigningCertURL:    endpoint + "/SimpleNotificationService-simulated.pem",
			UnsubscribeURL:    endpoint + "/?Action=Unsubscribe&SubscriptionArn=" + subscription,
			MessageAttributes: map[string]any{},
		},
	}}}
}

// truncateSubject keeps SNS's 100-character subject limit.
func truncateSubject(s string) string {
	if len(s) <= 100 {
		return s
	}
	return s[:100]
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
