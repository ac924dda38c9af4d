//go:build emulators

package circuitctl_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuitctl"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hostileKeys are per-key circuits' keys as a caller can create them (the
// request path takes the key from the caller's input, docs/per-key.md): an
// ANSI colour sequence (ESC [ 31 m, ECMA-48 SGR), a terminal title sequence
// (OSC 0), NUL, a newline followed by a forged row, and the Unicode bidi
// override U+202E and isolate U+2066 (the "Trojan Source" characters,
// CVE-2021-42574) that reorder what a terminal shows.
var hostileKeys = []string{
	"\x1b[31mred\x1b[0m",
	"\x1b]0;pwned\x07",
	"nul\x00byte",
	"acme\npayments  CLOSED  CLOSED  -  -  forged row  9",
	"\u202eevil\u2066",
	"tab\there",
	`"quoted"`,
}

// raw reports the first byte sequence a terminal would act on.
func raw(t *testing.T, out string) {
	t.Helper()
	for _, bad := range []string{"\x1b", "\x00", "\x07", "\u202e", "\u2066", "\t"} {
		assert.NotContains(t, out, bad, "a raw %q reached the output:\n%s", bad, out)
	}
}

// Item keys, reasons and every other stored string reach the terminal
// escaped: none of the sequences above is printed raw, each circuit is one
// row whatever its key, and the JSON output is valid JSON that decodes to the
// stored strings exactly.
func TestHostileStringsAreEscaped(t *testing.T) {
	f := newFixture(t)
	p := forcedOpenPayments()
	p.LastTransition.Reason = "manual: \x1b[2J\x1b[Hcleared\nwhy  forged"
	p.Override = circuit.Override("FORCED_OPEN\x1b[8m")
	f.put(t, p)
	for _, k := range hostileKeys {
		f.put(t, circuit.Circuit{ServiceName: "payments#" + k, State: circuit.Open,
			LastTransition: circuit.Transition{At: t0, From: circuit.Closed, To: circuit.Open, Reason: "last: " + k}})
	}

	r := ctl(t, "list", "--table", f.table)
	require.Equal(t, circuitctl.ExitOK, r.code, r)
	raw(t, r.stdout)
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	assert.Len(t, lines, 1+1+len(hostileKeys), "a header, payments and one row per key:\n%s", r.stdout)
	for _, l := range lines {
		assert.NotRegexp(t, `^payments +CLOSED`, l, "a forged row")
	}
	assert.Contains(t, r.stdout, `  #"acme\npayments  CLOSED  CLOSED  -  -  forged row  9"`)
	assert.Contains(t, r.stdout, `  #"\x1b[31mred\x1b[0m"`)
	assert.Contains(t, r.stdout, `  #"\u202eevil\u2066"`)
	assert.Contains(t, r.stdout, `  #"\"quoted\""`, "a key that looks quoted is quoted again")

	r = ctl(t, "list", "--table", f.table, "--output", "json")
	require.Equal(t, circuitctl.ExitOK, r.code, r)
	raw(t, r.stdout)
	var vs []circuitctl.View
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &vs), r.stdout)
	var keys []string
	for _, v := range vs {
		if v.Key != "" {
			keys = append(keys, v.Key)
			assert.Equal(t, "last: "+v.Key, v.Transition.Reason)
		}
	}
	assert.ElementsMatch(t, hostileKeys, keys, "JSON carries the stored strings exactly")

	r = ctl(t, "status", "payments", "--table", f.table)
	require.Equal(t, circuitctl.ExitOK, r.code, r)
	raw(t, r.stdout)
	assert.Contains(t, r.stdout, `why                "manual: \x1b[2J\x1b[Hcleared\nwhy  forged"`+"\n")
	assert.Contains(t, r.stdout, `override           "FORCED_OPEN\x1b[8m"`)
	assert.Equal(t, 1, strings.Count(r.stdout, "\nwhy "), r.stdout)

	for _, k := range hostileKeys {
		name := "payments#" + k
		r = ctl(t, "status", name, "--table", f.table)
		require.Equal(t, circuitctl.ExitOK, r.code, "%q: %s", k, r)
		raw(t, r.stdout)
		r = ctl(t, "open", name, "--table", f.table, "--reason", "INC-9 "+k)
		require.Equal(t, circuitctl.ExitOK, r.code, "%q: %s", k, r)
		raw(t, r.stdout)
		assert.Equal(t, 1, strings.Count(r.stdout, "\n"), r.stdout)
		r = ctl(t, "status", name, "--table", f.table, "--output", "json")
		require.Equal(t, circuitctl.ExitOK, r.code, "%q: %s", k, r)
		raw(t, r.stdout)
		var v circuitctl.View
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &v), r.stdout)
		assert.Equal(t, name, v.Circuit)
		assert.Equal(t, "manual: INC-9 "+strings.TrimSpace(k), v.Transition.Reason)
	}
}
