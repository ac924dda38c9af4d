//go:build emulators

package circuitctl_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuitctl"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/testenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStatusEveryField(t *testing.T) {
	f := newFixture(t)
	f.put(t, forcedOpenPayments())

	r := ctl(t, "status", "payments", "--table", f.table)
	require.Equal(t, circuitctl.ExitOK, r.code, r)
	for _, want := range []string{
		"circuit            payments (table " + f.table + ")",
		"effective state    FORCED_OPEN",
		"state              OPEN",
		"override           FORCED_OPEN (in force until `circuitctl release payments`)",
		"since              2026-12-01T10:58:30.250Z (1m30s ago)",
		"transition         OPEN -> FORCED_OPEN",
		"why                manual: INC-7 vendor outage",
		"open until         2026-12-01T11:00:45.000Z (in 45s)",
		"half-open until    -",
		"counters           failures 0, openings 2, probes 1, successes 1",
		"downstream alarm   ALARM since 2026-12-01T10:58:30.250Z (1m30s ago)",
		"healthcheck alarm  OK since 2026-12-01T09:58:30.250Z (1h1m30s ago)",
		"healthcheck runs   - (no verdict applied yet)",
		"version            1",
	} {
		assert.Contains(t, r.stdout, want+"\n")
	}

	r = ctl(t, "status", "--service", "payments", "--table", f.table, "--output", "json")
	require.Equal(t, circuitctl.ExitOK, r.code, r)
	var v map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &v), r.stdout)
	want := map[string]any{
		"circuit": "payments", "service": "payments", "table": f.table, "exists": true,
		"state": "OPEN", "effectiveState": "FORCED_OPEN", "override": "FORCED_OPEN",
		"transition": map[string]any{"at": "2026-12-01T10:58:30.250Z", "from": "OPEN", "to": "FORCED_OPEN", "reason": "manual: INC-7 vendor outage"},
		"counters":   map[string]any{"failures": 0.0, "openings": 2.0, "probes": 1.0, "successes": 1.0},
		"alarms": map[string]any{
			"downstream":  map[string]any{"state": "ALARM", "changedAt": "2026-12-01T10:58:30.250Z"},
			"healthcheck": map[string]any{"state": "OK", "changedAt": "2026-12-01T09:58:30.250Z"},
		},
		"healthcheck": map[string]any{"lastRun": "", "unhealthy": 0.0},
		"openUntil":   "2026-12-01T11:00:45.000Z", "halfOpenUntil": "", "version": 1.0,
	}
	assert.Equal(t, want, v)
}

// Every source that can hold or open the circuit is shown: the slow-call
// alarm (a third source with slowCallMonitoring) and the healthcheck runner's
// verdicts, which hold the circuit through the healthcheck's own attributes.
func TestStatusShowsTheSlowCallAlarmAndTheHealthcheckRuns(t *testing.T) {
	f := newFixture(t)
	c := forcedOpenPayments()
	c.Override = circuit.NoOverride
	c.SlowCalls = circuit.AlarmStatus{State: circuit.AlarmStateAlarm, ChangedAt: t0.Add(-time.Minute)}
	c.HealthcheckRuns = circuit.HealthcheckRuns{At: t0, Unhealthy: 2}
	f.put(t, c)

	r := ctl(t, "status", "payments", "--table", f.table)
	require.Equal(t, circuitctl.ExitOK, r.code, r)
	assert.Contains(t, r.stdout, "slow-call alarm    ALARM since 2026-12-01T10:57:30.250Z (2m30s ago)\n")
	assert.Contains(t, r.stdout, "healthcheck runs   last 2026-12-01T10:58:30.250Z (1m30s ago), unhealthy (2 in a row)\n")

	r = ctl(t, "status", "payments", "--table", f.table, "--output", "json")
	require.Equal(t, circuitctl.ExitOK, r.code, r)
	var v circuitctl.View
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &v), r.stdout)
	require.NotNil(t, v.Alarms.SlowCalls)
	assert.Equal(t, circuit.AlarmStateAlarm, v.Alarms.SlowCalls.State)
	assert.Equal(t, circuitctl.HealthcheckView{LastRun: "2026-12-01T10:58:30.250Z", Unhealthy: 2}, v.Healthcheck)

	// A healthy last run reads as such.
	c.HealthcheckRuns = circuit.HealthcheckRuns{At: t0}
	c.SlowCalls = circuit.AlarmStatus{}
	f.put(t, c)
	r = ctl(t, "status", "payments", "--table", f.table)
	assert.Contains(t, r.stdout, "healthcheck runs   last 2026-12-01T10:58:30.250Z (1m30s ago), healthy\n")
	assert.NotContains(t, r.stdout, "slow-call alarm")
}

// A circuit with no item is CLOSED (circuit's contract), and status
// says so; it exits 2 because a never-written circuit and a misspelt name look
// the same in the table.
func TestStatusOfANeverWrittenCircuit(t *testing.T) {
	f := newFixture(t)
	r := ctl(t, "status", "paymnets", "--table", f.table)
	assert.Equal(t, circuitctl.ExitCircuitNotFound, r.code, r)
	assert.Contains(t, r.stdout, "effective state    CLOSED\n")
	assert.Contains(t, r.stdout, "item               none: never written")
	assert.Contains(t, r.stderr, `circuit "paymnets" has no item in table `+f.table)
	assert.Contains(t, r.stderr, "circuitctl list --table "+f.table)

	r = ctl(t, "status", "paymnets", "--table", f.table, "--output", "json")
	assert.Equal(t, circuitctl.ExitCircuitNotFound, r.code, r)
	var v circuitctl.View
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &v), r.stdout)
	assert.False(t, v.Exists)
	assert.Equal(t, circuit.Closed, v.State)
	assert.Equal(t, circuit.Closed, v.EffectiveState)
}

func TestOpenCloseRelease(t *testing.T) {
	f := newFixture(t)
	f.put(t, circuit.Circuit{ServiceName: "payments", State: circuit.Closed, Failures: 2,
		Healthcheck: circuit.AlarmStatus{State: circuit.AlarmStateOK, ChangedAt: t0}})

	r := ctl(t, "open", "payments", "--table", f.table, "--reason", "INC-7 drill")
	require.Equal(t, circuitctl.ExitOK, r.code, r)
	assert.Equal(t, "payments: CLOSED -> FORCED_OPEN (manual: INC-7 drill), version 2\n", r.stdout)
	c := f.get(t, "payments")
	assert.Equal(t, circuit.ForcedOpen, c.Override)
	assert.Equal(t, circuit.Transition{At: now, From: circuit.Closed, To: circuit.State(circuit.ForcedOpen), Reason: "manual: INC-7 drill"}, c.LastTransition)
	// Only the override and the transition moved: the counters and the alarm
	// sources are the other writers', untouched.
	assert.Equal(t, 2, c.Failures)
	assert.Equal(t, circuit.AlarmStatus{State: circuit.AlarmStateOK, ChangedAt: t0}, c.Healthcheck)

	// Again: harmless, unchanged, exit 0.
	r = ctl(t, "open", "payments", "--table", f.table, "--reason", "again", "--output", "json")
	require.Equal(t, circuitctl.ExitOK, r.code, r)
	var w circuitctl.WriteResult
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &w), r.stdout)
	assert.Equal(t, "open", w.Command)
	assert.False(t, w.Changed)
	assert.Equal(t, int64(2), w.Circuit.Version)
	assert.Equal(t, "manual: INC-7 drill", w.Circuit.Transition.Reason, "the first reason stays")

	r = ctl(t, "close", "payments", "--table", f.table, "--reason", "vendor says fine", "--output", "json")
	require.Equal(t, circuitctl.ExitOK, r.code, r)
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &w), r.stdout)
	assert.True(t, w.Changed)
	assert.Equal(t, circuit.ForcedClosed, w.Circuit.Override)
	assert.Equal(t, circuit.State(circuit.ForcedClosed), w.Circuit.EffectiveState)
	assert.Equal(t, circuitctl.TransitionView{At: "2026-12-01T11:00:00.000Z", From: "FORCED_OPEN", To: "FORCED_CLOSED", Reason: "manual: vendor says fine"}, w.Circuit.Transition)

	// Release without a reason records the shared default.
	r = ctl(t, "release", "payments", "--table", f.table)
	require.Equal(t, circuitctl.ExitOK, r.code, r)
	assert.Equal(t, "payments: FORCED_CLOSED -> CLOSED (manual: released by an operator), version 4\n", r.stdout)
	assert.Equal(t, circuit.NoOverride, f.get(t, "payments").Override)

	r = ctl(t, "release", "payments", "--table", f.table)
	require.Equal(t, circuitctl.ExitOK, r.code, r)
	assert.Equal(t, "payments: no override to release; unchanged (CLOSED, version 4)\n", r.stdout)
}

// Forcing a circuit that has no item needs --create: without it a misspelt
// name would create a stray item while the real circuit stays as it was.
func TestForcingANeverWrittenCircuitNeedsCreate(t *testing.T) {
	f := newFixture(t)
	r := ctl(t, "open", "paymnets", "--table", f.table, "--reason", "typo")
	assert.Equal(t, circuitctl.ExitCircuitNotFound, r.code, r)
	assert.Contains(t, r.stderr, "rerun with --create")
	assert.Empty(t, testenv.CircuitItem(t, f.db, f.table, "paymnets"), "nothing written")

	r = ctl(t, "release", "paymnets", "--table", f.table)
	assert.Equal(t, circuitctl.ExitCircuitNotFound, r.code, r)

	r = ctl(t, "open", "payments", "--table", f.table, "--reason", "maintenance", "--create")
	require.Equal(t, circuitctl.ExitOK, r.code, r)
	c := f.get(t, "payments")
	assert.Equal(t, circuit.ForcedOpen, c.Override)
	assert.Equal(t, int64(1), c.Version)
	// The item has every attribute the state machine reads without guards.
	item := testenv.CircuitItem(t, f.db, f.table, "payments")
	for _, a := range []string{circuit.AttrState, circuit.AttrFailures, circuit.AttrVersion, circuit.AttrOverride} {
		assert.Contains(t, item, a)
	}
}

// An operator's override of one key's circuit (SERVICE#KEY, docs/per-key.md)
// writes that key's item only: the breaker's own item and the other keys'
// are untouched, and its release too. (The controller Lambda took this
// override before; it takes none now.)
func TestOverrideOfOneKeyWritesOnlyThatKeysItem(t *testing.T) {
	f := newFixture(t)
	f.put(t, circuit.Circuit{ServiceName: "payments", State: circuit.Closed})
	f.put(t, circuit.Circuit{ServiceName: "payments#acme", State: circuit.Closed})
	f.put(t, circuit.Circuit{ServiceName: "payments#zeta", State: circuit.Closed})
	own, zeta := testenv.CircuitItem(t, f.db, f.table, "payments"), testenv.CircuitItem(t, f.db, f.table, "payments#zeta")

	r := ctl(t, "open", "payments#acme", "--table", f.table, "--reason", "acme maintenance")
	require.Equal(t, circuitctl.ExitOK, r.code, r)
	assert.Equal(t, circuit.ForcedOpen, f.get(t, "payments#acme").Override)
	assert.Equal(t, own, testenv.CircuitItem(t, f.db, f.table, "payments"), "the breaker's own item is untouched")
	assert.Equal(t, zeta, testenv.CircuitItem(t, f.db, f.table, "payments#zeta"), "another key's item is untouched")

	r = ctl(t, "release", "payments#acme", "--table", f.table)
	require.Equal(t, circuitctl.ExitOK, r.code, r)
	assert.Equal(t, circuit.NoOverride, f.get(t, "payments#acme").Override)
	assert.Equal(t, own, testenv.CircuitItem(t, f.db, f.table, "payments"))
	assert.Equal(t, zeta, testenv.CircuitItem(t, f.db, f.table, "payments#zeta"))
}

func TestListGroupsPerKeyCircuitsAndPaginates(t *testing.T) {
	f := newFixture(t)
	f.put(t, forcedOpenPayments())
	f.put(t, circuit.Circuit{ServiceName: "payments#acme", State: circuit.Open, OpenUntil: now.Add(time.Minute),
		LastTransition: circuit.Transition{At: t0, From: circuit.Closed, To: circuit.Open, Reason: "5 consecutive failures"}})
	f.put(t, circuit.Circuit{ServiceName: "payments#zeta", State: circuit.Closed})
	f.put(t, circuit.Circuit{ServiceName: "orders", State: circuit.HalfOpen, Probes: 1})
	f.put(t, circuit.Circuit{ServiceName: "refunds#big", State: circuit.Open})

	// Pages of two items, through a client that counts the Scan calls: the
	// tool must follow LastEvaluatedKey to the end.
	scans := 0
	env := circuitctl.Env{NewClient: func(ctx context.Context, c circuitctl.Conn) (circuitctl.API, error) {
		return &pagedScan{API: f.db, limit: 2, calls: &scans}, nil
	}}
	r := runWith(t, env, "list", "--table", f.table)
	require.Equal(t, circuitctl.ExitOK, r.code, r)
	assert.GreaterOrEqual(t, scans, 3, "5 items in pages of 2")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	var names []string
	for _, l := range lines {
		name := strings.Fields(l)[0]
		if strings.HasPrefix(l, "  ") {
			name = "  " + name // indented under its service
		}
		names = append(names, name)
	}
	assert.Equal(t, []string{"CIRCUIT", "orders", "payments", "  #acme", "  #zeta", "refunds", "  #big"}, names, r.stdout)
	assert.Contains(t, r.stdout, "(no item of its own)")
	assert.Regexp(t, `(?m)^payments +FORCED_OPEN +OPEN +FORCED_OPEN +2026-12-01T10:58:30.250Z +manual: INC-7 vendor outage +1$`, r.stdout)

	r = runWith(t, env, "list", "--table", f.table, "--output", "json")
	require.Equal(t, circuitctl.ExitOK, r.code, r)
	var vs []circuitctl.View
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &vs), r.stdout)
	var keys []string
	for _, v := range vs {
		keys = append(keys, v.Service+"|"+v.Key)
	}
	assert.Equal(t, []string{"orders|", "payments|", "payments|acme", "payments|zeta", "refunds|big"}, keys)

	// A service given to list keeps its items alone: itself and its keys, not
	// another service whose name starts the same.
	f.put(t, circuit.Circuit{ServiceName: "payments2", State: circuit.Open})
	r = runWith(t, env, "list", "payments", "--table", f.table)
	require.Equal(t, circuitctl.ExitOK, r.code, r)
	names = nil
	for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		names = append(names, strings.Fields(l)[0])
	}
	assert.Equal(t, []string{"CIRCUIT", "payments", "#acme", "#zeta"}, names, r.stdout)

	// Per-key circuits are addressed by their item key.
	r = ctl(t, "status", "payments#acme", "--table", f.table, "--output", "json")
	require.Equal(t, circuitctl.ExitOK, r.code, r)
	var v circuitctl.View
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &v))
	assert.Equal(t, "acme", v.Key)
	assert.Equal(t, circuit.Open, v.EffectiveState)

	// An empty table.
	empty := newFixture(t)
	r = ctl(t, "list", "--table", empty.table)
	require.Equal(t, circuitctl.ExitOK, r.code, r)
	assert.Contains(t, r.stdout, "no circuits in table")
	r = ctl(t, "list", "--table", empty.table, "--output", "json")
	assert.Equal(t, "[]\n", r.stdout)
}

// A missing table is DynamoDB's ResourceNotFoundException ("Requested resource
// not found"), a modelled error of GetItem, UpdateItem and Scan in the
// DynamoDB API Reference (e.g.
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_GetItem.html#API_GetItem_Errors);
// dynalite answers it the same way.
func TestMissingTable(t *testing.T) {
	for _, args := range [][]string{
		{"status", "payments"},
		{"list"},
		{"open", "payments", "--reason", "x"},
		{"release", "payments"},
	} {
		r := ctl(t, append(args, "--table", "no-such-table")...)
		assert.Equal(t, circuitctl.ExitTableNotFound, r.code, "%v: %s", args, r)
		assert.Contains(t, r.stderr, `table "no-such-table" not found in this account and region`)
		assert.Empty(t, r.stdout)
	}
}

func TestAccessDenied(t *testing.T) {
	for _, code := range []string{"AccessDeniedException", "UnrecognizedClientException"} {
		env := circuitctl.Env{NewClient: func(context.Context, circuitctl.Conn) (circuitctl.API, error) { return deniedAPI{code}, nil }}
		for _, args := range [][]string{{"status", "payments"}, {"list"}, {"open", "payments", "--reason", "x"}} {
			r := runWith(t, env, append(args, "--table", "circuits")...)
			assert.Equal(t, circuitctl.ExitAccessDenied, r.code, "%s %v: %s", code, args, r)
			assert.Contains(t, r.stderr, "access denied ("+code+`) on table "circuits"`)
			assert.Contains(t, r.stderr, "dynamodb:UpdateItem", "names the permissions to grant")
		}
	}
	// The write itself denied (read allowed): still 4, and nothing else tried.
	f := newFixture(t)
	f.put(t, circuit.Circuit{ServiceName: "payments", State: circuit.Closed})
	env := circuitctl.Env{NewClient: func(context.Context, circuitctl.Conn) (circuitctl.API, error) {
		return writeDenied{f.db}, nil
	}}
	r := runWith(t, env, "open", "payments", "--table", f.table, "--reason", "x")
	assert.Equal(t, circuitctl.ExitAccessDenied, r.code, r)
}

// A write that always loses its condition (another writer keeps winning) ends
// in circuitstore.ErrConflict after its bounded attempts: exit 5, and nothing
// was overwritten.
func TestConflictExits5(t *testing.T) {
	f := newFixture(t)
	f.put(t, circuit.Circuit{ServiceName: "payments", State: circuit.Closed})
	env := circuitctl.Env{NewClient: func(context.Context, circuitctl.Conn) (circuitctl.API, error) {
		return alwaysLoses{f.db}, nil
	}}
	r := runWith(t, env, "open", "payments", "--table", f.table, "--reason", "x")
	assert.Equal(t, circuitctl.ExitConflictOrOther, r.code, r)
	assert.Contains(t, r.stderr, "kept changing under the conditional write")
	assert.Equal(t, circuit.NoOverride, f.get(t, "payments").Override)
}

func TestStackOutputs(t *testing.T) {
	f := newFixture(t)
	f.put(t, forcedOpenPayments())
	arn := "arn:aws:dynamodb:" + testenv.FakeRegion + ":123456789012:table/" + f.table

	dir := t.TempDir()
	// As `pulumi stack output --json` writes a stack exporting the component's
	// tableName and tableArn outputs and its own serviceName.
	write := func(name string, v any) string {
		raw, err := json.MarshalIndent(v, "", "  ")
		require.NoError(t, err)
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, raw, 0o644))
		return p
	}
	write("outputs.json", map[string]any{"tableName": f.table, "tableArn": arn, "serviceName": "payments", "stateMachineArn": "arn:aws:states:..."})
	for _, stack := range []string{dir, filepath.Join(dir, "outputs.json")} {
		r := ctl(t, "status", "--stack", stack, "--output", "json")
		require.Equal(t, circuitctl.ExitOK, r.code, r)
		assert.Contains(t, r.stdout, `"effectiveState": "FORCED_OPEN"`)
	}

	// Two breakers exported as objects: --service picks one.
	two := write("two.json", map[string]any{
		"payments": map[string]any{"tableName": f.table, "serviceName": "payments"},
		"refunds":  map[string]any{"tableName": "other", "serviceName": "refunds"},
	})
	r := ctl(t, "status", "--stack", two)
	assert.Equal(t, circuitctl.ExitUsage, r.code, r)
	assert.Contains(t, r.stderr, "several breakers")
	r = ctl(t, "status", "payments", "--stack", two)
	assert.Equal(t, circuitctl.ExitOK, r.code, r)

	// No serviceName exported: the circuit is given on the command line.
	noService := write("noservice.json", map[string]any{"tableName": f.table})
	r = ctl(t, "status", "--stack", noService)
	assert.Equal(t, circuitctl.ExitUsage, r.code, r)
	assert.Contains(t, r.stderr, "status needs the circuit")
	r = ctl(t, "status", "payments", "--stack", noService)
	assert.Equal(t, circuitctl.ExitOK, r.code, r)

	bad := write("bad.json", map[string]any{"stateMachineArn": "x"})
	r = ctl(t, "status", "payments", "--stack", bad)
	assert.Equal(t, circuitctl.ExitUsage, r.code, r)
	assert.Contains(t, r.stderr, "no tableName output")
	r = ctl(t, "status", "payments", "--stack", filepath.Join(dir, "missing"))
	assert.Equal(t, circuitctl.ExitUsage, r.code, r)
	assert.Contains(t, r.stderr, "pulumi stack output --json")
}

// --profile and --region reach the SDK's own configuration loading: the
// region can come from the profile, a missing profile or region is a usage
// error naming the flag.
func TestProfileAndRegion(t *testing.T) {
	f := newFixture(t)
	f.put(t, forcedOpenPayments())
	cfg := filepath.Join(t.TempDir(), "config")
	require.NoError(t, os.WriteFile(cfg, []byte("[profile oncall]\nregion = "+testenv.FakeRegion+"\naws_access_key_id = "+testenv.FakeAccessKeyID+"\naws_secret_access_key = "+testenv.FakeSecretAccessKey+"\n"), 0o600))
	t.Setenv("AWS_CONFIG_FILE", cfg)
	t.Setenv("AWS_REGION", "")

	r := ctl(t, "status", "payments", "--table", f.table)
	assert.Equal(t, circuitctl.ExitUsage, r.code, r)
	assert.Contains(t, r.stderr, "no AWS region: pass --region")

	r = ctl(t, "status", "payments", "--table", f.table, "--region", testenv.FakeRegion)
	assert.Equal(t, circuitctl.ExitOK, r.code, r)
	r = ctl(t, "status", "payments", "--table", f.table, "--profile", "oncall")
	assert.Equal(t, circuitctl.ExitOK, r.code, r)

	r = ctl(t, "status", "payments", "--table", f.table, "--profile", "on-call")
	assert.Equal(t, circuitctl.ExitUsage, r.code, r)
	assert.Contains(t, r.stderr, `--profile "on-call" is not in the shared config files`)
}

// The tool never overwrites a concurrent writer: its write is conditional on
// the version it read (circuitstore.Update), so it loses the race, re-reads
// and re-applies the override on top of the other write.
func TestOpenNeverOverwritesARacingWriter(t *testing.T) {
	f := newFixture(t)
	f.put(t, circuit.Circuit{ServiceName: "payments", State: circuit.Closed, Failures: 1})
	racer := &racingWriter{Client: f.db, table: f.table}
	env := circuitctl.Env{NewClient: func(context.Context, circuitctl.Conn) (circuitctl.API, error) { return racer, nil }}
	r := runWith(t, env, "open", "payments", "--table", f.table, "--reason", "INC-9")
	require.Equal(t, circuitctl.ExitOK, r.code, r)
	assert.Equal(t, 2, racer.writes, "one lost conditional write, one that won")
	c := f.get(t, "payments")
	assert.Equal(t, circuit.ForcedOpen, c.Override)
	assert.Equal(t, 2, c.Failures, "the racing writer's count survives")
	assert.Equal(t, int64(3), c.Version, "1 (put) + 1 (racer) + 1 (tool)")
}

// With no credentials anywhere (no keys in the environment, no profile, no
// instance role), the SDK's own error is the whole provider chain; the tool
// prints one line saying how to give it credentials (profile, region, keys,
// or --endpoint-url for a local table) and exits 4 without calling DynamoDB.
// --debug adds the SDK's error.
func TestNoCredentialsPrintsOneLineWithAHint(t *testing.T) {
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
		"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	for _, args := range [][]string{
		{"status", "payments", "--table", "t"},
		{"list", "--table", "t", "--endpoint-url", endpoint},
	} {
		r := runWith(t, circuitctl.Env{}, args...)
		assert.Equal(t, circuitctl.ExitAccessDenied, r.code, "%v: %s", args, r)
		assert.Empty(t, r.stdout)
		assert.Equal(t, 1, strings.Count(r.stderr, "\n"), "one line: %s", r.stderr)
		for _, hint := range []string{"no AWS credentials found", "--profile", "AWS_PROFILE", "--region", "AWS_ACCESS_KEY_ID", "--endpoint-url", "--debug"} {
			assert.Contains(t, r.stderr, hint)
		}
		assert.NotContains(t, r.stderr, "failed to refresh cached credentials", "the SDK's chain only with --debug")

		r = runWith(t, circuitctl.Env{}, append(args, "--debug")...)
		assert.Equal(t, circuitctl.ExitAccessDenied, r.code, r)
		assert.Contains(t, r.stderr, "circuitctl: debug: ")
		assert.Contains(t, r.stderr, "credentials")
	}
}

func TestMain(m *testing.M) {
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID":           testenv.FakeAccessKeyID,
		"AWS_SECRET_ACCESS_KEY":       testenv.FakeSecretAccessKey,
		"AWS_REGION":                  testenv.FakeRegion,
		"AWS_CONFIG_FILE":             os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
		"AWS_PROFILE":                 "",
		"AWS_EC2_METADATA_DISABLED":   "true",
	} {
		os.Setenv(k, v)
	}
	testenv.MainWithDynalite(m, &endpoint)
}
