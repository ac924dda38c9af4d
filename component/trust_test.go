package component_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/component"
)

// Issue 14 item 7a: the topic policy denies sns:Publish to every principal
// unless the request comes from one of this breaker's alarms (aws:SourceArn,
// which CloudWatch sets to the alarm's ARN when it publishes: AWS re:Post,
// "Why didn't I receive an SNS notification for my CloudWatch alarm
// trigger?"), while the owning account keeps managing and subscribing to the
// topic. A negated condition operator is true for a request without the key
// (IAM User Guide, "IAM JSON policy elements: Condition operators"), so a
// person's Publish, which carries no aws:SourceArn, is denied.
func TestTopicPolicyDeniesEveryOtherPublisher(t *testing.T) {
	rec, _, err := deploy(t, baseArgs)
	require.NoError(t, err)
	topicArn := rec.state(t, "aws:sns/topic:Topic", "-alarms", "arn")
	raw := rec.one(t, "aws:sns/topicPolicy:TopicPolicy", "-alarms-policy").Inputs["policy"].StringValue()
	tp := policy(t, raw)
	alarms := []any{
		rec.state(t, "aws:cloudwatch/metricAlarm:MetricAlarm", "-downstream-errors", "arn"),
		rec.state(t, "aws:cloudwatch/metricAlarm:MetricAlarm", "-healthcheck-errors", "arn"),
	}
	require.Len(t, tp.Statement, 3)

	allow := tp.Statement[0]
	require.Equal(t, "Allow", allow.Effect)
	require.Equal(t, component.Principals{"Service": "cloudwatch.amazonaws.com"}, allow.Principal)
	require.ElementsMatch(t, alarms, allow.Condition["ArnLike"]["aws:SourceArn"])

	deny := tp.Statement[1]
	require.Equal(t, "Deny", deny.Effect)
	require.Equal(t, component.AllPrincipals, deny.Principal)
	require.Contains(t, raw, `"Principal":"*"`, `the literal "*": every principal, services included`)
	require.Equal(t, []string{"sns:Publish"}, deny.Action)
	require.Equal(t, []string{topicArn}, deny.Resource)
	require.Equal(t, map[string]map[string]any{"ArnNotLike": {"aws:SourceArn": alarms}}, deny.Condition,
		"no condition but the alarms: denies people, other services and other alarms alike")

	owner := tp.Statement[2]
	require.Equal(t, "Allow", owner.Effect)
	require.Equal(t, component.Principals{"AWS": "arn:aws:iam::123456789012:root"}, owner.Principal)
	require.Subset(t, owner.Action, []string{"sns:Subscribe", "sns:SetTopicAttributes", "sns:DeleteTopic", "sns:GetTopicAttributes"})
	for _, a := range owner.Action {
		require.False(t, strings.EqualFold(a, "sns:Publish"), "the owner's grant does not publish")
	}
	for _, st := range tp.Statement {
		if st.Effect == "Deny" {
			require.Equal(t, []string{"sns:Publish"}, st.Action, "nothing but publishing is denied: the owner is never locked out")
		}
	}
}

// The slow-call alarm, when there is one, may publish too.
func TestTopicPolicyDeniesAllButTheThreeAlarms(t *testing.T) {
	p := policy(t, component.TopicPolicy("arn:aws-cn:sns:cn-north-1:123456789012:t", "123456789012", []string{"a1", "a2", "a3"}))
	require.Equal(t, []any{"a1", "a2", "a3"}, p.Statement[1].Condition["ArnNotLike"]["aws:SourceArn"])
	require.Equal(t, component.Principals{"AWS": "arn:aws-cn:iam::123456789012:root"}, p.Statement[2].Principal, "in the topic's partition")
}
