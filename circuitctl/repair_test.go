//go:build emulators

package circuitctl_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit/circuitstore"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuitctl"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func n(v string) types.AttributeValue { return &types.AttributeValueMemberN{Value: v} }

// putRaw writes an item as an operator can in the console: any value.
func (f fixture) putRaw(t *testing.T, item circuitstore.Item) {
	t.Helper()
	_, err := f.db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(f.table), Item: item})
	require.NoError(t, err)
}

// wedged is the item of issue 14's items 6 and 22: a healthcheck ALARM dated
// 9999 (it outranks the real OK), an opening until 9998 (a trip "at" 9998),
// an override written by hand in lower case, and a counter that is no number.
func wedged(service string) circuitstore.Item {
	return circuitstore.Item{
		circuit.KeyAttribute:           s(service),
		circuit.AttrState:              s("OPEN"),
		circuit.AttrOpenUntil:          s("9998-01-01T00:00:00.000Z"),
		circuit.AttrOverride:           s("forced_open"),
		circuit.AttrFailures:           s("three"),
		circuit.AttrOpenings:           n("1"),
		circuit.AttrProbes:             n("0"),
		circuit.AttrSuccesses:          n("0"),
		circuit.AttrVersion:            n("4"),
		circuit.AttrHealthcheckAlarm:   s("ALARM"),
		circuit.AttrHealthcheckAlarmAt: s("9999-12-31T23:59:59.000Z"),
		circuit.AttrTransitionAt:       s("9998-01-01T00:00:00.000Z"),
		circuit.AttrTransitionFrom:     s("CLOSED"),
		circuit.AttrTransitionTo:       s("OPEN"),
		circuit.AttrTransitionReason:   s("5 consecutive failures"),
	}
}

// status shows an item holding values the breaker cannot act on, rather
// than failing on it, and lists them under "needs repair"; clear-alarm,
// clear-hold and repair each fix their part, recording the operator's
// reason, and leave an item every writer reads (issue 14, items 6 and 22).
func TestStatusAndRepairOfAWedgedItem(t *testing.T) {
	f := newFixture(t)
	f.putRaw(t, wedged("payments"))
	c, err := circuitstore.Decode("payments", rawItemOf(t, f, "payments"))
	require.NoError(t, err)
	require.NotEmpty(t, c.Unreadable, "every writer reads the item, its counter as 0")
	require.Equal(t, circuit.Reject, circuit.Decide(c, now, 1), "and it is held: until 9998 and by the healthcheck")

	r := ctl(t, "status", "payments", "--table", f.table)
	require.Equal(t, circuitctl.ExitOK, r.code, r)
	for _, want := range []string{
		`needs repair       failures: a string (S) where a number (N) belongs, read as 0` + "\n",
		`                   override "forced_open" is not FORCED_OPEN or FORCED_CLOSED: removed (no override)` + "\n",
		`                   healthcheck alarm time 9999-12-31T23:59:59.000Z is more than 5m0s ahead of now (2026-12-01T11:00:00.000Z): absent` + "\n",
		`                   openUntil 9998-01-01T00:00:00.000Z is beyond the longest opening (24h0m0s) from now (2026-12-01T11:00:00.000Z): elapsed` + "\n",
		"(`circuitctl repair payments --reason TEXT` rewrites these)",
	} {
		assert.Contains(t, r.stdout, want)
	}
	r = ctl(t, "status", "payments", "--table", f.table, "--output", "json")
	require.Equal(t, circuitctl.ExitOK, r.code, r)
	var v circuitctl.View
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &v))
	assert.Len(t, v.Problems, 4)
	r = ctl(t, "list", "--table", f.table)
	require.Equal(t, circuitctl.ExitOK, r.code, r)
	assert.Contains(t, r.stderr, "1 circuit(s) hold values the breaker cannot act on")
	assert.Contains(t, r.stderr, ": payments\n")

	// clear-alarm: the healthcheck source and its runs are forgotten.
	r = ctl(t, "clear-alarm", "payments", "--table", f.table, "--source", "healthcheck", "--reason", "INC-12 ALARM dated 9999")
	require.Equal(t, circuitctl.ExitOK, r.code, r)
	assert.Equal(t, "payments: OPEN -> OPEN (manual: healthcheck alarm source cleared (was ALARM): INC-12 ALARM dated 9999), version 5\n", r.stdout)
	assert.Contains(t, r.stderr, "payments held 1 unreadable value(s), now written as read")
	c = f.get(t, "payments")
	assert.Equal(t, circuit.AlarmStatus{}, c.Healthcheck)
	assert.Equal(t, 0, c.Failures, "the unreadable counter was written back as read")
	r = ctl(t, "clear-alarm", "payments", "--table", f.table, "--source", "healthcheck", "--reason", "again")
	require.Equal(t, circuitctl.ExitOK, r.code, r)
	assert.Equal(t, "payments: the healthcheck alarm source has nothing recorded; unchanged (version 5)\n", r.stdout)

	// clear-hold: the opening until 9998 ends now.
	r = ctl(t, "clear-hold", "payments", "--table", f.table, "--reason", "INC-13 open until 9998")
	require.Equal(t, circuitctl.ExitOK, r.code, r)
	c = f.get(t, "payments")
	assert.Equal(t, now, c.OpenUntil)
	assert.Equal(t, "manual: hold cleared: INC-13 open until 9998", c.LastTransition.Reason)

	// repair: what is left (the unknown override).
	r = ctl(t, "repair", "payments", "--table", f.table, "--reason", "INC-14 hand edit")
	require.Equal(t, circuitctl.ExitOK, r.code, r)
	assert.Equal(t, "payments: OPEN -> OPEN (manual: repaired 1 value(s): INC-14 hand edit), version 7\n"+
		`  fixed: override "forced_open" is not FORCED_OPEN or FORCED_CLOSED: removed (no override)`+"\n", r.stdout)
	r = ctl(t, "repair", "payments", "--table", f.table, "--reason", "again", "--output", "json")
	require.Equal(t, circuitctl.ExitOK, r.code, r)
	var fr circuitctl.FixResult
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &fr))
	assert.False(t, fr.Changed)
	assert.Empty(t, fr.Circuit.Problems)
	r = ctl(t, "status", "payments", "--table", f.table)
	assert.NotContains(t, r.stdout, "needs repair")
	c, err = circuitstore.Decode("payments", rawItemOf(t, f, "payments"))
	require.NoError(t, err)
	assert.Empty(t, c.Unreadable, "every value reads as stored again")
	assert.Equal(t, circuit.Elect, circuit.Decide(f.get(t, "payments"), now, 1), "the next call is a probe")
}

// repair alone fixes the whole wedged item at once, and works on an item
// open/close/release could not be written to before.
func TestRepairFixesEverythingAtOnce(t *testing.T) {
	f := newFixture(t)
	f.putRaw(t, wedged("payments#acme"))
	r := ctl(t, "repair", "payments#acme", "--table", f.table, "--reason", "INC-14", "--max-open-duration", "600")
	require.Equal(t, circuitctl.ExitOK, r.code, r)
	assert.Equal(t, 4, strings.Count(r.stdout, "  fixed: "), r.stdout)
	assert.Contains(t, r.stdout, "openUntil 9998-01-01T00:00:00.000Z is beyond the longest opening (10m0s) from now")
	c := f.get(t, "payments#acme")
	assert.Equal(t, circuit.Circuit{ServiceName: "payments#acme", State: circuit.Open, Openings: 1, Version: 5,
		Healthcheck:    circuit.AlarmStatus{State: circuit.AlarmStateAlarm},
		LastTransition: circuit.Transition{At: now, From: circuit.Open, To: circuit.Open, Reason: "manual: repaired 4 value(s): INC-14"}}, c)

	f.putRaw(t, wedged("orders"))
	r = ctl(t, "open", "orders", "--table", f.table, "--reason", "INC-15")
	require.Equal(t, circuitctl.ExitOK, r.code, r)
	assert.Equal(t, circuit.ForcedOpen, f.get(t, "orders").Override)
}

func TestRepairCommandsUsage(t *testing.T) {
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"clear-alarm without source": {[]string{"clear-alarm", "payments", "--table", "t", "--reason", "x"}, `clear-alarm needs --source, one of downstream, slowCalls, healthcheck (got "")`},
		"clear-alarm bad source":     {[]string{"clear-alarm", "payments", "--table", "t", "--reason", "x", "--source", "errors"}, `(got "errors")`},
		"clear-alarm without reason": {[]string{"clear-alarm", "payments", "--table", "t", "--source", "healthcheck"}, "clear-alarm needs --reason"},
		"clear-hold without reason":  {[]string{"clear-hold", "payments", "--table", "t"}, "clear-hold needs --reason"},
		"repair without reason":      {[]string{"repair", "payments", "--table", "t"}, "repair needs --reason"},
		"source elsewhere":           {[]string{"repair", "payments", "--table", "t", "--reason", "x", "--source", "healthcheck"}, "--source is for clear-alarm only"},
		"yes elsewhere":              {[]string{"repair", "payments", "--table", "t", "--reason", "x", "--yes"}, "--yes is for prune only"},
		"prune a key":                {[]string{"prune", "payments#acme", "--table", "t"}, "give the service"},
		"prune nothing":              {[]string{"prune", "--table", "t"}, "prune needs the circuit"},
		"bad max open":               {[]string{"status", "payments", "--table", "t", "--max-open-duration", "0"}, "--max-open-duration 0"},
	} {
		t.Run(name, func(t *testing.T) {
			r := runWith(t, circuitctl.Env{NewClient: func(context.Context, circuitctl.Conn) (circuitctl.API, error) {
				t.Fatal("a usage error must not reach AWS")
				return nil, nil
			}}, tc.args...)
			assert.Equal(t, circuitctl.ExitUsage, r.code, r)
			assert.Contains(t, r.stderr, tc.want)
		})
	}
	f := newFixture(t)
	for _, cmd := range []string{"clear-alarm", "clear-hold", "repair"} {
		r := ctl(t, cmd, "paymnets", "--table", f.table, "--reason", "x", "--source", "healthcheck")
		if cmd != "clear-alarm" {
			r = ctl(t, cmd, "paymnets", "--table", f.table, "--reason", "x")
		}
		assert.Equal(t, circuitctl.ExitCircuitNotFound, r.code, "%s: %s", cmd, r)
		assert.Empty(t, rawItemOf(t, f, "paymnets"), "nothing created")
	}
}

// racingDelete makes a call win the race once: just before the tool deletes
// the item named key, a request-path write counts a failure on it (ADD
// failures and version, as the state machine's CountFailure does), so the
// delete, conditional on the version the scan read, must lose.
type racingDelete struct {
	*dynamodb.Client
	table, key string
}

func (r racingDelete) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	if in.Key[circuit.KeyAttribute].(*types.AttributeValueMemberS).Value == r.key {
		if _, err := r.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: aws.String(r.table), Key: in.Key,
			UpdateExpression:          aws.String("ADD #f :one, #v :one"),
			ExpressionAttributeNames:  map[string]string{"#f": circuit.AttrFailures, "#v": circuit.AttrVersion},
			ExpressionAttributeValues: map[string]types.AttributeValue{":one": n("1")},
		}); err != nil {
			return nil, err
		}
	}
	return r.Client.DeleteItem(ctx, in, opts...)
}

// prune deletes the per-key items that say nothing a missing item does not
// (CLOSED, no override, no failures): never the breaker's own item, another
// service's, an open, failing, forced or unreadable one; dry run by default;
// each delete conditional on the version read, so a concurrent write wins.
func TestPrune(t *testing.T) {
	f := newFixture(t)
	closed := func(name string) circuit.Circuit { return circuit.Circuit{ServiceName: name, State: circuit.Closed} }
	f.put(t, closed("payments"))
	f.put(t, closed("payments#a"))
	f.put(t, closed("payments#racer"))
	f.put(t, closed("payments#\x1b[31mred"))
	f.put(t, circuit.Circuit{ServiceName: "payments#failing", State: circuit.Closed, Failures: 1})
	f.put(t, circuit.Circuit{ServiceName: "payments#open", State: circuit.Open, OpenUntil: now.Add(time.Minute)})
	f.put(t, circuit.Circuit{ServiceName: "payments#forced", State: circuit.Closed, Override: circuit.ForcedClosed})
	f.put(t, closed("paymentsx#a"))
	f.put(t, closed("orders#a"))
	f.putRaw(t, circuitstore.Item{circuit.KeyAttribute: s("payments#handwritten"), circuit.AttrState: s("CLOSED"), circuit.AttrFailures: s("0")})

	r := ctl(t, "prune", "payments", "--table", f.table)
	require.Equal(t, circuitctl.ExitOK, r.code, r)
	raw(t, r.stdout)
	assert.Contains(t, r.stdout, "payments: would delete 3 of 7 per-key circuits (CLOSED, no override, no failures) in table "+f.table+"; rerun with --yes to delete them\n")
	assert.Contains(t, r.stdout, "  #a\n")
	assert.Contains(t, r.stdout, `  #"\x1b[31mred"`+"\n")
	assert.NotEmpty(t, rawItemOf(t, f, "payments#a"), "a dry run deletes nothing")

	env := circuitctl.Env{NewClient: func(context.Context, circuitctl.Conn) (circuitctl.API, error) {
		return racingDelete{Client: f.db, table: f.table, key: "payments#racer"}, nil
	}}
	r = runWith(t, env, "prune", "--service", "payments", "--table", f.table, "--yes", "--output", "json")
	require.Equal(t, circuitctl.ExitOK, r.code, r)
	var res circuitctl.PruneResult
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &res), r.stdout)
	assert.ElementsMatch(t, []string{"payments#a", "payments#racer", "payments#\x1b[31mred"}, res.Prunable)
	assert.ElementsMatch(t, []string{"payments#a", "payments#\x1b[31mred"}, res.Deleted)
	assert.Equal(t, []string{"payments#racer"}, res.Changed)
	assert.False(t, res.DryRun)

	for _, gone := range []string{"payments#a", "payments#\x1b[31mred"} {
		assert.Empty(t, rawItemOf(t, f, gone), gone)
	}
	for _, kept := range []string{"payments", "payments#racer", "payments#failing", "payments#open", "payments#forced", "payments#handwritten", "paymentsx#a", "orders#a"} {
		assert.NotEmpty(t, rawItemOf(t, f, kept), kept)
	}
	assert.Equal(t, 1, f.get(t, "payments#racer").Failures, "the racing call's count survives")

	r = ctl(t, "prune", "payments", "--table", f.table, "--yes")
	require.Equal(t, circuitctl.ExitOK, r.code, r)
	assert.Equal(t, "payments: deleted 0 of 5 per-key circuits (CLOSED, no override, no failures) in table "+f.table+"\n", r.stdout)
}

func rawItemOf(t *testing.T, f fixture, key string) circuitstore.Item {
	t.Helper()
	out, err := f.db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(f.table), Key: circuitstore.Item{circuit.KeyAttribute: s(key)}, ConsistentRead: aws.Bool(true)})
	require.NoError(t, err)
	return out.Item
}
