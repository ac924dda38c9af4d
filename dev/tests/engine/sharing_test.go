//go:build engine

package engine

// The sharing case (issue 8): two breakers on one aliased downstream, from
// TypeScript and Python, through the real engine, the plugin and the stand-in
// aws plugin. The downstream's alias is passed as a resource (downstreamAlias)
// and the second breaker takes the first one's table through its `table`
// output (`table: first.table`). A second preview after up must change
// nothing. With bad input, the preview must fail with each problem reported
// against its property, the way the engine reports provider input failures,
// and, in Python, without a traceback.

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/fakes/standinaws"
)

type sharingLang struct {
	dir  string
	args []string
	env  []string
}

func sharingProgram(t *testing.T, lang string) sharingLang {
	t.Helper()
	switch lang {
	case "typescript":
		for _, n := range languages["typescript"].needs {
			need(t, n[0], n[1])
		}
		return sharingLang{path("examples", "ts"), []string{"node", path("dev", "tests", "engine", "drivers", "driver.js")}, []string{
			"CIRCUITBREAKER_ENGINE_PROGRAM=" + path("dev", "tests", "engine", "sharing", "index.js"),
			"NODE_PATH=" + path("examples", "ts", "node_modules"),
		}}
	case "python":
		need(t, venvPython(), "the Python virtualenv with the SDK")
		return sharingLang{path("dev", "tests", "engine", "sharing"), []string{venvPython(), path("dev", "tests", "engine", "drivers", "driver.py")}, []string{
			"CIRCUITBREAKER_ENGINE_PROGRAM=" + path("dev", "tests", "engine", "sharing", "__main__.py"),
		}}
	}
	t.Fatalf("no sharing program in %s", lang)
	return sharingLang{}
}

// runSharing runs the sharing program's driver and returns its report and
// the stand-in's journal.
func runSharing(t *testing.T, lang string, env ...string) ([]byte, []standinaws.JournalEntry, string) {
	t.Helper()
	prog := sharingProgram(t, lang)
	e := newEngineEnv(t)
	b, out, m := e.drive(t, lang+" sharing stack", "sharing", prog.dir, prog.args, append(prog.env, env...))
	if m != nil {
		// The real provider and moto: their checks instead of the stand-in's journal.
		checkFidelity(t, m, 2)
		return b, nil, string(out)
	}
	journal, err := standinaws.ReadJournal(e.cloud)
	if err != nil {
		t.Fatal(err)
	}
	left, err := standinaws.ReadCloud(e.cloud)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 0 {
		t.Errorf("%d resources left in the fake cloud", len(left))
	}
	return b, journal, string(out)
}

func TestTypeScriptSharingThroughEngine(t *testing.T) { t.Parallel(); checkSharing(t, "typescript") }
func TestPythonSharingThroughEngine(t *testing.T)     { t.Parallel(); checkSharing(t, "python") }

func checkSharing(t *testing.T, lang string) {
	b, journal, _ := runSharing(t, lang, refreshEnv()...)
	// Two aliases named live (the downstream's, the healthcheck's) read back
	// after a refresh as themselves, and nothing changes.
	t.Run("refresh", func(t *testing.T) { checkRefresh(t, b) })
	var r report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if r.Up.Summary["create"] == 0 || len(r.Up.Summary) != 1 {
		t.Errorf("up %v, want creates only", r.Up.Summary)
	}
	if len(r.PreviewAgain.ChangeSummary) != 1 || r.PreviewAgain.ChangeSummary["same"] == 0 {
		t.Errorf("preview after up %v, want no changes", r.PreviewAgain.ChangeSummary)
	}
	for _, st := range r.PreviewAgain.Steps {
		if st.Op != "same" {
			t.Errorf("preview after up: %s %s %v", st.Op, st.URN, st.Diffs)
		}
	}
	checkScheduleOnlyChanged(t, r.PreviewChanged)
	if len(r.Destroy.Summary) != 1 || r.Destroy.Summary["delete"] != r.Up.Summary["create"] {
		t.Errorf("destroy %v, want delete of all %d", r.Destroy.Summary, r.Up.Summary["create"])
	}
	for _, j := range journal {
		if j.Op == "update" {
			t.Errorf("stand-in update of %s, want none", j.URN)
		}
	}

	byName := map[string]stateResource{}
	var tables []stateResource
	for _, res := range r.Deployment.Resources {
		byName[res.name()] = res
		if res.Type == "aws:dynamodb/table:Table" {
			tables = append(tables, res)
		}
	}
	// One table: the first breaker's own, shared by the second through the
	// first one's `table` output.
	first, second := byName["checkout"], byName["refunds"]
	if len(tables) != 1 || tables[0].name() != "checkout-table" || tables[0].Parent != first.URN {
		t.Fatalf("tables %v, want only checkout-table, a child of the first breaker", tables)
	}
	table := tables[0]
	if ref, _ := first.Outputs["table"].(string); ref != "" && ref != table.URN {
		t.Errorf("first breaker's table output %v, want a reference to %s", first.Outputs["table"], table.URN)
	}
	if got := second.out("tableName"); got == "" || got != table.out("name") {
		t.Errorf("second breaker's tableName %q, want the first's table %q", got, table.out("name"))
	}
	if def, _ := byName["refunds-state-machine"].Inputs["definition"].(string); !strings.Contains(def, `"`+table.out("name")+`"`) {
		t.Errorf("the second breaker's definition does not read the first's table %q", table.out("name"))
	}
	want := map[string]string{"firstTableName": table.out("name"), "secondTableName": table.out("name"), "topicArn": byName["checkout-alarms"].out("arn")}
	for k, v := range want {
		if got := r.Up.Outputs[k].Value; got != v || v == "" {
			t.Errorf("stack output %s = %v, want %q", k, got, v)
		}
	}

	// docs/using.md's subscription: the topic, passed as the resource, reached
	// the aws provider as the topic's ID, its ARN (a provider that accepts no
	// resource references gets the ID: issue 14 item 24).
	if sub, topic := byName["checkout-oncall"], byName["checkout-alarms"].out("arn"); sub.Type != "aws:sns/topicSubscription:TopicSubscription" || topic == "" || sub.Inputs["topic"] != topic {
		t.Errorf("subscription checkout-oncall (%s) topic %v, want the topic's ARN %q", sub.Type, sub.Inputs["topic"], topic)
	}

	// The alias passed as a resource is each breaker's qualifier, and the
	// breakers depend on it.
	shop, alias := byName["shop"], byName["shop-live"]
	if alias.Type != "aws:lambda/alias:Alias" || alias.out("name") != "live" {
		t.Fatalf("no alias shop-live named live in the state: %+v", alias)
	}
	for _, svc := range []string{"checkout", "refunds"} {
		def, _ := byName[svc+"-state-machine"].Inputs["definition"].(string)
		if !strings.Contains(def, shop.out("arn")+":live") {
			t.Errorf("%s's definition does not invoke %s:live", svc, shop.out("arn"))
		}
		dims, _ := byName[svc+"-downstream-errors"].Inputs["dimensions"].(map[string]any)
		if dims["Resource"] != shop.out("name")+":live" {
			t.Errorf("%s's downstream alarm dimensions %v, want Resource %s:live", svc, dims, shop.out("name"))
		}
	}
}

func TestTypeScriptBadInputByPropertyThroughEngine(t *testing.T) {
	t.Parallel()
	checkBadInput(t, "typescript", "1", "error", badInputSaid)
}

func TestPythonBadInputByPropertyThroughEngine(t *testing.T) {
	t.Parallel()
	checkBadInput(t, "python", "1", "error", badInputSaid)
}

// The alias of another function: its functionName is the healthcheck's
// auto-generated name, unknown at the first preview, so the preview passes
// and the update refuses it (the check is a component output,
// component/qualifiers.go), in the same words.
func TestTypeScriptForeignAliasByPropertyThroughEngine(t *testing.T) {
	t.Parallel()
	checkBadInput(t, "typescript", "2", "error-at-up", foreignAliasSaid)
}

func TestPythonForeignAliasByPropertyThroughEngine(t *testing.T) {
	t.Parallel()
	checkBadInput(t, "python", "2", "error-at-up", foreignAliasSaid)
}

var (
	badInputSaid = []string{
		"circuitbreaker:index:CircuitBreaker resource 'checkout' has a problem: invalid CircuitBreaker inputs",
		`property healthcheckSchedule with value "rate(1 minutes)" has a problem: "rate(1 minutes)": a rate of 1 takes the singular unit; write "rate(1 minute)"`,
		"property downstreamAlias has a problem: is set together with downstreamQualifier; pass one of them",
	}
	foreignAliasSaid = []string{
		"circuitbreaker:index:CircuitBreaker resource 'checkout' has a problem: invalid CircuitBreaker inputs",
		`property downstreamAlias has a problem: alias "probe" belongs to function "shop-health-`,
		`not to downstreamFunction "shop-`,
	}
)

// checkBadInput: the engine reports each bad input against its property
// ("property healthcheckSchedule with value ... has a problem: ...", pulumi
// pkg/resource/deploy/source_eval.go, errorToMessage) and the user sees no
// traceback.
func checkBadInput(t *testing.T, lang, variant, expect string, said []string) {
	if fidelity != nil {
		t.Skip("bad input is refused before any aws call")
	}
	b, journal, out := runSharing(t, lang, "CIRCUITBREAKER_ENGINE_EXPECT="+expect, "CIRCUITBREAKER_ENGINE_BAD_INPUT="+variant)
	var r struct {
		Failure *struct {
			Message     string       `json:"message"`
			Diagnostics []diagnostic `json:"diagnostics"`
		} `json:"failure"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if r.Failure == nil {
		t.Fatalf("bad input was not refused (%s)", expect)
	}
	var diags []string
	for _, d := range r.Failure.Diagnostics {
		if d.Severity == "error" {
			diags = append(diags, d.Message)
		}
	}
	all := strings.Join(diags, "\n")
	t.Logf("%s: the user sees:\n%s\nthe Automation API's error:\n%s", lang, all, r.Failure.Message)
	for _, want := range said {
		if !strings.Contains(all, want) {
			t.Errorf("%s: the error diagnostics do not say %q:\n%s", lang, want, all)
		}
	}
	if lang == "python" {
		// The component's error never comes with a traceback. A traceback may
		// still follow it, and it is not ours to remove: for every failed
		// Construct, whatever the provider's status, the engine (v3.274.1)
		// answers the program's RegisterResource with codes.Unknown "resource
		// monitor shut down" (pkg/resource/deploy/source_eval.go, after
		// errorToMessage), which the Python SDK turns into a plain Exception
		// (pulumi/runtime/settings.py grpc_error_to_exception: only
		// UNAVAILABLE becomes a quiet RunError), printed with its traceback
		// when the engine is still listening: a race, seen in about one run in
		// three here. So the check is that any traceback is that one.
		for _, where := range []string{all, r.Failure.Message, out} {
			for _, tb := range strings.Split(where, "Traceback (most recent call last):")[1:] {
				if !strings.Contains(tb, "resource monitor shut down") || strings.Contains(tb, "invalid CircuitBreaker inputs") {
					t.Errorf("python: a traceback other than the engine's shutdown one:\n%s", tb)
				}
			}
			if n := strings.Count(where, "Traceback"); n > 0 {
				t.Logf("python: the SDK's traceback after the engine's shutdown reply appeared (%d) in this run", n)
			}
		}
	}
	// Refused at preview, nothing of the breaker is created. Refused at up
	// (known only then), the check fails the update but does not hold back
	// the children, like a brought table's keys (issue 7 item 15: no child
	// waits on the check); the stand-in's cloud is empty after destroy
	// (runSharing checks).
	for _, j := range journal {
		if expect == "error" && j.Op == "create" && strings.Contains(j.URN, "CircuitBreaker") {
			t.Errorf("bad input created %s", j.URN)
		}
	}
}
