package circuitctl_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit/circuitstore"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuitctl"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/testenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// One dynalite for the package; each test gets its own table. The tool runs
// in-process through its real client path (--endpoint-url, the SDK's default
// credential chain), so TestMain pins the environment to testenv's fake
// credentials and hides any developer configuration.
var endpoint string

var now = time.Date(2026, 12, 1, 11, 0, 0, 0, time.UTC)

type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

func runWith(t *testing.T, env circuitctl.Env, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	env.Stdout, env.Stderr = &out, &errOut
	if env.Now == nil {
		env.Now = func() time.Time { return now }
	}
	if env.Version == "" {
		env.Version = "1.2.3-test"
	}
	code := circuitctl.Run(context.Background(), args, env)
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

// ctl runs the tool against dynalite, as an operator would with --endpoint-url.
func ctl(t *testing.T, args ...string) result {
	t.Helper()
	return runWith(t, circuitctl.Env{}, append(args, "--endpoint-url", endpoint)...)
}

type fixture struct {
	table string
	db    *dynamodb.Client
	store *circuitstore.Store
}

func newFixture(t *testing.T) fixture {
	db := testenv.DynamoClient(t, endpoint)
	table := testenv.CreateCircuitTable(t, db)
	return fixture{table: table, db: db, store: circuitstore.New(db, table)}
}

// put writes c as the state machine or the alarm handler would, through the store.
func (f fixture) put(t *testing.T, c circuit.Circuit) {
	t.Helper()
	_, err := f.store.Update(context.Background(), c.ServiceName, func(circuit.Circuit) (circuit.Circuit, bool, error) { return c, true, nil })
	require.NoError(t, err)
}

func (f fixture) get(t *testing.T, service string) circuit.Circuit {
	t.Helper()
	c, err := f.store.Get(context.Background(), service)
	require.NoError(t, err)
	return c
}

var t0 = time.Date(2026, 12, 1, 10, 58, 30, 250_000_000, time.UTC)

// forcedOpenPayments is an item with every field set.
func forcedOpenPayments() circuit.Circuit {
	return circuit.Circuit{
		ServiceName: "payments", State: circuit.Open, Override: circuit.ForcedOpen,
		OpenUntil: now.Add(45 * time.Second), Failures: 0, Openings: 2, Probes: 1, Successes: 1,
		Downstream:     circuit.AlarmStatus{State: circuit.AlarmStateAlarm, ChangedAt: t0},
		Healthcheck:    circuit.AlarmStatus{State: circuit.AlarmStateOK, ChangedAt: t0.Add(-time.Hour)},
		LastTransition: circuit.Transition{At: t0, From: circuit.Open, To: circuit.State(circuit.ForcedOpen), Reason: "manual: INC-7 vendor outage"},
	}
}

func TestHelpListsEveryCommand(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"help"}, {"status", "--help"}} {
		r := runWith(t, circuitctl.Env{}, args...)
		require.Equal(t, circuitctl.ExitOK, r.code, r)
		for _, cmd := range []string{"status", "list", "open", "close", "release", "clear-alarm", "clear-hold", "repair", "prune", "history"} {
			assert.Regexp(t, `(?m)^  `+cmd+` `, r.stdout, "%v lists %s", args, cmd)
		}
		for _, flag := range []string{"--table", "--region", "--profile", "--endpoint-url", "--service", "--stack", "--output", "--reason", "--create", "--source", "--max-open-duration", "--yes", "--debug", "--version"} {
			assert.Contains(t, r.stdout, flag)
		}
		// The exit codes a script relies on are documented where it looks.
		for code := 0; code <= 5; code++ {
			assert.Regexp(t, fmt.Sprintf(`(?m)^  %d  `, code), r.stdout)
		}
		// history keeps nothing: the help says so and points to the events.
		assert.Contains(t, r.stdout, "keeps only its last transition")
		assert.Contains(t, r.stdout, "EventBridge")
	}
	r := runWith(t, circuitctl.Env{}, "--version")
	assert.Equal(t, "circuitctl 1.2.3-test\n", r.stdout)
	r = runWith(t, circuitctl.Env{}, "history", "payments", "--table", "t")
	assert.Equal(t, circuitctl.ExitOK, r.code, r)
	assert.Contains(t, r.stdout, "keeps no history")
}

func TestUsageErrorsNameTheFix(t *testing.T) {
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"no command":          {nil, "Usage: circuitctl"},
		"unknown command":     {[]string{"stats"}, `unknown command "stats"`},
		"no table":            {[]string{"status", "payments"}, "--table is required"},
		"no service":          {[]string{"status", "--table", "t"}, "status needs the circuit"},
		"open without reason": {[]string{"open", "payments", "--table", "t"}, "open needs --reason"},
		"blank reason":        {[]string{"close", "payments", "--table", "t", "--reason", "  "}, "close needs --reason"},
		"two circuits":        {[]string{"status", "a", "b", "--table", "t"}, "takes one circuit"},
		"twice":               {[]string{"status", "a", "--service", "b", "--table", "t"}, "given twice"},
		"bad output":          {[]string{"list", "--table", "t", "--output", "yaml"}, `--output "yaml": use text or json`},
		"unknown flag":        {[]string{"list", "--tabel", "t"}, "flag provided but not defined: -tabel"},
		"list with a key":     {[]string{"list", "payments#acme", "--table", "t"}, "list takes a service"},
		"list with empty key": {[]string{"list", "payments#", "--table", "t"}, "give the service alone (payments)"},
		// An empty key names no item circuit.ItemKey makes: refused, not
		// looked up (issue 14, item 27).
		"empty key":          {[]string{"status", "orders#", "--table", "t"}, `the circuit "orders#" has an empty key: give SERVICE#KEY for one per-key circuit, or orders for the breaker's own circuit`},
		"empty key on open":  {[]string{"open", "--service", "orders#", "--table", "t", "--reason", "x"}, "has an empty key"},
		"no service in name": {[]string{"status", "#acme", "--table", "t"}, `the circuit "#acme" has no service before "#"`},
		"spaced service":     {[]string{"status", " payments#a", "--table", "t"}, "leading or trailing spaces"},
		"create on release":  {[]string{"release", "payments", "--table", "t", "--create"}, "--create is for open and close"},
	} {
		t.Run(name, func(t *testing.T) {
			r := runWith(t, circuitctl.Env{NewClient: func(context.Context, circuitctl.Conn) (circuitctl.API, error) {
				t.Fatal("a usage error must not reach AWS")
				return nil, nil
			}}, tc.args...)
			assert.Equal(t, circuitctl.ExitUsage, r.code, r)
			assert.Contains(t, r.stderr, tc.want)
			assert.Empty(t, r.stdout)
		})
	}
}

type pagedScan struct {
	circuitctl.API
	limit int32
	calls *int
}

func (p *pagedScan) Scan(ctx context.Context, in *dynamodb.ScanInput, opts ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error) {
	*p.calls++
	in.Limit = aws.Int32(p.limit)
	return p.API.Scan(ctx, in, opts...)
}

// deniedAPI answers every call as DynamoDB does for a caller without the
// permission: HTTP 400 with the code AccessDeniedException. dynalite enforces
// no IAM, so the error is built as aws-sdk-go-v2 builds it: DynamoDB models no
// AccessDeniedException type, so its deserializer's default branch returns a
// *smithy.GenericAPIError{Code, Message}, wrapped in a *smithy.OperationError
// (https://aws.github.io/aws-sdk-go-v2/docs/handling-errors/: "All service API
// response errors implement the smithy.APIError interface type"). The code is
// the one in AWS's list of errors common to all actions
// (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/CommonErrors.html:
// AccessDeniedException, "You do not have sufficient access to perform this
// action", HTTP 400; UnrecognizedClientException for a key AWS does not know)
// and in the DynamoDB Developer Guide's error table
// (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html).
type deniedAPI struct{ code string }

func (d deniedAPI) err(op string) error {
	return &smithy.OperationError{ServiceID: "DynamoDB", OperationName: op, Err: &smithy.GenericAPIError{
		Code:    d.code,
		Message: "User: arn:aws:sts::123456789012:assumed-role/oncall/me is not authorized to perform: dynamodb:" + op + " on resource: arn:aws:dynamodb:us-east-1:123456789012:table/circuits",
	}}
}

func (d deniedAPI) GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	return nil, d.err("GetItem")
}

func (d deniedAPI) UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	return nil, d.err("UpdateItem")
}

func (d deniedAPI) DeleteItem(context.Context, *dynamodb.DeleteItemInput, ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	return nil, d.err("DeleteItem")
}

func (d deniedAPI) Scan(context.Context, *dynamodb.ScanInput, ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error) {
	return nil, d.err("Scan")
}

type writeDenied struct{ *dynamodb.Client }

func (w writeDenied) UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	return nil, deniedAPI{"AccessDeniedException"}.err("UpdateItem")
}

type alwaysLoses struct{ *dynamodb.Client }

func (alwaysLoses) UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	return nil, &types.ConditionalCheckFailedException{Message: aws.String("The conditional request failed")}
}

// racingWriter makes another writer win the race once: just before the tool's
// first conditional write, it counts a failure the way the state machine's
// CountFailure does (ADD failures and version), so the tool's write, made on
// the version it read, loses its condition.
type racingWriter struct {
	*dynamodb.Client
	table  string
	raced  bool
	writes int
}

func (r *racingWriter) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	r.writes++
	if !r.raced {
		r.raced = true
		if _, err := r.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:                 aws.String(r.table),
			Key:                       circuitstore.Item{circuit.KeyAttribute: &types.AttributeValueMemberS{Value: "payments"}},
			UpdateExpression:          aws.String("ADD #f :one, #v :one"),
			ExpressionAttributeNames:  map[string]string{"#f": circuit.AttrFailures, "#v": circuit.AttrVersion},
			ExpressionAttributeValues: map[string]types.AttributeValue{":one": &types.AttributeValueMemberN{Value: "1"}},
		}); err != nil {
			return nil, err
		}
	}
	return r.Client.UpdateItem(ctx, in, opts...)
}
