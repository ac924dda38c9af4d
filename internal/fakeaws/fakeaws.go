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

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Account and Region every fake ARN lives in.
const (
	Account = "123456789012"
	Region  = "us-east-1"
)

// FunctionArn is the ARN AWS gives a Lambda function of that name.
func FunctionArn(name string) string {
	return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", Region, Account, name)
}

// Create returns the ID and the state (inputs plus computed outputs) of a new
// resource of type token with logical name name. Deterministic: the same inputs
// give the same outputs, as a second preview expects.
func Create(token, name string, inputs resource.PropertyMap) (string, resource.PropertyMap) {
	state := inputs.Copy()
	physical := physicalName(name, inputs)
	set := func(k, v string) { state[resource.PropertyKey(k)] = resource.NewStringProperty(v) }
	if tags, ok := inputs["tags"]; ok {
		state["tagsAll"] = tags
	}
	id := physical
	switch token {
	case "aws:lambda/function:Function":
		arn := FunctionArn(physical)
		set("name", physical)
		set("arn", arn)
		set("qualifiedArn", arn+":$LATEST")
		set("invokeArn", fmt.Sprintf("arn:aws:apigateway:%s:lambda:path/2015-03-31/functions/%s/invocations", Region, arn))
		set("version", "$LATEST")
	case "aws:dynamodb/table:Table":
		set("name", physical)
		arn := fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/%s", Region, Account, physical)
		set("arn", arn)
		// A table with a stream has its ARN and label
		// (arn:...:table/NAME/stream/LABEL, the label an ISO 8601 time).
		if e, ok := inputs["streamEnabled"]; ok && e.IsBool() && e.BoolValue() {
			set("streamLabel", streamLabel)
			set("streamArn", arn+"/stream/"+streamLabel)
		}
	case "aws:lambda/eventSourceMapping:EventSourceMapping":
		// A mapping's ID is its UUID; the provider reports the function's ARN.
		id = uuidOf(name)
		set("uuid", id)
		if f, ok := inputs["functionName"]; ok && f.IsString() {
			set("functionArn", f.StringValue())
		}
		set("state", "Enabled")
	case "aws:sns/topic:Topic":
		id = fmt.Sprintf("arn:aws:sns:%s:%s:%s", Region, Account, physical)
		set("name", physical)
		set("arn", id)
	case "aws:sns/topicPolicy:TopicPolicy":
		id = inputs["arn"].StringValue()
	case "aws:sns/topicSubscription:TopicSubscription":
		id = inputs["topic"].StringValue() + ":" + shortHash(name)
		set("arn", id)
	case "aws:cloudwatch/metricAlarm:MetricAlarm":
		set("name", physical)
		set("arn", fmt.Sprintf("arn:aws:cloudwatch:%s:%s:alarm:%s", Region, Account, physical))
	case "aws:cloudwatch/logGroup:LogGroup":
		set("name", physical)
		set("arn", fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s", Region, Account, physical))
	case "aws:iam/role:Role":
		set("name", physical)
		set("arn", fmt.Sprintf("arn:aws:iam::%s:role/%s", Account, physical))
		set("uniqueId", "AROA"+shortHash(physical))
	case "aws:iam/rolePolicy:RolePolicy":
		set("name", physical)
		id = inputs["role"].StringValue() + ":" + physical
	case "aws:sfn/stateMachine:StateMachine":
		id = fmt.Sprintf("arn:aws:states:%s:%s:stateMachine:%s", Region, Account, physical)
		set("name", physical)
		set("arn", id)
	case "aws:scheduler/schedule:Schedule":
		group := "default"
		if g, ok := inputs["groupName"]; ok && g.IsString() {
			group = g.StringValue()
		}
		set("name", physical)
		set("groupName", group)
		set("arn", fmt.Sprintf("arn:aws:scheduler:%s:%s:schedule/%s/%s", Region, Account, group, physical))
		id = group + "/" + physical
	case "aws:iam/rolePolicyAttachment:RolePolicyAttachment":
		// The examples attach AWSLambdaBasicExecutionRole to their functions' role.
		// AWS has no ID for an attachment; the aws provider makes one from the
		// role and a timestamp, a hash here.
		if r, ok := inputs["role"]; ok && r.IsString() {
			id = r.StringValue() + "-" + shortHash(name)
		}
	case "aws:lambda/permission:Permission":
		set("statementId", "terraform-"+shortHash(name))
		id = "terraform-" + shortHash(name)
	case "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig":
		id = inputs["functionName"].StringValue()
	case "aws:sqs/queue:Queue":
		id = fmt.Sprintf("https://sqs.%s.amazonaws.com/%s/%s", Region, Account, physical)
		set("name", physical)
		set("url", id)
		set("arn", fmt.Sprintf("arn:aws:sqs:%s:%s:%s", Region, Account, physical))
	}
	return id, state
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
