package component

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
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
	Principal Principals                `json:"Principal,omitempty"`
	Action    []string                  `json:"Action"`
	Resource  []string                  `json:"Resource,omitempty"`
	Condition map[string]map[string]any `json:"Condition,omitempty"`
}

// Principals is a statement's Principal: principals by kind ("Service",
// "AWS"), or AllPrincipals.
type Principals map[string]string

// AllPrincipals is the literal "Principal": "*": every principal, AWS
// services included. Some services read {"AWS": "*"} differently (it names
// AWS identities), so a Deny meant for everyone uses this one.
var AllPrincipals = Principals{"*": "*"}

// MarshalJSON writes AllPrincipals as "*", the rest as an object.
func (p Principals) MarshalJSON() ([]byte, error) {
	if len(p) == 1 && p["*"] == "*" {
		return []byte(`"*"`), nil
	}
	return json.Marshal(map[string]string(p))
}

// UnmarshalJSON reads "*" as AllPrincipals.
func (p *Principals) UnmarshalJSON(b []byte) error {
	if string(b) == `"*"` {
		*p = Principals{"*": "*"}
		return nil
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*p = m
	return nil
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
// breakers sharing a table cannot read or write each other's circuits. With
// per-key circuits (perKey), to the breaker's own item and its keys' items,
// "<service>#<key>" (circuit.ItemKey): '#' never occurs in a service name, so
// "<service>#*" matches no other breaker's item. dynamodb:LeadingKeys is a
// multivalued string key (every partition key the request touches: both of a
// BatchGetItem), hence ForAllValues; StringLike is IAM's wildcard operator
// for string keys, which DynamoDB's fine-grained access control takes like
// StringEquals (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html,
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html#amazondynamodb-policy-keys:
// dynamodb:LeadingKeys, ArrayOfString).
func ownItemOnly(serviceName string, perKey bool) map[string]map[string]any {
	if perKey {
		return map[string]map[string]any{
			"ForAllValues:StringLike": {"dynamodb:LeadingKeys": []string{serviceName, serviceName + "#*"}},
		}
	}
	return map[string]map[string]any{
		"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": []string{serviceName}},
	}
}

// CircuitTable is the table our roles read and write.
type CircuitTable struct {
	Arn, Name string
	// PerKey widens the item grants to the breaker's per-key items
	// (ownItemOnly) and lets the state machine read two items in one
	// BatchGetItem.
	PerKey bool
	// Brought is true for the user's own table, which may be encrypted with a
	// customer managed KMS key (the breaker's own table uses the AWS managed key,
	// whose key policy already lets every principal in the account use it
	// through DynamoDB).
	Brought bool
}

// statements grant actions on the circuit's own item and, for a brought table,
// what DynamoDB needs from the caller's identity to use a customer managed key
// on its behalf. Which key it is (serverSideEncryption.kmsKeyArn) is an
// optional output, and no input may wait on one (it is unknown at every
// preview), so the grant names no key: it holds only when DynamoDB in the
// table's Region calls KMS for this very table (kms:ViaService and the
// encryption context DynamoDB sends, aws:dynamodb:tableName and
// aws:dynamodb:subscriberId). The actions are those AWS's own key for DynamoDB
// (aws/dynamodb) gives the table's users, less kms:CreateGrant, which only the
// table's creator needs. Sources: AWS KMS Developer Guide, "How Amazon DynamoDB
// uses AWS KMS" (customer managed key policy, table key caching: DynamoDB
// decrypts the table key on the caller's behalf when it first accesses the
// table and again after five minutes idle; the encryption context), and
// "kms:ViaService" / "kms:EncryptionContext:context-key" condition keys.
func (t CircuitTable) statements(sid, serviceName string, actions []string) []Statement {
	st := []Statement{{
		Sid:       sid,
		Effect:    "Allow",
		Action:    actions,
		Resource:  []string{t.Arn},
		Condition: ownItemOnly(serviceName, t.PerKey),
	}}
	return append(st, t.keyStatements([]string{"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"})...)
}

// keyStatements grant a brought table's customer managed key, through
// DynamoDB for this very table only (see statements): actions, and
// kms:DescribeKey. None for the breaker's own table (AWS managed key).
func (t CircuitTable) keyStatements(actions []string) []Statement {
	if !t.Brought {
		return nil
	}
	partition, region, account := arnParts(t.Arn)
	via := "dynamodb." + region + ".amazonaws.com"
	keys := "arn:" + partition + ":kms:" + region + ":*:key/*"
	return []Statement{
		{
			Sid:      "UseTableKeyThroughDynamoDB",
			Effect:   "Allow",
			Action:   actions,
			Resource: []string{keys},
			Condition: map[string]map[string]any{"StringEquals": {
				"kms:ViaService": via,
				"kms:EncryptionContext:aws:dynamodb:tableName":    t.Name,
				"kms:EncryptionContext:aws:dynamodb:subscriberId": account,
			}},
		},
		Statement{
			Sid:       "DescribeTableKeyThroughDynamoDB",
			Effect:    "Allow",
			Action:    []string{"kms:DescribeKey"},
			Resource:  []string{keys},
			Condition: map[string]map[string]any{"StringEquals": {"kms:ViaService": via}},
		},
	}
}

// FunctionAndVersions is what a grant to invoke one of the user's functions
// names: the function and every version and alias of it. An IAM Resource
// matches an invoked ARN exactly, and Lambda's qualified ARNs are distinct
// resources (function, function:version, function:alias); "function:*" matches
// every qualifier and nothing but this function. Granting the qualified ARN
// alone breaks executions and schedules still running with the old qualifier
// while a redeploy changes it (the old grant is replaced, and IAM takes seconds
// to propagate the new one), and a denied invoke is a
// Lambda.AWSLambdaException, which the request path retries and counts. Sources:
// Lambda Developer Guide, "Fine-tuning the Resources and Conditions sections of
// policies" (resource ARN formats; "function:test:*" matches a version number
// or alias); Step Functions Developer Guide, "IAM policies for AWS Lambda".
func FunctionAndVersions(functionArn string) []string {
	return []string{functionArn, functionArn + ":*"}
}

// StateMachinePolicy: read and update the circuit's own item (failure counts,
// probe slots, closing) and invoke exactly the functions the definition names:
// the user's (downstream, fallback if any) at any qualifier, and our controller.
// Log delivery is a policy of its own (LogDeliveryPolicy) so that it can be
// removed after the state machine stops logging, not before.
func StateMachinePolicy(table CircuitTable, serviceName, controllerArn string, userFunctionArns []string, extra ...Statement) string {
	invoke := []string{}
	for _, f := range userFunctionArns {
		invoke = append(invoke, FunctionAndVersions(f)...)
	}
	invoke = append(invoke, controllerArn)
	// GetItem: the plain read; with per-key circuits, the breaker's item read
	// alone when the keyed read failed or came back partial.
	actions := []string{"dynamodb:GetItem", "dynamodb:UpdateItem"}
	if table.PerKey {
		// The keyed read: the breaker's item and the key's in one call.
		actions = append(actions, "dynamodb:BatchGetItem")
	}
	st := table.statements("ReadAndCountOwnCircuit", serviceName, actions)
	st = append(st, Statement{
		Sid:      "InvokeDownstreamAndController",
		Effect:   "Allow",
		Action:   []string{"lambda:InvokeFunction"},
		Resource: invoke,
	})
	return document(append(st, extra...)...).String()
}

// LogDeliveryPolicy lets Step Functions deliver the state machine's execution
// logs. Its log delivery API takes no resource ARNs: AWS documents these
// actions with Resource "*" and they cannot be scoped further.
func LogDeliveryPolicy() string {
	return document(Statement{
		Sid:    "DeliverExecutionLogs",
		Effect: "Allow",
		Action: []string{
			"logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery",
			"logs:DeleteLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy",
			"logs:DescribeResourcePolicies", "logs:DescribeLogGroups",
		},
		Resource: []string{"*"},
	}).String()
}

// CircuitWriterPolicy is every Lambda of ours: read-modify-write the circuit's own
// item and write to its own log group (which the component creates, so no
// CreateLogGroup).
func CircuitWriterPolicy(table CircuitTable, serviceName, logGroupArn string) string {
	st := table.statements("UpdateOwnCircuit", serviceName, []string{"dynamodb:GetItem", "dynamodb:UpdateItem"})
	st = append(st, Statement{
		Sid:      "WriteOwnLogs",
		Effect:   "Allow",
		Action:   []string{"logs:CreateLogStream", "logs:PutLogEvents"},
		Resource: []string{logGroupArn + ":*"},
	})
	return document(st...).String()
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

// SchedulerPolicy: invoke the breaker's healthcheck runner (at any
// qualifier, see FunctionAndVersions), nothing else.
func SchedulerPolicy(runnerFunctionArn string) string {
	return document(Statement{
		Sid:      "InvokeHealthcheckRunner",
		Effect:   "Allow",
		Action:   []string{"lambda:InvokeFunction"},
		Resource: FunctionAndVersions(runnerFunctionArn),
	}).String()
}

// HealthcheckInvokePolicy: the runner may invoke the healthcheck at the one
// ARN it calls, qualified by the alias or version when there is one, and no
// other version of it. Lambda authorizes an invoke of a qualified ARN against
// that ARN (Lambda Developer Guide, "Resources and conditions for Lambda
// actions": a qualified ARN names the version or alias).
func HealthcheckInvokePolicy(qualifiedHealthcheckArn string) string {
	return document(Statement{
		Sid:      "InvokeHealthcheck",
		Effect:   "Allow",
		Action:   []string{"lambda:InvokeFunction"},
		Resource: []string{qualifiedHealthcheckArn},
	}).String()
}

// TopicPolicy lets only this breaker's alarms publish to its topic. The
// alarms are named before they exist (AlarmArn), so the policy is in place
// before either can notify.
//
//   - CloudWatchAlarmsPublish allows CloudWatch to publish for these alarms:
//     CloudWatch publishes an alarm's notification as the alarm, the alarm's
//     ARN being the request's aws:SourceArn (AWS re:Post knowledge center,
//     "Why didn't I receive an SNS notification for my CloudWatch alarm
//     trigger?": "Resource: arn:aws:cloudwatch:REGION:ACCOUNT:alarm:NAME is
//     not authorized to perform: SNS:Publish"; Amazon SNS Developer Guide,
//     "Example cases for Amazon SNS access control").
//   - OnlyTheseAlarmsPublish denies sns:Publish to every principal unless the
//     request comes from one of these alarms (issue 14 item 7a). Without it,
//     any principal of the account whose IAM policy allows sns:Publish could
//     post a forged notification: within an account, an identity policy's
//     Allow suffices. A negated condition operator matches a request
//     without the key (IAM User Guide, "IAM JSON policy elements: Condition
//     operators": if the key is not present and the operator is negated,
//     such as ArnNotLike, the condition is true), so a person's or another
//     service's Publish, which carries no alarm's aws:SourceArn, is denied;
//     with several values, a negated operator is true when the key matches
//     none of them (same page), so each alarm of the list may publish.
//   - OwnerManages keeps what SNS's default topic policy gives the owning
//     account, short of publishing (GetTopicAttributes, SetTopicAttributes,
//     AddPermission, RemovePermission, DeleteTopic, Subscribe,
//     ListSubscriptionsByTopic): users subscribe their alerting to the topic,
//     and the deployer manages and deletes it.
func TopicPolicy(topicArn, account string, alarmArns []string) string {
	partition, _, _ := arnParts(topicArn)
	return document(
		Statement{
			Sid:       "CloudWatchAlarmsPublish",
			Effect:    "Allow",
			Principal: Principals{"Service": "cloudwatch.amazonaws.com"},
			Action:    []string{"sns:Publish"},
			Resource:  []string{topicArn},
			Condition: map[string]map[string]any{
				"ArnLike":      {"aws:SourceArn": alarmArns},
				"StringEquals": {"aws:SourceAccount": account},
			},
		},
		Statement{
			Sid:       "OnlyTheseAlarmsPublish",
			Effect:    "Deny",
			Principal: AllPrincipals,
			Action:    []string{"sns:Publish"},
			Resource:  []string{topicArn},
			Condition: map[string]map[string]any{"ArnNotLike": {"aws:SourceArn": alarmArns}},
		},
		Statement{
			Sid:       "OwnerManages",
			Effect:    "Allow",
			Principal: Principals{"AWS": "arn:" + partition + ":iam::" + account + ":root"},
			Action: []string{"sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:AddPermission", "sns:RemovePermission",
				"sns:DeleteTopic", "sns:Subscribe", "sns:ListSubscriptionsByTopic"},
			Resource: []string{topicArn},
		},
	).String()
}

// AlarmArn is the ARN CloudWatch gives an alarm of that name in the topic's
// partition and Region and the given account
// (arn:PARTITION:cloudwatch:REGION:ACCOUNT:alarm:NAME).
func AlarmArn(topicArn, account, name string) string {
	partition, region, _ := arnParts(topicArn)
	return "arn:" + partition + ":cloudwatch:" + region + ":" + account + ":alarm:" + name
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

// arnParts reads the partition, Region and account out of an ARN the
// provider gave us (empty strings for a malformed one).
func arnParts(arn string) (partition, region, account string) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return "", "", ""
	}
	return parts[1], parts[3], parts[4]
}

// The key the state machine and the Lambdas use; a brought table must have it.
const tableKey = circuit.KeyAttribute

// EventPublisherPolicy is the event publisher's: read the circuit table's
// stream, and nothing of the table itself (AWS Lambda needs these four actions
// on the stream for a DynamoDB event source mapping: Amazon DynamoDB Developer
// Guide, "IAM policy to allow an AWS Lambda function to access DynamoDB stream
// records" and "IAM policy to grant read access for a DynamoDB stream only");
// put events on one bus; write its own logs; and keep the records it could not
// publish in its queue (Lambda sends a mapping's on-failure records with the
// function's execution role).
//
// A brought table's stream is encrypted with the table's key ("DynamoDB
// streams are always encrypted with a table-level encryption key": Amazon
// DynamoDB Developer Guide, "DynamoDB encryption at rest usage notes"; AWS KMS
// Developer Guide, "How Amazon DynamoDB uses AWS KMS": encryption at rest
// protects DynamoDB Streams as it protects the table), and a customer managed
// key is used on the reader's behalf: the publisher gets kms:Decrypt on it
// through DynamoDB for this table only, as the writers get their actions
// (CircuitTable.keyStatements). The breaker's own table uses the AWS managed
// key, whose key policy already lets the account's principals use it through
// DynamoDB.
func EventPublisherPolicy(table CircuitTable, streamArn, busArn, logGroupArn, queueArn string) string {
	st := []Statement{
		{
			Sid:      "ReadCircuitTableStream",
			Effect:   "Allow",
			Action:   []string{"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"},
			Resource: []string{streamArn},
		},
		{
			Sid:      "PublishTransitions",
			Effect:   "Allow",
			Action:   []string{"events:PutEvents"},
			Resource: []string{busArn},
		},
		{
			Sid:      "WriteOwnLogs",
			Effect:   "Allow",
			Action:   []string{"logs:CreateLogStream", "logs:PutLogEvents"},
			Resource: []string{logGroupArn + ":*"},
		},
		{
			Sid:      "KeepUnpublishedRecords",
			Effect:   "Allow",
			Action:   []string{"sqs:SendMessage"},
			Resource: []string{queueArn},
		},
	}
	return document(append(st, table.keyStatements([]string{"kms:Decrypt"})...)...).String()
}

// ReconcilePolicy is what the reconciler, which runs under the alarm
// handler's role, adds to it: read exactly this breaker's alarms, receive and
// delete from exactly the alarm handler's dead-letter queue, and write the
// reconciler's own log group. cloudwatch:DescribeAlarms takes the alarm
// resource type (arn:PARTITION:cloudwatch:REGION:ACCOUNT:alarm:NAME), so it is
// granted on the alarms' ARNs, known before they exist (AlarmArn); the
// handler calls it with AlarmNames naming just those. Sources: Service
// Authorization Reference, "Actions, resources, and condition keys for Amazon
// CloudWatch" (DescribeAlarms: resource type alarm*) and "... for Amazon SQS"
// (ReceiveMessage, DeleteMessage: resource type queue*).
func ReconcilePolicy(alarmArns []string, queueArn, reconcilerLogGroupArn string) string {
	return document(
		Statement{
			Sid:      "ReadOwnAlarms",
			Effect:   "Allow",
			Action:   []string{"cloudwatch:DescribeAlarms"},
			Resource: alarmArns,
		},
		Statement{
			Sid:      "DrainOwnDeadLetterQueue",
			Effect:   "Allow",
			Action:   []string{"sqs:ReceiveMessage", "sqs:DeleteMessage"},
			Resource: []string{queueArn},
		},
		// The reconciler runs under the alarm handler's role (component
		// reconcile.go): its own log group, as CircuitWriterPolicy's.
		Statement{
			Sid:      "WriteReconcilerLogs",
			Effect:   "Allow",
			Action:   []string{"logs:CreateLogStream", "logs:PutLogEvents"},
			Resource: []string{reconcilerLogGroupArn + ":*"},
		},
	).String()
}

// ReconcileSchedulerPolicy: invoke the reconciler, nothing else. Its
// unqualified ARN is the one the schedule targets (our function has no aliases).
func ReconcileSchedulerPolicy(reconcilerArn string) string {
	return document(Statement{
		Sid:      "InvokeReconciler",
		Effect:   "Allow",
		Action:   []string{"lambda:InvokeFunction"},
		Resource: []string{reconcilerArn},
	}).String()
}
