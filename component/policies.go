package component

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/lambdas/circuit"
)

// IAM documents as plain functions of known strings, so that tests can assert on
// them directly and the graph builders only lift them over outputs.

// PolicyDocument is an IAM policy; field order is JSON order, so documents are
// byte-stable across runs (no spurious diffs).
type PolicyDocument struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement is one IAM policy statement.
type Statement struct {
	Sid       string                    `json:"Sid,omitempty"`
	Effect    string                    `json:"Effect"`
	Principal map[string]string         `json:"Principal,omitempty"`
	Action    []string                  `json:"Action"`
	Resource  []string                  `json:"Resource,omitempty"`
	Condition map[string]map[string]any `json:"Condition,omitempty"`
}

func (d PolicyDocument) String() string {
	b, err := json.Marshal(d)
	if err != nil {
		panic(err) // only strings and maps: cannot fail
	}
	return string(b)
}

func document(statements ...Statement) PolicyDocument {
	return PolicyDocument{Version: "2012-10-17", Statement: statements}
}

// AssumeRolePolicy lets one AWS service assume a role, and only on behalf of the
// account that owns the breaker (confused-deputy protection).
func AssumeRolePolicy(service, account string) string {
	return document(Statement{
		Effect:    "Allow",
		Principal: map[string]string{"Service": service},
		Action:    []string{"sts:AssumeRole"},
		Condition: map[string]map[string]any{"StringEquals": {"aws:SourceAccount": account}},
	}).String()
}

// ownItemOnly restricts DynamoDB actions to the circuit's own item, so that
// breakers sharing a table cannot read or write each other's circuits.
func ownItemOnly(serviceName string) map[string]map[string]any {
	return map[string]map[string]any{
		"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": []string{serviceName}},
	}
}

// StateMachinePolicy: read and update the circuit's own item (failure counts,
// probe slots, closing), invoke exactly the functions the definition names (the
// qualified downstream, our controller, the fallback if any), and deliver logs.
func StateMachinePolicy(tableArn, serviceName string, functionArns []string, logging bool) string {
	st := []Statement{
		{
			Sid:       "ReadAndCountOwnCircuit",
			Effect:    "Allow",
			Action:    []string{"dynamodb:GetItem", "dynamodb:UpdateItem"},
			Resource:  []string{tableArn},
			Condition: ownItemOnly(serviceName),
		},
		{
			Sid:      "InvokeDownstreamAndController",
			Effect:   "Allow",
			Action:   []string{"lambda:InvokeFunction"},
			Resource: functionArns,
		},
	}
	if logging {
		// Step Functions' log delivery API takes no resource ARNs: AWS documents
		// these actions with Resource "*" and they cannot be scoped further.
		st = append(st, Statement{
			Sid:    "DeliverExecutionLogs",
			Effect: "Allow",
			Action: []string{
				"logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery",
				"logs:DeleteLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy",
				"logs:DescribeResourcePolicies", "logs:DescribeLogGroups",
			},
			Resource: []string{"*"},
		})
	}
	return document(st...).String()
}

// CircuitWriterPolicy is every Lambda of ours: read-modify-write the circuit's own
// item and write to its own log group (which the component creates, so no
// CreateLogGroup).
func CircuitWriterPolicy(tableArn, serviceName, logGroupArn string) string {
	return document(
		Statement{
			Sid:       "UpdateOwnCircuit",
			Effect:    "Allow",
			Action:    []string{"dynamodb:GetItem", "dynamodb:UpdateItem"},
			Resource:  []string{tableArn},
			Condition: ownItemOnly(serviceName),
		},
		Statement{
			Sid:      "WriteOwnLogs",
			Effect:   "Allow",
			Action:   []string{"logs:CreateLogStream", "logs:PutLogEvents"},
			Resource: []string{logGroupArn + ":*"},
		},
	).String()
}

// QueueSendPolicy: deliver failed events to one queue.
func QueueSendPolicy(queueArn string) string {
	return document(Statement{
		Sid:      "KeepUndeliveredNotifications",
		Effect:   "Allow",
		Action:   []string{"sqs:SendMessage"},
		Resource: []string{queueArn},
	}).String()
}

// SchedulerPolicy: invoke the healthcheck, nothing else.
func SchedulerPolicy(healthcheckArn string) string {
	return document(Statement{
		Sid:      "InvokeHealthcheck",
		Effect:   "Allow",
		Action:   []string{"lambda:InvokeFunction"},
		Resource: []string{healthcheckArn},
	}).String()
}

// TopicPolicy lets only this breaker's two alarms publish to its topic.
func TopicPolicy(topicArn, account string, alarmArns []string) string {
	return document(Statement{
		Sid:       "CloudWatchAlarmsPublish",
		Effect:    "Allow",
		Principal: map[string]string{"Service": "cloudwatch.amazonaws.com"},
		Action:    []string{"sns:Publish"},
		Resource:  []string{topicArn},
		Condition: map[string]map[string]any{
			"ArnLike":      {"aws:SourceArn": alarmArns},
			"StringEquals": {"aws:SourceAccount": account},
		},
	}).String()
}

// Qualified is the ARN that invokes (and is granted) the given alias or version.
func Qualified(functionArn, qualifier string) string {
	if qualifier == "" {
		return functionArn
	}
	return functionArn + ":" + qualifier
}

// AccountOf reads the account ID out of an ARN.
func AccountOf(arn string) (string, error) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" || parts[4] == "" {
		return "", fmt.Errorf("%q is not an ARN with an account ID", arn)
	}
	return parts[4], nil
}

// The key the state machine and the Lambdas use; a brought table must have it.
const tableKey = circuit.KeyAttribute
