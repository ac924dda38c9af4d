package circuitctl_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit/circuitstore"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuitctl"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/fakes/fakestore"
)

// commandLineSeeds are operators' command lines, NUL between arguments (an
// argument never holds one): the runbook's (docs/runbook.md) and the usage
// text's forms, and ones the tool must refuse.
var commandLineSeeds = []string{
	"status\x00payments\x00--table\x00circuits",
	"list\x00--table\x00circuits\x00--output\x00json",
	"list\x00payments\x00--table=circuits",
	"open\x00payments\x00--reason\x00incident 4711: card processor down\x00--table\x00circuits",
	"close\x00payments#customer-42\x00--reason\x00alarm is wrong\x00--table\x00circuits\x00--create",
	"release\x00--service\x00payments\x00--table\x00circuits",
	"clear-alarm\x00payments\x00--source\x00healthcheck\x00--reason\x00stale ALARM\x00--table\x00circuits",
	"clear-hold\x00payments\x00--reason\x00x\x00--table\x00circuits",
	"repair\x00payments\x00--reason\x00hand edit\x00--table\x00circuits\x00--max-open-duration\x00600",
	"prune\x00payments\x00--table\x00circuits\x00--yes",
	"history\x00payments\x00--table\x00circuits",
	"open\x00orders#\x00--reason\x00x\x00--table\x00circuits",
	"status\x00 payments\x00--table\x00circuits",
	"status\x00pay\x1b[31mments\x00--table\x00circuits",
	"open\x00payments\x00--table\x00circuits",
	"status\x00--max-open-duration\x00-1\x00--table\x00circuits\x00payments",
	"--help", "--version", "frobnicate", "",
}

// storedCircuit is the item the fake table answers every read with: an
// open, forced circuit, so that status, list and the writes have one to act on.
func storedCircuit() map[string]types.AttributeValue {
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	set, _ := circuitstore.Encode(circuit.Circuit{ServiceName: "payments", State: circuit.Open, Version: 7,
		OpenUntil: at.Add(time.Minute), LastTransition: circuit.Transition{From: circuit.Closed, To: circuit.Open, At: at, Reason: "5 consecutive failures"}})
	set[circuit.KeyAttribute] = &types.AttributeValueMemberS{Value: "payments"}
	return set
}

// FuzzCommandLine: circuitctl's arguments. Whatever they hold, no panic and
// one of the documented exit codes; a usage error (exit 1) sent nothing
// (no client was made), as the usage text promises; no failed command
// wrote; and what the tool prints holds no control character but newline
// and tab (issue 14 item 10: an argument echoed raw could drive the
// terminal). Arguments naming files (--stack, --png) and replay are left to
// FuzzStackOutputs and FuzzReplayFlags.
func FuzzCommandLine(f *testing.F) {
	for _, s := range commandLineSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		args := strings.Split(line, "\x00")
		if line == "" {
			args = nil
		}
		for _, a := range args {
			if strings.Contains(a, "stack") || strings.Contains(a, "png") || a == "replay" {
				t.Skip("reads or writes a file, or replay: fuzzed elsewhere")
			}
		}
		table := &fakestore.Table{Item: storedCircuit()}
		clients := 0
		var out, errOut bytes.Buffer
		code := circuitctl.Run(context.Background(), args, circuitctl.Env{
			Stdout: &out, Stderr: &errOut, Version: "1.2.3-test",
			Now: func() time.Time { return time.Date(2026, 12, 1, 11, 0, 0, 0, time.UTC) },
			NewClient: func(context.Context, circuitctl.Conn) (circuitctl.API, error) {
				clients++
				return table, nil
			},
		})
		switch {
		case code < circuitctl.ExitOK || code > circuitctl.ExitConflictOrOther:
			t.Fatalf("exit code %d is none of the documented ones", code)
		case code == circuitctl.ExitUsage && clients != 0:
			t.Fatalf("usage error after making a client: %s", errOut.String())
		case code != circuitctl.ExitOK && table.Writes() != 0:
			t.Fatalf("exit %d after %d writes: %s", code, table.Writes(), errOut.String())
		}
		for _, s := range []string{out.String(), errOut.String()} {
			for _, r := range s {
				if r != '\n' && r != '\t' && !unicode.IsPrint(r) && r != ' ' {
					t.Fatalf("printed %U raw for arguments %q: %q", r, args, s)
				}
			}
		}
	})
}

// TestFlagErrorsAreEscaped: an unknown flag was printed as the flag package
// wrote it, raw and whole ("flag provided but not defined: -\x06", found by
// FuzzCommandLine, testdata/fuzz/FuzzCommandLine/f28324e0f320f84f), so an
// argument could drive the operator's terminal or flood it. It is escaped
// and bounded, for the commands and for replay.
func TestFlagErrorsAreEscaped(t *testing.T) {
	long := "-" + strings.Repeat("x", 100_000)
	for _, args := range [][]string{
		{"status", "-\x06"},
		{"status", "payments", "--\x1b[2J", "--table", "circuits"},
		{"open", "payments", "--reason"},
		{"list", long},
		{"replay", "--\x1b]0;owned\x07"},
		{"replay", long},
	} {
		var out, errOut bytes.Buffer
		code := circuitctl.Run(context.Background(), args, circuitctl.Env{Stdout: &out, Stderr: &errOut})
		if code != circuitctl.ExitUsage {
			t.Errorf("%q: exit %d, want %d (usage)", args, code, circuitctl.ExitUsage)
		}
		msg := errOut.String()
		for _, r := range msg {
			if r != '\n' && !unicode.IsPrint(r) {
				t.Errorf("%q: printed %U raw: %q", args, r, msg)
				break
			}
		}
		if len(msg) > 1024 {
			t.Errorf("%q: %d bytes of error for a %d-byte argument", args, len(msg), len(args[len(args)-1]))
		}
	}
}
