//go:build emulators

package circuitctl_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuitctl"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/testenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The runbook's command lines, exactly as docs/runbook.md writes them, run and
// succeed: against a table holding the circuits they name, with the
// outputs.json its first block writes (tableName, tableArn, serviceName) in
// the working directory, and the local table's endpoint and name in place of
// the example's. Every command the tool has (but history, which keeps
// nothing) is shown there.
func TestRunbookCommandLinesRun(t *testing.T) {
	f := newFixture(t)
	f.put(t, circuit.Circuit{ServiceName: "payments", State: circuit.Closed})
	f.put(t, circuit.Circuit{ServiceName: "payments#acme", State: circuit.Closed, Failures: 1})

	cmds := runbookCommands(t)
	require.GreaterOrEqual(t, len(cmds), 10, "the runbook's circuitctl lines were not found")

	dir := t.TempDir()
	outputs, err := json.Marshal(map[string]any{
		"tableName": f.table, "tableArn": "arn:aws:dynamodb:" + testenv.FakeRegion + ":123456789012:table/" + f.table,
		"serviceName": "payments", "stateMachineArn": "arn:aws:states:" + testenv.FakeRegion + ":123456789012:stateMachine:payments",
	})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "outputs.json"), outputs, 0o644))
	t.Chdir(dir)

	seen := map[string]bool{}
	for _, c := range cmds {
		args := append([]string(nil), c.args...)
		local := false
		for i := range args {
			if i > 0 && args[i-1] == "--endpoint-url" {
				args[i], local = endpoint, true
			}
		}
		for i := range args {
			if local && i > 0 && args[i-1] == "--table" {
				args[i] = f.table
			}
		}
		if !local {
			args = append(args, "--endpoint-url", endpoint)
		}
		for k, v := range c.env {
			t.Setenv(k, v)
		}
		// replay reads CloudWatch, which the local table is not: its lines
		// read a fake with an hour of metrics (replay_test.go); the moto
		// tests (replay_emulators_test.go) run it on CloudWatch's protocol.
		r := runWith(t, circuitctl.Env{NewMetrics: func(context.Context, circuitctl.Conn) (circuitctl.MetricsAPI, error) {
			return slowHistory(1000), nil
		}}, args...)
		assert.Equal(t, circuitctl.ExitOK, r.code, "%s\n%s", c.line, r)
		seen[c.args[0]] = true
	}

	help := runWith(t, circuitctl.Env{}, "--help")
	for _, m := range regexp.MustCompile(`(?m)^  ([a-z][a-z-]*) `).FindAllStringSubmatch(help.stdout, -1) {
		if m[1] != "history" {
			assert.True(t, seen[m[1]], "the runbook shows no `circuitctl %s` line", m[1])
		}
	}
}
