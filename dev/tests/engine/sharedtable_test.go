//go:build engine

package engine

// The shared-table case (issue 7, items 7 and 15): a stack that declares one
// DynamoDB table without a sort key and brings it to two breakers. Its
// rangeKey output is absent, and the SDKs resolve an absent output as unknown
// at preview; when a child's input waited on it, every preview after up
// showed both definitions and the Lambdas' TABLE_NAME as unknown: six phantom
// updates. Through the real engine, the plugin and the stand-in aws plugin,
// the second preview after up must change nothing. The Go stack also turns
// logging off with an up, which must update the state machines before it
// deletes the log groups and the log-delivery grants they used, and then
// preview without changes again (logLevel OFF is sent explicitly, so it
// cannot flap).

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/fakes/standinaws"
)

// sharedServices are the two breakers' names: the second is the longest and
// oddest name the component accepts (37 characters, the IAM roles' 64 less
// "-alarm-handler-role" and the auto-name's 8; letters of both cases, digits,
// '_' and '-'), so that the real provider in make fidelity checks every
// child's name limit too (issue 7 item 8).
var sharedServices = []string{"checkout", "Refunds_EU-2026_ledger-v2_partner_X9z"}

func TestGoSharedTableThroughEngine(t *testing.T) {
	runShared(t, "go", path("dev", "tests", "engine", "sharedtable", "go"), []string{"go", "test", "-count=1", "-run", "^TestEngine$", "."}, nil)
}

func TestTypeScriptSharedTableThroughEngine(t *testing.T) {
	lang := languages["typescript"]
	for _, n := range lang.needs {
		need(t, n[0], n[1])
	}
	// The program is plain JavaScript next to this file; its packages (and the
	// driver's @pulumi/pulumi) resolve from the example's node_modules.
	runShared(t, "typescript", path("examples", "ts"), []string{"node", path("dev", "tests", "engine", "drivers", "driver.js")}, []string{
		"CIRCUITBREAKER_ENGINE_PROGRAM=" + path("dev", "tests", "engine", "sharedtable", "index.js"),
		"NODE_PATH=" + path("examples", "ts", "node_modules"),
	})
}

func TestPythonSharedTableThroughEngine(t *testing.T) {
	need(t, venvPython(), "the Python virtualenv with the SDK")
	runShared(t, "python", path("dev", "tests", "engine", "sharedtable"), []string{venvPython(), path("dev", "tests", "engine", "drivers", "driver.py")}, []string{
		"CIRCUITBREAKER_ENGINE_PROGRAM=" + path("dev", "tests", "engine", "sharedtable", "__main__.py"),
	})
}

// sharedReport is what the drivers write; the Go stack's own test adds the
// logs-off steps.
type sharedReport struct {
	report
	UpLogsOff struct {
		Summary map[string]int `json:"summary"`
		Steps   []struct {
			URN   string   `json:"urn"`
			Type  string   `json:"type"`
			Op    string   `json:"op"`
			Diffs []string `json:"diffs"`
		} `json:"steps"`
	} `json:"upLogsOff"`
	PreviewAfterLogsOff      *preview `json:"previewAfterLogsOff"`
	PreviewDefinitionChanged *preview `json:"previewDefinitionChanged"`
}

func runShared(t *testing.T, lang, dir string, args, env []string) {
	t.Parallel()
	e := newEngineEnv(t)
	b, _, m := e.drive(t, lang+" shared-table stack", "shared-table", dir, args, env)
	var r sharedReport
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if m != nil {
		checkShared(t, lang, r, nil)
		if lang == "go" {
			t.Run("logs-off-order", func(t *testing.T) { checkLogsOffOrder(t, m) })
		}
		checkFidelity(t, m, len(sharedServices))
		return
	}
	journal, err := standinaws.ReadJournal(e.cloud)
	if err != nil {
		t.Fatal(err)
	}
	checkShared(t, lang, r, journal)
	left, err := standinaws.ReadCloud(e.cloud)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 0 {
		t.Errorf("%d resources left in the fake cloud after destroy", len(left))
	}
}

func checkShared(t *testing.T, lang string, r sharedReport, journal []standinaws.JournalEntry) {
	if r.Up.Summary["create"] == 0 || len(r.Up.Summary) != 1 {
		t.Errorf("up %v, want creates only", r.Up.Summary)
	}
	noChanges := func(name string, p preview) {
		t.Helper()
		if len(p.ChangeSummary) != 1 || p.ChangeSummary["same"] == 0 {
			t.Errorf("%s %v, want no changes", name, p.ChangeSummary)
		}
		for _, st := range p.Steps {
			if st.Op != "same" {
				t.Errorf("%s: %s %s %v", name, st.Op, st.URN, st.Diffs)
			}
		}
	}
	noChanges("preview after up", r.PreviewAgain)

	// The deployment: one table, the program's, and no table of the breakers'
	// own; both definitions read it.
	var tables, components []stateResource
	byName := map[string]stateResource{}
	for _, res := range r.Deployment.Resources {
		switch res.Type {
		case "aws:dynamodb/table:Table":
			tables = append(tables, res)
		case componentType:
			components = append(components, res)
		}
		byName[res.name()] = res
	}
	if len(tables) != 1 || len(components) != 2 || !strings.HasSuffix(tables[0].Parent, "::pulumi:pulumi:Stack::shared-table-engine-test") {
		t.Fatalf("%d tables (want the program's one) and %d breakers (want 2)", len(tables), len(components))
	}
	tableName := tables[0].out("name")
	for _, svc := range sharedServices {
		sm, ok := byName[svc+"-state-machine"]
		if !ok {
			t.Fatalf("no state machine of %s", svc)
		}
		if def, _ := sm.Inputs["definition"].(string); tableName == "" || !strings.Contains(def, tableName) {
			t.Errorf("%s's definition does not read the shared table %q", svc, tableName)
		}
	}

	if lang == "go" {
		// Each breaker's topic passed as the resource to a subscription
		// reached the aws provider as the topic's ARN (issue 14 item 24).
		for _, svc := range sharedServices {
			sub, topic := byName[svc+"-oncall"], byName[svc+"-alarms"].out("arn")
			if topic == "" || sub.Inputs["topic"] != topic {
				t.Errorf("subscription %s-oncall topic %v, want the topic's ARN %q", svc, sub.Inputs["topic"], topic)
			}
		}
	}

	if lang != "go" {
		checkScheduleOnlyChanged(t, r.PreviewChanged)
		if len(r.Destroy.Summary) != 1 || r.Destroy.Summary["delete"] != r.Up.Summary["create"] {
			t.Errorf("destroy %v, want delete of all %d", r.Destroy.Summary, r.Up.Summary["create"])
		}
		for _, j := range journal {
			if j.Op == "update" {
				t.Errorf("stand-in update of %s, want none", j.URN)
			}
		}
		return
	}

	// Logs off: exactly the two state machines updated, their log groups,
	// log-delivery policies and the fast-fail metric filters on those log
	// groups deleted, and in that order.
	var changed []string
	for _, st := range r.UpLogsOff.Steps {
		if st.Op == "same" {
			continue
		}
		changed = append(changed, st.Op+" "+st.URN[strings.LastIndex(st.URN, "::")+2:])
		if st.Op == "update" && (st.Type != "aws:sfn/stateMachine:StateMachine" || !slices.Equal(st.Diffs, []string{"loggingConfiguration"})) {
			t.Errorf("logs off: update of %s %v, want only the state machines' loggingConfiguration", st.URN, st.Diffs)
		}
	}
	var want []string
	for _, svc := range sharedServices {
		want = append(want, "update "+svc+"-state-machine", "delete "+svc+"-state-machine-logs", "delete "+svc+"-state-machine-logs-policy",
			"delete "+svc+"-fast-fails")
	}
	slices.Sort(changed)
	slices.Sort(want)
	if !slices.Equal(changed, want) {
		t.Errorf("logs off changed %v, want %v", changed, want)
	}
	at := func(op, name string) int {
		for i, j := range journal {
			if j.Op == op && strings.HasSuffix(j.URN, "::"+name) {
				return i
			}
		}
		return -1
	}
	for _, svc := range sharedServices {
		update := at("update", svc+"-state-machine")
		// The metric filter goes before its log group.
		if filter, logs := at("delete", svc+"-fast-fails"), at("delete", svc+"-state-machine-logs"); journal != nil && (filter < 0 || filter > logs) {
			t.Errorf("stand-in journal: %s deleted at %d, its log group at %d; the filter must go first", svc+"-fast-fails", filter, logs)
		}
		for _, gone := range []string{svc + "-state-machine-logs", svc + "-state-machine-logs-policy"} {
			// In fidelity mode (journal nil) checkLogsOffOrder reads the order from moto's call log.
			if del := at("delete", gone); journal != nil && (update < 0 || del < 0 || del < update) {
				t.Errorf("stand-in journal: %s deleted at %d, state machine updated at %d; the state machine must stop logging first", gone, del, update)
			}
		}
		sm := byName[svc+"-state-machine"]
		if logs, _ := sm.Inputs["loggingConfiguration"].(map[string]any); logs["level"] != "OFF" {
			t.Errorf("%s: loggingConfiguration %v after logs off, want level OFF sent", svc, sm.Inputs["loggingConfiguration"])
		}
	}
	if r.PreviewAfterLogsOff == nil {
		t.Fatal("no preview after logs off")
	}
	noChanges("preview after logs off", *r.PreviewAfterLogsOff)
	// failureThreshold changed: exactly the two definitions update.
	if p := r.PreviewDefinitionChanged; p == nil {
		t.Error("no preview with failureThreshold changed")
	} else {
		var defs []string
		for _, st := range p.Steps {
			if st.Op == "same" {
				continue
			}
			defs = append(defs, st.URN[strings.LastIndex(st.URN, "::")+2:])
			if st.Type != "aws:sfn/stateMachine:StateMachine" || st.Op != "update" || !slices.Equal(st.Diffs, []string{"definition"}) {
				t.Errorf("failureThreshold changed: %s %s %v, want only the state machines' definitions", st.Op, st.URN, st.Diffs)
			}
		}
		if len(defs) != len(sharedServices) {
			t.Errorf("failureThreshold changed %v, want both state machines", defs)
		}
	}
	if len(r.Destroy.Summary) != 1 || r.Destroy.Summary["delete"] != r.Up.Summary["create"]-len(want)+len(sharedServices) {
		t.Errorf("destroy %v after logs off, want delete of the %d created less the %d logging resources", r.Destroy.Summary, r.Up.Summary["create"], len(want)-len(sharedServices))
	}
}

// checkScheduleOnlyChanged: changing healthcheckSchedule touches only the two
// schedules, each in its scheduleExpression.
func checkScheduleOnlyChanged(t *testing.T, p preview) {
	var changed []string
	for _, st := range p.Steps {
		if st.Op == "same" {
			continue
		}
		changed = append(changed, st.URN)
		if st.Type != "aws:scheduler/schedule:Schedule" || st.Op != "update" || strings.Join(st.Diffs, ",") != "scheduleExpression" {
			t.Errorf("changing healthcheckSchedule: %s %s %v, want only the schedules' scheduleExpression", st.Op, st.URN, st.Diffs)
		}
	}
	if len(changed) != len(sharedServices) {
		t.Errorf("changing healthcheckSchedule changed %v, want the two schedules", changed)
	}
}
