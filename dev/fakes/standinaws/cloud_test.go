package standinaws_test

// The fake cloud's identities and Region, against the real provider's:
// resource references in inputs (issue 14 item 24), the IDs the Terraform AWS
// provider sets (item 25) and the configured Region (item 26).

import (
	"context"
	"strings"
	"testing"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/fakes/fakeaws"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/fakes/standinaws"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/structpb"
)

// engineProps marshals inputs as the engine sends them to a provider that
// accepts resource references (the stand-in said so until issue 14).
func engineProps(t *testing.T, m resource.PropertyMap) *structpb.Struct {
	t.Helper()
	s, err := plugin.MarshalProperties(m, plugin.MarshalOptions{KeepUnknowns: true, KeepResources: true})
	require.NoError(t, err)
	return s
}

func unprops(t *testing.T, s *structpb.Struct) resource.PropertyMap {
	t.Helper()
	m, err := plugin.UnmarshalProperties(s, plugin.MarshalOptions{KeepUnknowns: true})
	require.NoError(t, err)
	return m
}

// create runs Check then Create, as the engine does in an update.
func create(t *testing.T, p *standinaws.Provider, token, name string, inputs resource.PropertyMap) (string, resource.PropertyMap) {
	t.Helper()
	urn := urnOf(token, name)
	checked, err := p.Check(context.Background(), &pulumirpc.CheckRequest{Urn: urn, News: engineProps(t, inputs)})
	require.NoError(t, err)
	require.Empty(t, checked.Failures)
	resp, err := p.Create(context.Background(), &pulumirpc.CreateRequest{Urn: urn, Properties: checked.Inputs})
	require.NoError(t, err)
	return resp.Id, unprops(t, resp.Properties)
}

func read(t *testing.T, p *standinaws.Provider, token, name, id string, state resource.PropertyMap) (string, resource.PropertyMap) {
	t.Helper()
	resp, err := p.Read(context.Background(), &pulumirpc.ReadRequest{Urn: urnOf(token, name), Id: id, Properties: engineProps(t, state)})
	require.NoError(t, err)
	return resp.Id, unprops(t, resp.Properties)
}

// TestResourceReferencesBecomeTheReferencedID: the README's
// `new aws.sns.TopicSubscription("oncall", {topic: breaker.topic, ...})` put
// a resource reference in `topic`, and the stand-in panicked ("interface
// conversion: interface {} is resource.ResourceReference, not string").
// pulumi-aws never sees one: its Configure accepts no resource references
// (pulumi-terraform-bridge pkg/x/muxer/muxer.go Configure ANDs its servers'
// answers, and pkg/tfbridge/provider.go Configure, the SDKv2 server, sets no
// AcceptResources), so the engine sends the referenced resource's ID
// (sdk/go/common/resource/plugin/rpc.go, MarshalPropertyValue with
// KeepResources false): the topic's ARN. The stand-in now says the same and,
// should a reference reach it anyway, reads it as that ID.
func TestResourceReferencesBecomeTheReferencedID(t *testing.T) {
	p, err := standinaws.New(nil, t.TempDir())
	require.NoError(t, err)
	conf, err := p.Configure(context.Background(), &pulumirpc.ConfigureRequest{AcceptResources: true, AcceptSecrets: true})
	require.NoError(t, err)
	require.False(t, conf.AcceptResources, "pulumi-aws accepts no resource references")
	require.False(t, conf.AcceptSecrets, "pulumi-aws accepts no secrets: the engine keeps outputs secret itself")

	topicID, topic := create(t, p, "aws:sns/topic:Topic", "payments-alarms", resource.PropertyMap{})
	ref := resource.MakeCustomResourceReference(resource.URN(urnOf("aws:sns/topic:Topic", "payments-alarms")), resource.ID(topicID), "6.83.4")
	id, sub := create(t, p, "aws:sns/topicSubscription:TopicSubscription", "oncall", resource.PropertyMap{
		"topic":    ref,
		"protocol": resource.NewStringProperty("email"),
		"endpoint": resource.NewStringProperty("oncall@example.com"),
	})
	require.Equal(t, topic["arn"].StringValue(), sub["topic"].StringValue(), "the reference arrives as the topic's ID, its ARN")
	require.True(t, strings.HasPrefix(id, topicID+":"), "a subscription's ARN is its topic's and a UUID: %s", id)

	// A reference to a resource without an ID (a component) is its URN;
	// one to a resource not created yet (preview) is unknown.
	component := resource.MakeComponentResourceReference("urn:pulumi:dev::proj::circuitbreaker:index:CircuitBreaker::payments", "")
	unknown := resource.MakeCustomResourceReference(resource.URN(urnOf("aws:sns/topic:Topic", "later")), "", "6.83.4")
	resp, err := p.Check(context.Background(), &pulumirpc.CheckRequest{Urn: urnOf("aws:sns/topicSubscription:TopicSubscription", "x"), News: engineProps(t, resource.PropertyMap{
		"topic": component, "protocol": resource.NewStringProperty("email"), "endpoint": unknown,
	})})
	require.NoError(t, err)
	got := unprops(t, resp.Inputs)
	require.Equal(t, "urn:pulumi:dev::proj::circuitbreaker:index:CircuitBreaker::payments", got["topic"].StringValue())
	require.True(t, got["endpoint"].IsComputed())
}

// TestIDsAreTheTerraformProviders: each type the component, the examples and
// the README create gets the ID the Terraform AWS provider sets (its d.SetId
// in internal/service/..., version v1.60.1-0.20260602190131-5f2286d6d836,
// the one reference/standin.json was generated from). The stand-in used an
// alias's name, a fixed "terraform-" statement ID, the function's name for an
// event invoke configuration with a qualifier, an auto-name for a dashboard
// and "<role>-<hash>" for an attachment.
func TestIDsAreTheTerraformProviders(t *testing.T) {
	p, err := standinaws.New(nil, "")
	require.NoError(t, err)
	fn := fakeaws.FunctionArn("payments")
	s := resource.NewStringProperty
	for _, c := range []struct {
		token, name string
		inputs      resource.PropertyMap
		want        string // the ID; a trailing * matches any rest
	}{
		// lambda/alias.go: d.SetId(aws.ToString(output.AliasArn)).
		{"aws:lambda/alias:Alias", "payments-live", resource.PropertyMap{"name": s("live"), "functionName": s("payments"), "functionVersion": s("1")}, fn + ":live"},
		{"aws:lambda/alias:Alias", "by-arn", resource.PropertyMap{"name": s("live"), "functionName": s(fn + ":$LATEST"), "functionVersion": s("1")}, fn + ":live"},
		// lambda/function.go: d.SetId(functionName).
		{"aws:lambda/function:Function", "f", functionInputs(t, "payments"), "payments"},
		// lambda/permission.go: d.SetId(statementID), create.Name(statement_id, statement_id_prefix).
		{"aws:lambda/permission:Permission", "p1", resource.PropertyMap{"statementId": s("AllowSNS"), "action": s("lambda:InvokeFunction"), "function": s("payments"), "principal": s("sns.amazonaws.com")}, "AllowSNS"},
		{"aws:lambda/permission:Permission", "p2", resource.PropertyMap{"statementIdPrefix": s("sns-"), "action": s("lambda:InvokeFunction"), "function": s("payments"), "principal": s("sns.amazonaws.com")}, "sns-*"},
		{"aws:lambda/permission:Permission", "p3", resource.PropertyMap{"action": s("lambda:InvokeFunction"), "function": s("payments"), "principal": s("sns.amazonaws.com")}, "p3-*"}, // pulumi-aws auto-names statementId
		// lambda/function_event_invoke_config.go: function name, ":" and the qualifier.
		{"aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", "c1", resource.PropertyMap{"functionName": s("payments")}, "payments"},
		{"aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", "c2", resource.PropertyMap{"functionName": s("payments"), "qualifier": s("live")}, "payments:live"},
		// lambda/event_source_mapping.go: d.SetId(aws.ToString(output.UUID)).
		{"aws:lambda/eventSourceMapping:EventSourceMapping", "m", resource.PropertyMap{"functionName": s("payments"), "eventSourceArn": s("arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/x"), "startingPosition": s("LATEST")}, "????????-????-????-????-????????????"},
		// cloudwatch/dashboard.go: d.SetId(name) of dashboard_name.
		{"aws:cloudwatch/dashboard:Dashboard", "d", resource.PropertyMap{"dashboardName": s("payments-breaker"), "dashboardBody": s("{}")}, "payments-breaker"},
		// cloudwatch/metric_alarm.go, logs/group.go, logs/metric_filter.go, dynamodb/table.go, iam/role.go: the name.
		{"aws:cloudwatch/metricAlarm:MetricAlarm", "a", resource.PropertyMap{"name": s("payments-errors"), "comparisonOperator": s("GreaterThanThreshold"), "evaluationPeriods": resource.NewNumberProperty(1)}, "payments-errors"},
		{"aws:cloudwatch/logGroup:LogGroup", "g", resource.PropertyMap{"name": s("/aws/vendedlogs/states/payments")}, "/aws/vendedlogs/states/payments"},
		{"aws:cloudwatch/logMetricFilter:LogMetricFilter", "mf", resource.PropertyMap{"name": s("fast-fails"), "logGroupName": s("g"), "pattern": s(""), "metricTransformation": resource.NewObjectProperty(resource.PropertyMap{"name": s("n"), "namespace": s("ns"), "value": s("1")})}, "fast-fails"},
		{"aws:dynamodb/table:Table", "t", resource.PropertyMap{"name": s("circuits"), "hashKey": s("serviceName")}, "circuits"},
		{"aws:iam/role:Role", "r", resource.PropertyMap{"name": s("payments-role"), "assumeRolePolicy": s("{}")}, "payments-role"},
		// iam/role_policy.go: "<role>:<policy>"; iam/role_policy_attachment.go: "<role>/<policy ARN>".
		{"aws:iam/rolePolicy:RolePolicy", "rp", resource.PropertyMap{"name": s("invoke"), "role": s("payments-role"), "policy": s("{}")}, "payments-role:invoke"},
		{"aws:iam/rolePolicyAttachment:RolePolicyAttachment", "rpa", resource.PropertyMap{"role": s("payments-role"), "policyArn": s("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")}, "payments-role/arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"},
		// sfn/state_machine.go, sns/topic.go: the ARN; sns/topic_policy.go: the topic's ARN.
		{"aws:sfn/stateMachine:StateMachine", "sm", resource.PropertyMap{"name": s("payments"), "definition": s("{}"), "roleArn": s("arn:aws:iam::123456789012:role/r")}, "arn:aws:states:us-east-1:123456789012:stateMachine:payments"},
		{"aws:sns/topic:Topic", "tp", resource.PropertyMap{"name": s("alarms")}, "arn:aws:sns:us-east-1:123456789012:alarms"},
		{"aws:sns/topicPolicy:TopicPolicy", "tpp", resource.PropertyMap{"arn": s("arn:aws:sns:us-east-1:123456789012:alarms"), "policy": s("{}")}, "arn:aws:sns:us-east-1:123456789012:alarms"},
		// sns/topic_subscription.go: the subscription ARN, the topic's and a UUID.
		{"aws:sns/topicSubscription:TopicSubscription", "sub", resource.PropertyMap{"topic": s("arn:aws:sns:us-east-1:123456789012:alarms"), "protocol": s("lambda"), "endpoint": s(fn)}, "arn:aws:sns:us-east-1:123456789012:alarms:????????-????-????-????-????????????"},
		// scheduler/schedule.go: "<group>/<name>"; sqs/queue.go: the queue URL.
		{"aws:scheduler/schedule:Schedule", "sch", resource.PropertyMap{"name": s("health"), "scheduleExpression": s("rate(1 minute)"), "flexibleTimeWindow": resource.NewObjectProperty(resource.PropertyMap{"mode": s("OFF")}), "target": resource.NewObjectProperty(resource.PropertyMap{"arn": s(fn), "roleArn": s("arn:aws:iam::123456789012:role/r")})}, "default/health"},
		{"aws:sqs/queue:Queue", "q", resource.PropertyMap{"name": s("dlq")}, "https://sqs.us-east-1.amazonaws.com/123456789012/dlq"},
	} {
		t.Run(c.token+" "+c.name, func(t *testing.T) {
			id, _ := create(t, p, c.token, c.name, c.inputs)
			require.True(t, matches(c.want, id), "ID %q, want the Terraform provider's %q", id, c.want)
		})
	}
}

// functionInputs are a Lambda function's, named name (auto-named when "").
func functionInputs(t *testing.T, name string) resource.PropertyMap {
	t.Helper()
	code, err := resource.NewAssetArchive(map[string]any{"index.mjs": must(resource.NewTextAsset("export const handler = async () => ({})"))})
	require.NoError(t, err)
	m := resource.PropertyMap{
		"role":    resource.NewStringProperty("arn:aws:iam::123456789012:role/r"),
		"runtime": resource.NewStringProperty("nodejs22.x"),
		"handler": resource.NewStringProperty("index.handler"),
		"code":    resource.NewArchiveProperty(code),
	}
	if name != "" {
		m["name"] = resource.NewStringProperty(name)
	}
	return m
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// matches: want with "?" for any one character and a trailing "*" for any rest.
func matches(want, got string) bool {
	if prefix, ok := strings.CutSuffix(want, "*"); ok {
		return strings.HasPrefix(got, prefix) && len(got) > len(prefix)
	}
	if len(want) != len(got) {
		return false
	}
	for i := range want {
		if want[i] != '?' && want[i] != got[i] {
			return false
		}
	}
	return true
}

// TestTwoAliasesNamedLiveAreTwoObjects: keyed by its name, the second alias
// `live` overwrote the first in the fake cloud, so that after `pulumi
// refresh` the first alias's state named the other function and every
// preview failed (`alias "live" belongs to function ...`). Objects the real
// provider's IDs keep apart stay apart: aliases by ARN, metric filters of one
// name in two log groups, permissions of one statement ID on two functions.
func TestTwoAliasesNamedLiveAreTwoObjects(t *testing.T) {
	dir := t.TempDir()
	p, err := standinaws.New(nil, dir)
	require.NoError(t, err)
	s := resource.NewStringProperty
	type obj struct {
		token, name string
		inputs      resource.PropertyMap
		key         resource.PropertyKey // the input that tells them apart
	}
	for _, pair := range [][2]obj{
		{
			{"aws:lambda/alias:Alias", "shop-live", resource.PropertyMap{"name": s("live"), "functionName": s("shop"), "functionVersion": s("$LATEST")}, "functionName"},
			{"aws:lambda/alias:Alias", "shop-health-live", resource.PropertyMap{"name": s("live"), "functionName": s("shop-health"), "functionVersion": s("$LATEST")}, "functionName"},
		},
		{
			{"aws:cloudwatch/logMetricFilter:LogMetricFilter", "a-fast-fails", resource.PropertyMap{"name": s("fast-fails"), "logGroupName": s("a"), "pattern": s(""), "metricTransformation": resource.NewObjectProperty(resource.PropertyMap{"name": s("n"), "namespace": s("ns"), "value": s("1")})}, "logGroupName"},
			{"aws:cloudwatch/logMetricFilter:LogMetricFilter", "b-fast-fails", resource.PropertyMap{"name": s("fast-fails"), "logGroupName": s("b"), "pattern": s(""), "metricTransformation": resource.NewObjectProperty(resource.PropertyMap{"name": s("n"), "namespace": s("ns"), "value": s("1")})}, "logGroupName"},
		},
		{
			{"aws:lambda/permission:Permission", "a-invoke", resource.PropertyMap{"statementId": s("AllowSNS"), "action": s("lambda:InvokeFunction"), "function": s("a"), "principal": s("sns.amazonaws.com")}, "function"},
			{"aws:lambda/permission:Permission", "b-invoke", resource.PropertyMap{"statementId": s("AllowSNS"), "action": s("lambda:InvokeFunction"), "function": s("b"), "principal": s("sns.amazonaws.com")}, "function"},
		},
	} {
		ids := [2]string{}
		states := [2]resource.PropertyMap{}
		for i, o := range pair {
			ids[i], states[i] = create(t, p, o.token, o.name, o.inputs)
		}
		// A refresh reads each back by its ID and state.
		for i, o := range pair {
			id, got := read(t, p, o.token, o.name, ids[i], states[i])
			require.Equal(t, ids[i], id, o.name)
			require.Equal(t, o.inputs[o.key].StringValue(), got[o.key].StringValue(), "%s read back as the other %s", o.name, o.token)
		}
		cloud, err := standinaws.ReadCloud(dir)
		require.NoError(t, err)
		n := 0
		for _, c := range cloud {
			if c.Type == pair[0].token {
				n++
			}
		}
		require.Equal(t, 2, n, "two %s in the fake cloud", pair[0].token)
	}
}

// TestRegionIsTheStacks: the stand-in put every ARN and URL in us-east-1
// whatever the stack's aws:region, so a stack in eu-west-1 exported us-east-1
// ARNs (and `circuitctl --stack` read the wrong Region from tableArn). The
// Region is the provider's `region` (aws:region), else AWS_REGION, else
// AWS_DEFAULT_REGION, as pulumi-aws reads it (pulumi-aws sdk/v6 v6.83.4
// go/aws/provider.go: GetEnvOrDefault(nil, nil, "AWS_REGION",
// "AWS_DEFAULT_REGION")); getRegion answers it too.
func TestRegionIsTheStacks(t *testing.T) {
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	argsIn := func(region string) *pulumirpc.ConfigureRequest {
		return &pulumirpc.ConfigureRequest{Args: engineProps(t, resource.PropertyMap{"region": resource.NewStringProperty(region)})}
	}
	for _, c := range []struct {
		what string
		req  *pulumirpc.ConfigureRequest
		env  map[string]string
		want string
	}{
		{"the provider's region input", argsIn("eu-west-1"), map[string]string{"AWS_REGION": "ap-south-1"}, "eu-west-1"},
		{"the aws:region config variable", &pulumirpc.ConfigureRequest{Variables: map[string]string{"aws:config:region": "eu-central-1"}}, nil, "eu-central-1"},
		{"AWS_REGION", &pulumirpc.ConfigureRequest{}, map[string]string{"AWS_REGION": "us-west-2", "AWS_DEFAULT_REGION": "ca-central-1"}, "us-west-2"},
		{"AWS_DEFAULT_REGION", &pulumirpc.ConfigureRequest{}, map[string]string{"AWS_DEFAULT_REGION": "ca-central-1"}, "ca-central-1"},
		{"nothing (the stand-in's default)", &pulumirpc.ConfigureRequest{}, nil, "us-east-1"},
	} {
		t.Run(c.what, func(t *testing.T) {
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			p, err := standinaws.New(nil, "")
			require.NoError(t, err)
			_, err = p.Configure(context.Background(), c.req)
			require.NoError(t, err)
			_, table := create(t, p, "aws:dynamodb/table:Table", "circuits", resource.PropertyMap{"hashKey": resource.NewStringProperty("serviceName")})
			require.Contains(t, table["arn"].StringValue(), "arn:aws:dynamodb:"+c.want+":")
			_, fn := create(t, p, "aws:lambda/function:Function", "payments", functionInputs(t, ""))
			require.Contains(t, fn["arn"].StringValue(), "arn:aws:lambda:"+c.want+":")
			require.Contains(t, fn["invokeArn"].StringValue(), "arn:aws:apigateway:"+c.want+":")
			q, _ := create(t, p, "aws:sqs/queue:Queue", "dlq", resource.PropertyMap{})
			require.True(t, strings.HasPrefix(q, "https://sqs."+c.want+".amazonaws.com/"), q)
			_, role := create(t, p, "aws:iam/role:Role", "r", resource.PropertyMap{"assumeRolePolicy": resource.NewStringProperty("{}")})
			require.True(t, strings.HasPrefix(role["arn"].StringValue(), "arn:aws:iam::123456789012:role/"), "IAM is global")
			resp, err := p.Invoke(context.Background(), &pulumirpc.InvokeRequest{Tok: "aws:index/getRegion:getRegion"})
			require.NoError(t, err)
			require.Equal(t, c.want, resp.Return.Fields["name"].GetStringValue())
		})
	}
}
