// Package fakeaws is a TEST-ONLY stand-in for what AWS computes when a resource
// is created: physical names (auto-naming), ARNs and IDs, for the few resource
// types a CircuitBreaker creates or references. Unit tests (pulumi.WithMocks),
// provider tests and the test-only stand-in AWS plugin use it so that every
// layer sees the same, realistic values.
//
// What it does not check: that AWS would accept the inputs. It never validates
// a property, a policy, an ARN's existence or a name's length; it only fills in
// outputs.
package fakeaws

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Account every fake ARN lives in, and the Region it lives in unless the
// caller names another (CreateIn).
const (
	Account = "123456789012"
	Region  = "us-east-1"
)

// FunctionArn is the ARN AWS gives a Lambda function of that name in Region.
func FunctionArn(name string) string { return FunctionArnIn(Region, name) }

// FunctionArnIn is the ARN AWS gives a Lambda function of that name in region.
func FunctionArnIn(region, name string) string {
	return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", region, Account, name)
}

// Create is CreateIn(Region, ...).
func Create(token, name string, inputs resource.PropertyMap) (string, resource.PropertyMap) {
	return CreateIn(Region, token, name, inputs)
}

// CreateIn returns the ID and the state (inputs plus computed outputs) of a new
// resource of type token with logical name name, created in region.
// Deterministic: the same inputs give the same outputs, as a second preview
// expects.
//
// The ID is the one the Terraform AWS provider sets (d.SetId in
// internal/service/<service>/<resource>.go of the version in
// dev/fakes/standinaws/reference/standin.json), so that two objects AWS tells
// apart never share an ID: an alias's is its ARN, not its name (two aliases
// `live` on two functions are two objects).
func CreateIn(region, token, name string, inputs resource.PropertyMap) (string, resource.PropertyMap) {
	state := inputs.Copy()
	physical := physicalName(name, inputs)
	set := func(k, v string) { state[resource.PropertyKey(k)] = resource.NewStringProperty(v) }
	if tags, ok := inputs["tags"]; ok {
		state["tagsAll"] = tags
	}
	id := physical
	switch token {
	case "aws:lambda/function:Function":
		// lambda/function.go: d.SetId(functionName).
		arn := FunctionArnIn(region, physical)
		set("name", physical)
		set("arn", arn)
		set("qualifiedArn", arn+":$LATEST")
		set("invokeArn", invokeArn(region, arn))
		set("version", "$LATEST")
	case "aws:lambda/alias:Alias":
		// lambda/alias.go: d.SetId(aws.ToString(output.AliasArn)), the
		// function's ARN and the alias name.
		id = functionArnOf(region, String(inputs["functionName"])) + ":" + physical
		set("name", physical)
		set("arn", id)
		set("invokeArn", invokeArn(region, id))
	case "aws:dynamodb/table:Table":
		// dynamodb/table.go: d.SetId(tableName).
		set("name", physical)
		arn := fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/%s", region, Account, physical)
		set("arn", arn)
		// A table with a stream has its ARN and label
		// (arn:...:table/NAME/stream/LABEL, the label an ISO 8601 time).
		if e, ok := inputs["streamEnabled"]; ok && e.IsBool() && e.BoolValue() {
			set("streamLabel", streamLabel)
			set("streamArn", arn+"/stream/"+streamLabel)
		}
	case "aws:lambda/eventSourceMapping:EventSourceMapping":
		// lambda/event_source_mapping.go: d.SetId(aws.ToString(output.UUID));
		// the provider reports the function's ARN.
		id = uuidOf(name)
		set("uuid", id)
		if f := String(inputs["functionName"]); f != "" {
			set("functionArn", functionArnOf(region, f))
		}
		set("state", "Enabled")
	case "aws:sns/topic:Topic":
		// sns/topic.go: d.SetId(aws.ToString(output.TopicArn)).
		id = fmt.Sprintf("arn:aws:sns:%s:%s:%s", region, Account, physical)
		set("name", physical)
		set("arn", id)
	case "aws:sns/topicPolicy:TopicPolicy":
		// sns/topic_policy.go: d.SetId(arn), the topic's.
		id = String(inputs["arn"])
	case "aws:sns/topicSubscription:TopicSubscription":
		// sns/topic_subscription.go: d.SetId(aws.ToString(output.SubscriptionArn)),
		// asked for even when unconfirmed (ReturnSubscriptionArn: true): the
		// topic's ARN, ":" and a UUID.
		id = String(inputs["topic"]) + ":" + uuidOf(name)
		set("arn", id)
	case "aws:cloudwatch/metricAlarm:MetricAlarm":
		// cloudwatch/metric_alarm.go: d.SetId(name).
		set("name", physical)
		set("arn", fmt.Sprintf("arn:aws:cloudwatch:%s:%s:alarm:%s", region, Account, physical))
	case "aws:cloudwatch/dashboard:Dashboard":
		// cloudwatch/dashboard.go: d.SetId(name) of dashboard_name (required,
		// no auto-name); a dashboard is global, its ARN has no Region.
		id = String(inputs["dashboardName"])
		set("dashboardArn", fmt.Sprintf("arn:aws:cloudwatch::%s:dashboard/%s", Account, id))
	case "aws:cloudwatch/logGroup:LogGroup":
		// logs/group.go: d.SetId(name).
		set("name", physical)
		set("arn", fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s", region, Account, physical))
	case "aws:cloudwatch/logMetricFilter:LogMetricFilter":
		// logs/metric_filter.go: d.SetId(name), the physical name (the
		// auto-name fills it in at Check); unique only within its log group.
	case "aws:iam/role:Role":
		// iam/role.go: d.SetId(roleName); IAM is global, its ARNs have no Region.
		// The ARN carries the role's path (default "/"): "role/" + path[1:] +
		// name (IAM User Guide, IAM identifiers, "IAM ARNs":
		// arn:aws:iam::123456789012:role/application_abc/component_xyz/RDSAccess).
		path := "/"
		if p := String(inputs["path"]); p != "" {
			path = p
		}
		set("name", physical)
		set("arn", fmt.Sprintf("arn:aws:iam::%s:role%s%s", Account, path, physical))
		set("uniqueId", "AROA"+shortHash(physical))
	case "aws:iam/rolePolicy:RolePolicy":
		// iam/role_policy.go: createRolePolicyImportID, "<role>:<policy>".
		set("name", physical)
		id = String(inputs["role"]) + ":" + physical
	case "aws:sfn/stateMachine:StateMachine":
		// sfn/state_machine.go: d.SetId(StateMachineArn).
		id = fmt.Sprintf("arn:aws:states:%s:%s:stateMachine:%s", region, Account, physical)
		set("name", physical)
		set("arn", id)
	case "aws:scheduler/schedule:Schedule":
		// scheduler/schedule.go: scheduleCreateResourceID, "<group>/<name>".
		group := "default"
		if g := String(inputs["groupName"]); g != "" {
			group = g
		}
		set("name", physical)
		set("groupName", group)
		set("arn", fmt.Sprintf("arn:aws:scheduler:%s:%s:schedule/%s/%s", region, Account, group, physical))
		id = group + "/" + physical
	case "aws:iam/rolePolicyAttachment:RolePolicyAttachment":
		// iam/role_policy_attachment.go: createRolePolicyAttachmentImportID,
		// "<role>/<policy ARN>" (the examples attach
		// AWSLambdaBasicExecutionRole to their functions' role).
		id = String(inputs["role"]) + "/" + String(inputs["policyArn"])
	case "aws:lambda/permission:Permission":
		// lambda/permission.go: d.SetId(statementID), create.Name of
		// statement_id and statement_id_prefix: the given ID, else the prefix
		// and a unique suffix, else "terraform-" and one (pulumi-aws
		// auto-names statementId, so the first case is the usual one).
		id = String(inputs["statementId"])
		if id == "" {
			prefix := String(inputs["statementIdPrefix"])
			if prefix == "" {
				prefix = "terraform-"
			}
			id = prefix + uniqueSuffix(name)
		}
		set("statementId", id)
	case "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig":
		// lambda/function_event_invoke_config.go: the function name, and
		// ":<qualifier>" when there is one.
		id = String(inputs["functionName"])
		if q := String(inputs["qualifier"]); q != "" {
			id += ":" + q
		}
	case "aws:sqs/queue:Queue":
		// sqs/queue.go: d.SetId(QueueUrl).
		id = fmt.Sprintf("https://sqs.%s.amazonaws.com/%s/%s", region, Account, physical)
		set("name", physical)
		set("url", id)
		set("arn", fmt.Sprintf("arn:aws:sqs:%s:%s:%s", region, Account, physical))
	}
	return id, state
}

// String is v as the provider receives a string input: a string's value; a
// resource reference's ID, or its URN when it has no ID (what the engine sends
// a provider that does not accept resource references, as pulumi-aws's does
// not: sdk/go/common/resource/plugin/rpc.go, MarshalPropertyValue with
// KeepResources false); "" for anything else (unknown, missing), never a panic.
func String(v resource.PropertyValue) string {
	switch {
	case v.IsString():
		return v.StringValue()
	case v.IsSecret():
		return String(v.SecretValue().Element)
	case v.IsOutput() && v.OutputValue().Known:
		return String(v.OutputValue().Element)
	case v.IsResourceReference():
		ref := v.ResourceReferenceValue()
		if id := ref.ID; id.IsString() && id.StringValue() != "" {
			return id.StringValue()
		}
		if ref.ID.IsNull() {
			return string(ref.URN)
		}
	}
	return ""
}

// functionArnOf is the unqualified ARN of a function given by name or ARN (a
// Lambda functionName input takes either).
func functionArnOf(region, function string) string {
	if strings.HasPrefix(function, "arn:") {
		// arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]
		if parts := strings.Split(function, ":"); len(parts) > 7 {
			return strings.Join(parts[:7], ":")
		}
		return function
	}
	return FunctionArnIn(region, function)
}

func invokeArn(region, arn string) string {
	return fmt.Sprintf("arn:aws:apigateway:%s:lambda:path/2015-03-31/functions/%s/invocations", region, arn)
}

// uniqueSuffix stands in for the Terraform SDK's id.PrefixedUniqueId suffix:
// 26 characters, a timestamp to 1/10,000 s and an 8-hex-digit counter
// (terraform-plugin-sdk helper/id), here a hash of name so that runs repeat.
func uniqueSuffix(name string) string {
	sum := sha256.Sum256([]byte(name))
	digits := make([]byte, 18)
	for i := range digits {
		digits[i] = '0' + sum[i]%10
	}
	return string(digits) + hex.EncodeToString(sum[18:22])
}

// streamLabel is every fake stream's label.
const streamLabel = "2026-01-01T00:00:00.000"

// uuidOf is a repeatable UUID-shaped ID for name.
func uuidOf(name string) string {
	h := fmt.Sprintf("%x", sha256.Sum256([]byte(name)))
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// physicalName mimics Pulumi auto-naming: an explicit name wins, then a name
// prefix, else the logical name with a suffix (AWS's random part, here a hash so
// that runs are repeatable).
func physicalName(name string, inputs resource.PropertyMap) string {
	if n, ok := inputs["name"]; ok && n.IsString() && n.StringValue() != "" {
		return n.StringValue()
	}
	if p, ok := inputs["namePrefix"]; ok && p.IsString() {
		return p.StringValue() + shortHash(name)
	}
	return AutoName(name)
}

// AutoName is the physical name pulumi-aws gives a resource named logical when
// the program sets none: the logical name, "-" and 7 random hex characters
// (tfbridge.AutoName in pulumi-aws provider/resources.go; the random part is a
// hash here, so that runs repeat).
func AutoName(logical string) string {
	return logical + "-" + shortHash(logical)[:7]
}

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:16]
}
