package circuit

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

var updateDocs = flag.Bool("update-docs", false, "rewrite docs/request-path.md from the rulebook (make docs)")

// docs/request-path.md is generated from the rulebook; it fails here when
// stale, and `make docs` rewrites it.
func TestRequestPathDoc(t *testing.T) {
	file := filepath.Join("..", "docs", "request-path.md")
	got := requestPathDoc()
	if *updateDocs {
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != got {
		t.Errorf("docs/request-path.md is stale: run `make docs` and commit it")
	}
}

// paramDocs say what each parameter stands for, in the docs' legend.
var paramDocs = map[string]string{
	ParamHalfOpenMaxCalls: "the input `halfOpenMaxCalls`",
	ParamFailureThreshold: "the input `failureThreshold`",
	ParamSuccessThreshold: "the input `successThreshold`",
	ParamPeriod:           "the probe's half-open period: the `halfOpenUntil` its election or join answered (JoinProbe: the one read)",
	ParamNow:              "the execution's start (`$$.Execution.StartTime`)",
	ParamReason:           "the transition's reason: \"probe succeeded\", or \"N probes succeeded\"",
}

func requestPathDoc() string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	cell := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	p("# The request path")
	p("")
	p("<!-- Generated from circuit/rulebook.go by `make docs`; TestRequestPathDoc fails when it is stale. Do not edit. -->")
	p("")
	p("The circuit's rules are data in [`circuit/rulebook.go`](../circuit/rulebook.go). Go evaluates them")
	p("(`circuit.Decide`, `circuit.Governing`, and the alarm path's open and close, which apply the same effects), and the")
	p("state machine's builder renders the same tables to Choice states and the same writes to `dynamodb:updateItem` Tasks")
	p("([`component/statemachine/render.go`](../component/statemachine/render.go)). Tests execute the definition and compare")
	p("it with the Go evaluation, row by row and write by write. This page is generated from the same data.")
	p("")
	p("Every execution reads the circuit's item once (an eventually consistent `GetItem`; with `circuitKey`, one")
	p("`BatchGetItem` of the breaker's item and the key's, then `%s` below). A read that fails fails open (or, with", StepSelectCircuit)
	p("`onStoreError: failClosed`, fails with `CircuitUnavailable`). \"now\" is the execution's start.")
	p("")
	p("## The decision: `%s`", RequestPath.Name)
	p("")
	p("First match wins. Rows 4 to 6 and the default are what guarantee that no circuit stays open forever on its own")
	p("state: only an operator or a healthcheck alarm can hold it. A deadline that is absent or not a timestamp counts as")
	p("passed. A rejection fails the execution with `CircuitOpen` (its cause says why), or runs the fallback.")
	p("")
	p("| # | when | verdict | next state | what happens |")
	p("|---|---|---|---|---|")
	for i, r := range RequestPath.Rows {
		next := "`" + r.Step + "`"
		if r.Then == Reject {
			next += " (or the fallback)"
		}
		p("| %d | %s | %s | %s | %s |", i+1, cell(r.When.String()), r.Then, next, cell(r.Says))
	}
	d := RequestPath.Default
	p("| | otherwise | %s | `%s` | %s |", d.Then, d.Step, cell(d.Says))
	p("")
	p("### What a rejection does: `circuit.Rejection`")
	p("")
	p("Every place the request path rejects (the `%s` rows above, a lost election claim or `%s` write, an", Reject, JoinProbe.Name)
	p("election that does not admit the call, and with `onStoreError: failClosed` a store error) does what the mode")
	p("says ([shadow-mode.md](shadow-mode.md)); nothing else differs between the modes.")
	p("")
	p("| mode | verdict | next state | what happens |")
	p("|---|---|---|---|")
	for _, m := range []Mode{ModeEnforce, ModeShadow} {
		r := Rejection[m]
		next := "the row's own"
		if r.Step != "" {
			next = "`" + r.Step + "`"
		}
		p("| %s | %s | %s | %s |", m, r.Then, next, cell(r.Says))
	}
	p("")
	p("## The election's claim: `%s`", ElectionClaimRules.Name)
	p("")
	p("The rows that elect lead here (through `%s`, which takes the minute of the execution's start). Of the callers", StepPrepareElection)
	p("finding a deadline over at once, the one whose claim (`%s` or `%s`) lands asks the controller;", Claim.Name, ClaimUnversioned.Name)
	p("a winner whose controller call fails frees the claim (`%s`). First match wins.", ReleaseClaim.Name)
	p("")
	p("| # | when | verdict | next state | what happens |")
	p("|---|---|---|---|---|")
	for i, r := range ElectionClaimRules.Rows {
		p("| %d | %s | %s | `%s` | %s |", i+1, cell(r.When.String()), r.Then, r.Step, cell(r.Says))
	}
	e := ElectionClaimRules.Default
	p("| | otherwise | %s | `%s` | %s |", e.Then, e.Step, cell(e.Says))
	p("")
	p("## Per-key circuits: `%s`", GoverningRules.Name)
	p("")
	p("With `circuitKey`, the item the decision reads and the writes change is the one these rules pick")
	p("([per-key.md](per-key.md)). First match wins.")
	p("")
	p("| # | when | acts on | next state | why |")
	p("|---|---|---|---|---|")
	for i, r := range GoverningRules.Rows {
		p("| %d | %s | %s | `%s` | %s |", i+1, cell(r.When.String()), r.Then, r.Step, cell(r.Says))
	}
	g := GoverningRules.Default
	p("| | otherwise | %s | `%s` | %s |", g.Then, g.Step, cell(g.Says))
	p("")
	p("## After the downstream")
	p("")
	p("A counted failure of a closed circuit is `CountFailure`, a probe's success `CountProbeSuccess` (or, when one")
	p("success closes, `CloseByProbe` at once); each returns the new count (`written.*`), which these decide on:")
	p("")
	p("| state | when | next state | what happens |")
	p("|---|---|---|---|")
	for _, t := range []Table[bool]{TripAtThreshold, CloseAtThreshold} {
		for _, r := range t.Rows {
			p("| `%s` | %s | `%s` | %s |", t.Name, cell(r.When.String()), r.Step, cell(r.Says))
		}
		p("| `%s` | otherwise | `%s` | %s |", t.Name, t.Default.Step, cell(t.Default.Says))
	}
	p("")
	p("Opening (trip, a failed probe) and electing a probe need time arithmetic (now + a duration), which the")
	p("states language cannot do: the controller Lambda makes those writes (`Opening` in the rulebook).")
	p("")
	p("## The writes")
	p("")
	p("Each is one conditional `UpdateItem` on the circuit's item; every write adds 1 to `version`, the Lambdas'")
	p("optimistic-concurrency token. A write whose condition fails changes nothing.")
	p("")
	p("| write | state | UpdateExpression | ConditionExpression |")
	p("|---|---|---|---|")
	params := map[string]bool{}
	for _, u := range Writes {
		x, err := u.Expressions()
		if err != nil {
			panic(err)
		}
		for name, o := range x.Values {
			if o.Const == nil {
				params[name] = true
			}
		}
		p("| %s | `%s` | `%s` | `%s` |", u.Name, u.Step, cell(x.Update), cell(x.Condition))
	}
	p("")
	p("`#name` is the attribute `name`; `:zero`, `:one`, `:minusOne`, `:closed`, `:halfOpen` are 0, 1, -1, CLOSED,")
	p("HALF_OPEN. The parameters:")
	p("")
	var names []string
	for _, tbl := range [][]string{RequestPath.Params, TripAtThreshold.Params, CloseAtThreshold.Params} {
		for _, n := range tbl {
			params[n] = true
		}
	}
	for n := range params {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p("- `%s`: %s", n, paramDocs[n])
	}
	p("")
	p("## The `CircuitState` metric")
	p("")
	p("What the alarm handler publishes (`circuit.MetricRules`): the decision's precedence without the clock, so an")
	p("open circuit whose open duration is over stays open until a caller is elected as its probe. First match wins.")
	p("")
	p("| # | when | value |")
	p("|---|---|---|")
	for i, r := range MetricRules.Rows {
		p("| %d | %s | %d (%s) |", i+1, cell(r.When.String()), r.Then, r.Step)
	}
	p("| | otherwise | %d (%s) |", MetricRules.Default.Then, MetricRules.Default.Step)
	p("")
	p("## The paths")
	p("")
	p("How an execution goes, as the local run and the benchmark report it (`circuit.ClassifyPath`: the first")
	p("line whose states match names the path).")
	p("")
	p("| path | what happens |")
	p("|---|---|")
	for _, info := range Paths {
		p("| %s | %s |", info.Path, cell(info.Says))
	}
	p("")
	p("| # | states entered | path |")
	p("|---|---|---|")
	for i, m := range PathMarks() {
		p("| %d | %s | %s |", i+1, cell(m.String()), m.Path)
	}
	p("| | anything else | %s |", PathOther)
	return b.String()
}

// docs/per-key.md, "What a key may be", links circuit.KeyChecks and counts
// its forbidden characters: the count follows the declaration.
func TestPerKeyDocFollowsKeyChecks(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "per-key.md"))
	if err != nil {
		t.Fatal(err)
	}
	forbidden := 0
	for _, row := range KeyChecks {
		for _, c := range row.Checks {
			if c.Test == KeyStringMatches && !c.Unless && strings.HasPrefix(c.Value, "*") && strings.HasSuffix(c.Value, "*") {
				forbidden++
			}
		}
	}
	for _, want := range []string{"[`circuit/keys.go`](../circuit/keys.go)", "`circuit.KeyChecks`", fmt.Sprintf("(%d of them)", forbidden)} {
		if !strings.Contains(string(doc), want) {
			t.Errorf("docs/per-key.md does not say %q", want)
		}
	}
}
