package component_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/fakes/fakeaws"
)

// The confused-deputy conditions SECURITY.md states, over the whole graph
// (every role, every Lambda permission, the topic policy), so that a role or a
// permission added later without them fails here:
//   - every role trusts one AWS service, and only on behalf of the deploying
//     account (aws:SourceAccount), as the IAM User Guide's "The confused deputy
//     problem" advises for service roles;
//   - every Lambda permission given to a service names the one resource that
//     may invoke (SourceArn), whose ARN holds the account;
//   - the topic's only publishers are this breaker's alarms, in this account
//     (TestTopicPolicyDeniesEveryOtherPublisher has the rest of the policy).
func TestEveryTrustIsLimitedToThisAccountAndItsOwnSources(t *testing.T) {
	rec, _, err := deploy(t, everyRoleArgs)
	require.NoError(t, err)

	roles := rec.of(roleType)
	require.GreaterOrEqual(t, len(roles), 7, "the breaker's roles")
	for _, r := range roles {
		trust := policy(t, r.Inputs["assumeRolePolicy"].StringValue())
		require.Lenf(t, trust.Statement, 1, "%s: one trusted service", r.Name)
		s := trust.Statement[0]
		require.Equalf(t, "Allow", s.Effect, r.Name)
		require.Equalf(t, []string{"sts:AssumeRole"}, s.Action, r.Name)
		require.Lenf(t, s.Principal, 1, "%s: one principal", r.Name)
		require.Truef(t, strings.HasSuffix(s.Principal["Service"], ".amazonaws.com"), "%s trusts %v, not an AWS service", r.Name, s.Principal)
		require.Equalf(t, fakeaws.Account, s.Condition["StringEquals"]["aws:SourceAccount"],
			"%s: trusted only on behalf of the deploying account (create roles with newIAMRole, component/iam.go)", r.Name)
	}

	perms := rec.of("aws:lambda/permission:Permission")
	require.NotEmpty(t, perms)
	for _, p := range perms {
		principal := p.Inputs["principal"].StringValue()
		require.Truef(t, strings.HasSuffix(principal, ".amazonaws.com"), "%s grants %s", p.Name, principal)
		src := p.Inputs["sourceArn"]
		require.Truef(t, src.IsString() && strings.Contains(src.StringValue(), ":"+fakeaws.Account+":"),
			"%s: a service's permission must name its source in this account (sourceArn), got %v", p.Name, src)
	}

	tp := policy(t, rec.one(t, "aws:sns/topicPolicy:TopicPolicy", "-alarms-policy").Inputs["policy"].StringValue())
	allow := tp.Statement[0]
	require.Equal(t, fakeaws.Account, allow.Condition["StringEquals"]["aws:SourceAccount"])
	for _, a := range allow.Condition["ArnLike"]["aws:SourceArn"].([]any) {
		require.Contains(t, a, ":cloudwatch:")
		require.Contains(t, a, ":"+fakeaws.Account+":alarm:")
	}
}
