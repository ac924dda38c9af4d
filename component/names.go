package component

import (
	"fmt"
	"regexp"
	"strings"
)

// Every child is named g.child(suffix) = name + "-" + suffix, and the aws
// provider auto-names it from that: the logical name, "-" and 7 random hex
// characters (tfbridge.AutoName, pulumi-aws provider/resources.go; the bridge
// refuses a name whose prefix plus the random part exceeds its maxlen, and the
// Terraform provider's schema refuses what AWS would). So the component's own
// name decides whether AWS accepts the children's names, and it is checked
// once, at preview, against every child's limit below.
const autoNameSuffix = 1 + 7 // "-" + 7 random characters

// physicalName is one child whose AWS name is derived from the component's.
type physicalName struct {
	suffix  string         // the child's logical-name suffix
	kind    string         // what AWS calls it, for the error message
	max     int            // the longest name AWS (or the provider) accepts
	allowed *regexp.Regexp // the characters it accepts, for the component's name
	source  string         // where max and allowed come from
}

var (
	// Lambda function names: 64, [a-zA-Z0-9-_] (Lambda CreateFunction API
	// reference; pulumi-aws: AutoName("name", 64, "-") on function_name).
	lambdaChars = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	// State machine names: 80, [0-9A-Za-z_-] (terraform-provider-aws
	// internal/service/sfn/state_machine.go, the name's ValidateFunc).
	stateMachineChars = lambdaChars
	// SQS queue names: 80, [0-9A-Za-z_-] (internal/service/sqs/queue.go,
	// resourceQueueCustomizeDiff; pulumi-aws Maxlen 80).
	queueChars = lambdaChars
	// SNS topic names: [0-9A-Za-z_-] (internal/service/sns/topic.go,
	// resourceTopicCustomizeDiff; pulumi-aws caps auto-names at Maxlen 80).
	topicChars = lambdaChars
	// Schedule names: 64, [0-9A-Za-z_.-] (internal/service/scheduler/schedule.go).
	scheduleChars = regexp.MustCompile(`^[0-9A-Za-z_.-]+$`)
	// IAM role and policy names: [\w+=,.@-] (IAM CreateRole/PutRolePolicy API
	// reference); roles 64 (pulumi-aws AutoName("name", 64, "-")), inline
	// policies 128 (IAM quotas).
	iamChars = regexp.MustCompile(`^[\w+=,.@-]+$`)
	// Lambda permission statement IDs: 100, [a-zA-Z0-9-_] (Lambda AddPermission
	// API reference; pulumi-aws AutoName("statementId", 100, "-")).
	statementChars = lambdaChars
	// DynamoDB table names: 3-255, [a-zA-Z0-9_.-] (CreateTable API reference).
	tableChars = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
)

// physicalNames is every auto-named child. Children without a name of their
// own (policies attached to a topic, subscriptions, event-invoke configs) are
// not listed; the alarms are named after the topic (alarms.go), and the log
// groups take a name prefix with 512 characters of room and a wider alphabet.
var physicalNames = []physicalName{
	{"table", "DynamoDB table", 255, tableChars, "DynamoDB CreateTable API reference (3-255, [a-zA-Z0-9_.-])"},
	{"alarms", "SNS topic", 80, topicChars, "pulumi-aws provider/resources.go (aws_sns_topic Maxlen 80); terraform-provider-aws internal/service/sns/topic.go"},
	{"alarm-handler", "Lambda function", 64, lambdaChars, "pulumi-aws provider/resources.go (AutoName(\"name\", 64)); Lambda CreateFunction API reference"},
	{"controller", "Lambda function", 64, lambdaChars, "pulumi-aws provider/resources.go (AutoName(\"name\", 64)); Lambda CreateFunction API reference"},
	{"health-runner", "Lambda function", 64, lambdaChars, "pulumi-aws provider/resources.go (AutoName(\"name\", 64)); Lambda CreateFunction API reference"},
	{"reconciler", "Lambda function", 64, lambdaChars, "pulumi-aws provider/resources.go (AutoName(\"name\", 64)); Lambda CreateFunction API reference"},
	{"health-runner-role", "IAM role", 64, iamChars, "pulumi-aws provider/resources.go (aws_iam_role AutoName(\"name\", 64)); IAM CreateRole API reference"},
	{"health-runner-policy", "IAM role policy", 128, iamChars, "IAM quotas (inline policy name 128); IAM PutRolePolicy API reference"},
	{"health-runner-invoke-policy", "IAM role policy", 128, iamChars, "IAM quotas (inline policy name 128); IAM PutRolePolicy API reference"},
	{"alarm-handler-role", "IAM role", 64, iamChars, "pulumi-aws provider/resources.go (aws_iam_role AutoName(\"name\", 64)); IAM CreateRole API reference"},
	{"events", "Lambda function", 64, lambdaChars, "pulumi-aws provider/resources.go (AutoName(\"name\", 64)); Lambda CreateFunction API reference"},
	{"events-role", "IAM role", 64, iamChars, "pulumi-aws provider/resources.go (aws_iam_role AutoName(\"name\", 64)); IAM CreateRole API reference"},
	{"events-policy", "IAM role policy", 128, iamChars, "IAM quotas (inline policy name 128); IAM PutRolePolicy API reference"},
	{"events-dlq", "SQS queue", 80, queueChars, "pulumi-aws provider/resources.go (aws_sqs_queue Maxlen 80); terraform-provider-aws internal/service/sqs/queue.go"},
	{"controller-role", "IAM role", 64, iamChars, "pulumi-aws provider/resources.go (aws_iam_role AutoName(\"name\", 64)); IAM CreateRole API reference"},
	{"state-machine-role", "IAM role", 64, iamChars, "pulumi-aws provider/resources.go (aws_iam_role AutoName(\"name\", 64)); IAM CreateRole API reference"},
	{"schedule-role", "IAM role", 64, iamChars, "pulumi-aws provider/resources.go (aws_iam_role AutoName(\"name\", 64)); IAM CreateRole API reference"},
	{"alarm-handler-policy", "IAM role policy", 128, iamChars, "IAM quotas (inline policy name 128); IAM PutRolePolicy API reference"},
	{"controller-policy", "IAM role policy", 128, iamChars, "IAM quotas (inline policy name 128); IAM PutRolePolicy API reference"},
	{"state-machine-policy", "IAM role policy", 128, iamChars, "IAM quotas (inline policy name 128); IAM PutRolePolicy API reference"},
	{"state-machine-logs-policy", "IAM role policy", 128, iamChars, "IAM quotas (inline policy name 128); IAM PutRolePolicy API reference"},
	{"schedule-policy", "IAM role policy", 128, iamChars, "IAM quotas (inline policy name 128); IAM PutRolePolicy API reference"},
	{"alarm-handler-dlq-policy", "IAM role policy", 128, iamChars, "IAM quotas (inline policy name 128); IAM PutRolePolicy API reference"},
	{"alarm-handler-invoke", "Lambda permission statement ID", 100, statementChars, "pulumi-aws provider/resources.go (AutoName(\"statementId\", 100)); Lambda AddPermission API reference"},
	{"alarm-handler-dlq", "SQS queue", 80, queueChars, "pulumi-aws provider/resources.go (aws_sqs_queue Maxlen 80); terraform-provider-aws internal/service/sqs/queue.go"},
	{"state-machine", "Step Functions state machine", 80, stateMachineChars, "terraform-provider-aws internal/service/sfn/state_machine.go (1-80, [0-9A-Za-z_-])"},
	{"healthcheck", "EventBridge Scheduler schedule", 64, scheduleChars, "terraform-provider-aws internal/service/scheduler/schedule.go (1-64, [0-9A-Za-z_.-])"},
	{"reconcile", "EventBridge Scheduler schedule", 64, scheduleChars, "terraform-provider-aws internal/service/scheduler/schedule.go (1-64, [0-9A-Za-z_.-])"},
	{"reconcile-role", "IAM role", 64, iamChars, "pulumi-aws provider/resources.go (aws_iam_role AutoName(\"name\", 64)); IAM CreateRole API reference"},
	{"reconcile-policy", "IAM role policy", 128, iamChars, "IAM quotas (inline policy name 128); IAM PutRolePolicy API reference"},
	{"alarm-handler-reconcile-policy", "IAM role policy", 128, iamChars, "IAM quotas (inline policy name 128); IAM PutRolePolicy API reference"},
}

// MaxNameLength is the longest component name whose every child's auto-name
// fits, and the child that sets it.
func MaxNameLength() (int, physicalName) {
	longest, limit := physicalNames[0], physicalNames[0].max-len(physicalNames[0].suffix)-1-autoNameSuffix
	for _, p := range physicalNames[1:] {
		if l := p.max - len(p.suffix) - 1 - autoNameSuffix; l < limit {
			longest, limit = p, l
		}
	}
	return limit, longest
}

// CheckName explains why AWS would refuse the children of a CircuitBreaker
// called name, or returns nil.
func CheckName(name string) error { return nameProblems(name).err() }

func nameProblems(name string) problems {
	var p problems
	limit, by := MaxNameLength()
	if len(name) > limit {
		p.add("name", "the CircuitBreaker's resource name %q has %d characters; use at most %d, because the %s %q plus the provider's %d-character auto-name suffix must fit in %d characters (%s)",
			name, len(name), limit, by.kind, name+"-"+by.suffix, autoNameSuffix, by.max, by.source)
	}
	var bad []string
	seen := map[string]bool{}
	for _, child := range physicalNames {
		for _, r := range name {
			c := string(r)
			if !child.allowed.MatchString(c) && !seen[c] {
				seen[c] = true
				bad = append(bad, fmt.Sprintf("%q (refused in the %s name, %s)", c, child.kind, child.source))
			}
		}
	}
	if len(bad) > 0 {
		p.add("name", "the CircuitBreaker's resource name %q has characters its children's AWS names cannot have: %s; use only letters, digits, '-' and '_'",
			name, strings.Join(bad, ", "))
	}
	return p
}
