package circuitctl

import (
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit/circuitstore"
)

// Exit codes, documented in the usage text and docs/runbook.md, so that a
// script can branch on them without parsing messages.
const (
	ExitOK = 0
	// ExitUsage: bad flags or arguments (nothing was sent to AWS).
	ExitUsage = 1
	// ExitCircuitNotFound: the table holds no item for the circuit. Such a
	// circuit IS closed (circuit: a circuit with no item is closed) and
	// status still prints it as CLOSED, but a never-written circuit and a
	// misspelt name look the same, so a script must be able to tell.
	ExitCircuitNotFound = 2
	// ExitTableNotFound: DynamoDB's ResourceNotFoundException.
	ExitTableNotFound = 3
	// ExitAccessDenied: DynamoDB's AccessDeniedException, or credentials AWS
	// does not accept.
	ExitAccessDenied = 4
	// ExitConflictOrOther: the item kept changing under our conditional write
	// (circuitstore.ErrConflict), or any other AWS or network error.
	ExitConflictOrOther = 5
)

// exitError is an error with the exit code it maps to and the fix to print.
type exitError struct {
	code int
	msg  string
	err  error
	// brief: msg alone says what to do, err is shown only with --debug.
	brief bool
}

func (e *exitError) Error() string {
	if e.err != nil && !e.brief {
		return e.msg + ": " + e.err.Error()
	}
	return e.msg
}

func (e *exitError) Unwrap() error { return e.err }

func usageError(format string, args ...any) error {
	return &exitError{code: ExitUsage, msg: fmt.Sprintf(format, args...)}
}

// Error codes DynamoDB (and every AWS JSON service) answers with when the
// caller is not allowed, or not recognised. They have no modelled type in
// aws-sdk-go-v2's dynamodb/types: the SDK surfaces them as a
// smithy.GenericAPIError whose ErrorCode() is the wire code.
var deniedCodes = map[string]bool{
	"AccessDeniedException":       true,
	"UnrecognizedClientException": true,
	"MissingAuthenticationToken":  true,
	"InvalidSignatureException":   true,
	"IncompleteSignature":         true,
	"ExpiredTokenException":       true,
}

// classify maps an error of a DynamoDB call to an exit code and a message that
// names the fix. table and service are for the message.
func classify(err error, table, service string) *exitError {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee
	}
	var notFound *types.ResourceNotFoundException
	if errors.As(err, &notFound) {
		return &exitError{code: ExitTableNotFound, err: err, msg: fmt.Sprintf(
			"table %q not found in this account and region (check --table, --region, --profile, or the stack's tableName output)", table)}
	}
	if errors.Is(err, circuitstore.ErrConflict) {
		return &exitError{code: ExitConflictOrOther, err: err, msg: fmt.Sprintf(
			"circuit %q kept changing under the conditional write; nothing was overwritten, run the command again", service)}
	}
	var api smithy.APIError
	if errors.As(err, &api) && deniedCodes[api.ErrorCode()] {
		return &exitError{code: ExitAccessDenied, err: err, msg: fmt.Sprintf(
			"access denied (%s) on table %q: the caller needs dynamodb:GetItem (status), dynamodb:Scan (list, prune), dynamodb:UpdateItem (open, close, release, clear-alarm, clear-hold, repair) and dynamodb:DeleteItem (prune) on it, "+
				"and kms:Decrypt / kms:GenerateDataKey on a customer-managed key", api.ErrorCode(), table)}
	}
	return &exitError{code: ExitConflictOrOther, err: err, msg: "DynamoDB call failed"}
}

// noCredentials is the one-line answer to a credential chain that found
// nothing usable (no keys, no profile, an expired SSO session, no instance
// role): how to give the tool credentials, for AWS and for a local table.
func noCredentials(c Conn, err error) error {
	who := "no AWS credentials found"
	if c.Profile != "" {
		who = fmt.Sprintf("profile %q gave no usable AWS credentials (for SSO: aws sso login --profile %s)", c.Profile, shellWord(c.Profile))
	}
	return &exitError{code: ExitAccessDenied, err: err, brief: true, msg: who +
		": pass --profile NAME or set AWS_PROFILE (and --region or AWS_REGION), or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; " +
		"for a local table (dynalite, DynamoDB Local) pass --endpoint-url http://127.0.0.1:PORT with any key pair exported; --debug shows the SDK's error"}
}
