package fakeaws

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

var tokens = []string{
	"aws:lambda/function:Function", "aws:lambda/alias:Alias", "aws:dynamodb/table:Table",
	"aws:lambda/eventSourceMapping:EventSourceMapping", "aws:sns/topic:Topic", "aws:sns/topicPolicy:TopicPolicy",
	"aws:sns/topicSubscription:TopicSubscription", "aws:cloudwatch/metricAlarm:MetricAlarm",
	"aws:cloudwatch/dashboard:Dashboard", "aws:cloudwatch/logGroup:LogGroup",
	"aws:cloudwatch/logMetricFilter:LogMetricFilter", "aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy",
	"aws:sfn/stateMachine:StateMachine", "aws:scheduler/schedule:Schedule",
	"aws:iam/rolePolicyAttachment:RolePolicyAttachment", "aws:lambda/permission:Permission",
	"aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", "aws:sqs/queue:Queue",
}

// keys are every input CreateIn reads.
var keys = []resource.PropertyKey{"name", "namePrefix", "functionName", "function", "qualifier", "topic", "arn",
	"role", "policyArn", "groupName", "statementId", "statementIdPrefix", "dashboardName", "streamEnabled", "tags"}

// values are what an input can be on the wire, resource references among
// them: the README's `topic: breaker.topic` put one in a subscription's topic
// and CreateIn panicked (issue 14 item 24).
func values(s string) []resource.PropertyValue {
	return []resource.PropertyValue{
		resource.NewStringProperty(s),
		resource.NewNumberProperty(float64(len(s))),
		resource.NewBoolProperty(len(s)%2 == 0),
		resource.NewNullProperty(),
		resource.MakeComputed(resource.NewStringProperty("")),
		resource.MakeSecret(resource.NewStringProperty(s)),
		resource.NewObjectProperty(resource.PropertyMap{"x": resource.NewStringProperty(s)}),
		resource.NewArrayProperty([]resource.PropertyValue{resource.NewStringProperty(s)}),
		resource.MakeCustomResourceReference(resource.URN("urn:pulumi:dev::p::aws:sns/topic:Topic::"+s), resource.ID(s), ""),
		resource.MakeCustomResourceReference("urn:pulumi:dev::p::aws:sns/topic:Topic::t", "", ""),
		resource.MakeComponentResourceReference(resource.URN("urn:pulumi:dev::p::x:index:C::"+s), ""),
	}
}

func TestCreateNeverPanicsOnWhatTheWireCarries(t *testing.T) {
	for _, token := range tokens {
		for _, v := range values("live") {
			inputs := resource.PropertyMap{}
			for _, k := range keys {
				inputs[k] = v
			}
			CreateIn("eu-west-1", token, "x", inputs)
		}
	}
}

func TestStringReadsAReferenceAsTheEngineSendsIt(t *testing.T) {
	arn := "arn:aws:sns:eu-west-1:123456789012:alarms"
	for _, c := range []struct {
		v    resource.PropertyValue
		want string
	}{
		{resource.NewStringProperty(arn), arn},
		{resource.MakeCustomResourceReference("urn:pulumi:dev::p::aws:sns/topic:Topic::t", resource.ID(arn), "6.83.4"), arn},
		{resource.MakeComponentResourceReference("urn:pulumi:dev::p::x:index:C::c", ""), "urn:pulumi:dev::p::x:index:C::c"},
		{resource.MakeCustomResourceReference("urn:pulumi:dev::p::aws:sns/topic:Topic::t", "", "6.83.4"), ""}, // unknown ID
		{resource.MakeSecret(resource.NewStringProperty(arn)), arn},
		{resource.NewNumberProperty(1), ""},
	} {
		if got := String(c.v); got != c.want {
			t.Errorf("String(%v) = %q, want %q", c.v, got, c.want)
		}
	}
}

func FuzzCreate(f *testing.F) {
	f.Add(0, 0, "live")
	f.Add(6, 8, "arn:aws:sns:us-east-1:123456789012:t")
	f.Add(1, 2, "arn:aws:lambda:eu-west-1:1:function:f:q:extra")
	f.Fuzz(func(t *testing.T, tok, kind int, s string) {
		if tok < 0 || kind < 0 {
			return
		}
		vs := values(s)
		inputs := resource.PropertyMap{}
		for i, k := range keys {
			inputs[k] = vs[(kind+i)%len(vs)]
		}
		CreateIn(s, tokens[tok%len(tokens)], s, inputs)
	})
}
