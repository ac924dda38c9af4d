//go:build engine

// Package engine runs the examples' stacks in TypeScript, Python and Go through
// the real Pulumi engine (the CLI built from Go modules, bin/pulumi) with the
// real provider plugin (bin/pulumi-resource-circuitbreaker) and the test-only
// stand-in for the aws plugin (bin/standin/pulumi-resource-aws, package
// dev/fakes/standinaws), on a throwaway local backend, and checks what the
// engine did.
//
// Each language runs its example as an Automation API inline program (the
// language hosts cannot be had here; inline programs need only the CLI): a
// driver per language (drivers/driver.js, drivers/driver.py, and the example's
// own examples/go/main_test.go) previews a fresh stack, deploys it, previews
// again, previews with one input changed, exports the state and destroys, then
// writes a JSON report. The checks on the reports are the same for every
// language. `make engine-deps` (a prerequisite of `make test`) builds what the
// tests need; without it they fail and say so.
package engine

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/fakes/standinaws"
	"gopkg.in/yaml.v3"
)

// changedSchedule is the healthcheckSchedule the "one input changed" preview
// sets; the examples default to rate(1 minute).
const changedSchedule = "rate(5 minutes)"

const componentType = "circuitbreaker:index:CircuitBreaker"

// repo is the repository root (go test runs in the package directory).
var repo = func() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", "..", ".."))
}()

func path(parts ...string) string { return filepath.Join(append([]string{repo}, parts...)...) }

// need fails the test, naming the make target, when a built piece is missing:
// the engine tests are part of `make test`, so a missing piece is a broken
// build, not a reason to skip.
func need(t *testing.T, p, what string) {
	t.Helper()
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%s (%s) is missing: run `make engine-deps` (or `make test`, which builds it)", what, p)
	}
}

// language is one of the three stacks: how to run its driver and what type
// its outputs come back as.
type language struct {
	name       string
	example    string // directory under examples/
	outputType string // the language's own name for a string output value
	needs      [][2]string
	command    func() (dir string, args []string)
}

var languages = map[string]language{
	"typescript": {
		name: "typescript", example: "ts", outputType: "string",
		needs: [][2]string{
			{path("examples", "ts", "node_modules", "@pulumi-circuitbreaker", "circuitbreaker", "package.json"), "the TypeScript example's dependencies with the built SDK"},
			{path("examples", "ts", "bin", "index.js"), "the compiled TypeScript example"},
		},
		command: func() (string, []string) {
			return path("examples", "ts"), []string{"node", path("dev", "tests", "engine", "drivers", "driver.js")}
		},
	},
	"python": {
		name: "python", example: "python", outputType: "str",
		needs: [][2]string{{venvPython(), "the Python virtualenv with the SDK"}},
		command: func() (string, []string) {
			return path("examples", "python"), []string{venvPython(), path("dev", "tests", "engine", "drivers", "driver.py")}
		},
	},
	"go": {
		name: "go", example: "go", outputType: "string",
		command: func() (string, []string) {
			return path("examples", "go"), []string{"go", "test", "-count=1", "-run", "^TestEngine$", "."}
		},
	},
}

func venvPython() string { return path("bin", "venv", "bin", "python") }

func TestTypeScriptStackThroughEngine(t *testing.T) { runStack(t, languages["typescript"]) }
func TestPythonStackThroughEngine(t *testing.T)     { runStack(t, languages["python"]) }
func TestGoStackThroughEngine(t *testing.T)         { runStack(t, languages["go"]) }

// plugins are the two plugin tarballs, made once per test binary.
var plugins struct {
	once            sync.Once
	dir             string
	err             error
	breaker, awsTar string
	version         string
}

func pluginTarballs(t *testing.T) (breaker, aws, version string) {
	t.Helper()
	need(t, path("bin", "pulumi"), "the Pulumi CLI")
	need(t, path("bin", "pulumi-resource-circuitbreaker"), "the provider plugin")
	awsBin, _ := awsPlugin()
	need(t, awsBin, "the aws plugin (the test-only stand-in, or in fidelity mode the bridged Terraform provider)")
	plugins.once.Do(func() {
		plugins.dir, plugins.err = os.MkdirTemp("", "circuitbreaker-engine-plugins-")
		if plugins.err != nil {
			return
		}
		plugins.breaker = filepath.Join(plugins.dir, "circuitbreaker.tar.gz")
		plugins.awsTar = filepath.Join(plugins.dir, "aws.tar.gz")
		if plugins.err = tarball(plugins.breaker, path("bin", "pulumi-resource-circuitbreaker")); plugins.err != nil {
			return
		}
		if plugins.err = tarball(plugins.awsTar, awsBin); plugins.err != nil {
			return
		}
		plugins.version, plugins.err = schemaVersion()
	})
	if plugins.err != nil {
		t.Fatal(plugins.err)
	}
	return plugins.breaker, plugins.awsTar, plugins.version
}

func TestMain(m *testing.M) {
	code := m.Run()
	if plugins.dir != "" {
		os.RemoveAll(plugins.dir)
	}
	os.Exit(code)
}

// schemaVersion is the package version the SDKs ask the engine for.
func schemaVersion() (string, error) {
	b, err := os.ReadFile(path("schema.yaml"))
	if err != nil {
		return "", err
	}
	var s struct{ Version string }
	if err := yaml.Unmarshal(b, &s); err != nil {
		return "", err
	}
	return s.Version, nil
}

// tarball packs one plugin binary the way `pulumi plugin install -f` takes it.
func tarball(dst, bin string) error {
	f, err := os.Create(dst)
	if err != nil {
		return err
	}
	defer f.Close()
	gz := gzip.NewWriter(f)
	tw := tar.NewWriter(gz)
	src, err := os.Open(bin)
	if err != nil {
		return err
	}
	defer src.Close()
	st, err := src.Stat()
	if err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Name: filepath.Base(bin), Mode: 0o755, Size: st.Size(), ModTime: st.ModTime()}); err != nil {
		return err
	}
	if _, err := io.Copy(tw, src); err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := gz.Close(); err != nil {
		return err
	}
	return f.Close()
}

// engineEnv is a private Pulumi home with both plugins installed (so the
// engine never looks for a download), a local file backend and a fake cloud.
type engineEnv struct {
	dir, home, backend, cloud, grpcLog, tmp string
}

func newEngineEnv(t *testing.T) *engineEnv {
	t.Helper()
	breaker, aws, version := pluginTarballs(t)
	dir := t.TempDir()
	e := &engineEnv{
		dir:     dir,
		home:    filepath.Join(dir, "home"),
		backend: filepath.Join(dir, "state"),
		cloud:   filepath.Join(dir, "cloud"),
		grpcLog: filepath.Join(dir, "grpc.log"),
		tmp:     filepath.Join(dir, "tmp"),
	}
	for _, d := range []string{e.home, e.backend, e.cloud, e.tmp} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	awsVersion := standinaws.Version
	if fidelity != nil {
		awsVersion = fidelityVersion
	}
	for _, p := range [][3]string{{"circuitbreaker", version, breaker}, {"aws", awsVersion, aws}} {
		out, err := e.command(context.Background(), dir, path("bin", "pulumi"), "plugin", "install", "resource", p[0], p[1], "-f", p[2]).CombinedOutput()
		if err != nil {
			t.Fatalf("pulumi plugin install %s %s: %v\n%s", p[0], p[1], err, out)
		}
	}
	return e
}

// environ is the process environment for the CLI and the drivers: only this
// test's Pulumi settings (a developer's own login, tokens or backend never
// leak in), the repository's bin/ first on PATH for the CLI.
func (e *engineEnv) environ() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PULUMI_") || strings.HasPrefix(kv, "CIRCUITBREAKER_") || strings.HasPrefix(kv, "AWS_") || strings.HasPrefix(kv, "TMPDIR=") {
			continue
		}
		if strings.HasPrefix(kv, "PATH=") {
			kv = "PATH=" + path("bin") + string(os.PathListSeparator) + strings.TrimPrefix(kv, "PATH=")
		}
		env = append(env, kv)
	}
	return append(env,
		"PULUMI_HOME="+e.home,
		"PULUMI_BACKEND_URL=file://"+e.backend,
		"PULUMI_CONFIG_PASSPHRASE=engine-test",
		"PULUMI_SKIP_UPDATE_CHECK=true",
		// A missing plugin fails at once instead of being downloaded.
		"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true",
		// bin/ is on PATH for the CLI; the plugins must come from PULUMI_HOME.
		"PULUMI_IGNORE_AMBIENT_PLUGINS=true",
		// Every gRPC call between engine, program and plugins, to see Construct.
		"PULUMI_DEBUG_GRPC="+e.grpcLog,
		standinaws.DirEnv+"="+e.cloud,
		// The Automation API's inline workspaces and the CLI's temporary files
		// go under the test's own directory, which the test removes.
		"TMPDIR="+e.tmp,
	)
}

// drive runs one driver (args, in dir) to the end with the common engine
// variables plus env, and returns its report and output. In fidelity mode it
// starts the stack's moto first and points everything at it (m is nil
// otherwise). what names the run in failures and in the log.
func (e *engineEnv) drive(t *testing.T, what, project, dir string, args, env []string) (b, out []byte, m *moto) {
	t.Helper()
	reportPath := filepath.Join(e.dir, "report.json")
	ctx, cancel := context.WithTimeout(context.Background(), stackTimeout())
	defer cancel()
	cmd := e.command(ctx, dir, args...)
	if fidelity != nil {
		m = startMoto(t, e.dir)
		cmd.Env = append(cmd.Env, m.environ(e.dir)...)
	}
	cmd.Env = append(cmd.Env,
		"CIRCUITBREAKER_ENGINE_PROJECT="+project,
		"CIRCUITBREAKER_ENGINE_STACK=engine-test",
		"CIRCUITBREAKER_ENGINE_REPORT="+reportPath,
		"CIRCUITBREAKER_ENGINE_SCHEDULE="+changedSchedule,
	)
	cmd.Env = append(cmd.Env, env...)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", what, err, out)
	}
	t.Logf("%s through the engine in %s", what, time.Since(start).Round(time.Millisecond))
	b, err = os.ReadFile(reportPath)
	if err != nil {
		t.Fatalf("%s wrote no report: %v\n%s", what, err, out)
	}
	return b, out, m
}

func (e *engineEnv) command(ctx context.Context, dir string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Dir = dir
	cmd.Env = e.environ()
	return cmd
}

// projectName reads the example's project name: its config keys live under it.
func projectName(t *testing.T, example string) string {
	t.Helper()
	b, err := os.ReadFile(path("examples", example, "Pulumi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var p struct{ Name string }
	if err := yaml.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	return p.Name
}

func runStack(t *testing.T, lang language) {
	t.Parallel()
	for _, n := range lang.needs {
		need(t, n[0], n[1])
	}
	e := newEngineEnv(t)
	dir, args := lang.command()
	b, _, m := e.drive(t, lang.name+" stack (preview, up, preview, refresh, preview, preview, destroy)", projectName(t, lang.example), dir, args,
		append([]string{"CIRCUITBREAKER_ENGINE_PROGRAM=" + programFor(lang)}, refreshEnv()...))
	var r report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	check(t, lang, r, e, m)
	t.Run("refresh", func(t *testing.T) { checkRefresh(t, b) })
}

func programFor(lang language) string {
	switch lang.name {
	case "typescript":
		return path("examples", "ts", "bin", "index.js")
	case "python":
		return path("examples", "python", "__main__.py")
	}
	return "" // the Go example's test runs its own program
}

// report is what every driver writes.
type report struct {
	Language       string  `json:"language"`
	PreviewFresh   preview `json:"previewFresh"`
	PreviewAgain   preview `json:"previewAgain"`
	PreviewChanged preview `json:"previewChanged"`
	Up             struct {
		Summary map[string]int `json:"summary"`
		Outputs map[string]struct {
			Value  any    `json:"value"`
			Type   string `json:"type"`
			Secret bool   `json:"secret"`
		} `json:"outputs"`
		Diagnostics []diagnostic `json:"diagnostics"`
	} `json:"up"`
	Deployment struct {
		Resources []stateResource `json:"resources"`
	} `json:"deployment"`
	Destroy struct {
		Summary map[string]int `json:"summary"`
	} `json:"destroy"`
}

type preview struct {
	ChangeSummary map[string]int `json:"changeSummary"`
	Steps         []struct {
		URN   string   `json:"urn"`
		Type  string   `json:"type"`
		Op    string   `json:"op"`
		Diffs []string `json:"diffs"`
	} `json:"steps"`
	Diagnostics []diagnostic `json:"diagnostics"`
}

type diagnostic struct {
	Severity string `json:"severity"`
	Message  string `json:"message"`
}

type stateResource struct {
	URN      string         `json:"urn"`
	Type     string         `json:"type"`
	Custom   bool           `json:"custom"`
	Parent   string         `json:"parent"`
	Provider string         `json:"provider"`
	Inputs   map[string]any `json:"inputs"`
	Outputs  map[string]any `json:"outputs"`
}

func (r stateResource) name() string { return r.URN[strings.LastIndex(r.URN, "::")+2:] }

func (r stateResource) out(k string) string { s, _ := r.Outputs[k].(string); return s }

// state indexes the exported deployment.
type state struct {
	all       []stateResource
	stack     stateResource
	component stateResource
	children  []stateResource
	user      map[string]stateResource // the program's own resources, by name
}

func index(t *testing.T, resources []stateResource) state {
	t.Helper()
	s := state{all: resources, user: map[string]stateResource{}}
	var components []stateResource
	for _, r := range resources {
		switch {
		case r.Type == "pulumi:pulumi:Stack":
			s.stack = r
		case r.Type == componentType:
			components = append(components, r)
		}
	}
	if s.stack.URN == "" || len(components) != 1 {
		t.Fatalf("state has no stack or not exactly one %s: %d", componentType, len(components))
	}
	s.component = components[0]
	for _, r := range resources {
		switch {
		case r.Parent == s.component.URN:
			s.children = append(s.children, r)
		case r.Parent == s.stack.URN && r.Custom:
			s.user[r.name()] = r
		}
	}
	return s
}

// childrenOf returns the component's children of one type.
func (s state) childrenOf(token string) []stateResource {
	var out []stateResource
	for _, c := range s.children {
		if c.Type == token {
			out = append(out, c)
		}
	}
	return out
}

// healthcheckSchedule is the breaker's schedule that runs the healthcheck (the
// other runs reconciliation).
func (s state) healthcheckSchedule(t *testing.T) stateResource {
	t.Helper()
	for _, c := range s.childrenOf("aws:scheduler/schedule:Schedule") {
		if strings.HasSuffix(c.name(), "-healthcheck") {
			return c
		}
	}
	t.Fatal("no healthcheck schedule among the breaker's children")
	return stateResource{}
}

func (s state) managed() map[string]bool {
	urns := map[string]bool{}
	for _, r := range s.all {
		if r.Custom && !strings.HasPrefix(r.Type, "pulumi:providers:") {
			urns[r.URN] = true
		}
	}
	return urns
}

func check(t *testing.T, lang language, r report, e *engineEnv, m *moto) {
	if r.Language != lang.name {
		t.Errorf("report is from %q, want %q", r.Language, lang.name)
	}
	s := index(t, r.Deployment.Resources)

	t.Run("construct", func(t *testing.T) { checkConstruct(t, e.grpcLog, s, refreshedPreviews()) })
	t.Run("children", func(t *testing.T) { checkChildren(t, s) })
	t.Run("outputs", func(t *testing.T) { checkOutputs(t, lang, r, s) })
	t.Run("previews", func(t *testing.T) { checkPreviews(t, r, s) })
	if m != nil {
		checkFidelity(t, m, 1)
		return
	}
	t.Run("stand-in", func(t *testing.T) { checkCloud(t, r, s, e.cloud) })
}

// checkConstruct: the engine called the plugin's Construct for the breaker,
// with the user's functions as resource references and the inputs as written,
// in the preview and in the update; extraPreviews are previews beyond the
// three every run makes (the one after a refresh).
func checkConstruct(t *testing.T, grpcLog string, s state, extraPreviews ...int) {
	f, err := os.Open(grpcLog)
	if err != nil {
		t.Fatalf("no gRPC log (PULUMI_DEBUG_GRPC): %v", err)
	}
	defer f.Close()
	dec := json.NewDecoder(bufio.NewReaderSize(f, 1<<20))
	var dryRuns, updates int
	for {
		var entry struct {
			Method   string `json:"method"`
			Progress string `json:"progress"`
			Response struct {
				URN string `json:"urn"`
			} `json:"response"`
			Request struct {
				Type   string         `json:"type"`
				Name   string         `json:"name"`
				DryRun bool           `json:"dryRun"`
				Parent string         `json:"parent"`
				Inputs map[string]any `json:"inputs"`
			} `json:"request"`
		}
		if err := dec.Decode(&entry); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("gRPC log: %v", err)
		}
		// Each call is logged when it starts and when it completes; count the
		// completed ones.
		if entry.Method != "/pulumirpc.ResourceProvider/Construct" || entry.Progress != "response_completed" {
			continue
		}
		if entry.Response.URN != s.component.URN {
			t.Errorf("Construct answered %q, want the component's URN %s", entry.Response.URN, s.component.URN)
		}
		req := entry.Request
		if req.Type != componentType || req.Name != "payments" || req.Parent != s.stack.URN {
			t.Errorf("Construct of %s %s under %s, want %s payments under the stack", req.Type, req.Name, req.Parent, componentType)
		}
		if req.DryRun {
			dryRuns++
		} else {
			updates++
		}
		for input, fn := range map[string]string{"downstreamFunction": "payments", "healthcheckFunction": "payments-health"} {
			ref, _ := req.Inputs[input].(map[string]any)
			if ref["urn"] != s.user[fn].URN {
				t.Errorf("Construct input %s = %v, want a reference to %s", input, req.Inputs[input], s.user[fn].URN)
			}
		}
		if req.Inputs["serviceName"] != "payments" {
			t.Errorf("Construct input serviceName = %v", req.Inputs["serviceName"])
		}
	}
	// Three previews (fresh, again, changed; Automation API's up does not
	// preview first), any extra ones, and one update; a refresh runs no
	// program.
	previews := 3
	for _, n := range extraPreviews {
		previews += n
	}
	if dryRuns != previews || updates != 1 {
		t.Errorf("engine called Construct %d times in previews and %d in updates, want %d and 1", dryRuns, updates, previews)
	}
}

// checkChildren: the breaker's children are in the state under it, created by
// the aws provider, and wired to the user's functions and inputs.
func checkChildren(t *testing.T, s state) {
	if s.component.Custom || s.component.Parent != s.stack.URN || s.component.name() != "payments" {
		t.Errorf("component %s: custom=%v parent=%s", s.component.URN, s.component.Custom, s.component.Parent)
	}
	if len(s.children) == 0 {
		t.Fatal("the breaker has no children in the state")
	}
	for _, c := range s.children {
		if !c.Custom || !strings.HasPrefix(c.Type, "aws:") || !strings.HasPrefix(c.Provider, "urn:") || !strings.Contains(c.Provider, "::pulumi:providers:aws::") {
			t.Errorf("child %s (%s): custom=%v provider=%s, want an aws resource", c.name(), c.Type, c.Custom, c.Provider)
		}
		if !strings.HasPrefix(c.name(), "payments-") {
			t.Errorf("child %s is not named after its breaker", c.name())
		}
	}
	for _, name := range []string{"payments", "payments-health"} {
		if fn, ok := s.user[name]; !ok || fn.Type != "aws:lambda/function:Function" {
			t.Fatalf("the program's function %s is not in the state under the stack", name)
		}
	}
	downstream, health := s.user["payments"], s.user["payments-health"]

	one := func(token string) stateResource {
		t.Helper()
		cs := s.childrenOf(token)
		if len(cs) != 1 {
			t.Fatalf("%d children of type %s, want 1", len(cs), token)
		}
		return cs[0]
	}
	comp := s.component
	sm := one("aws:sfn/stateMachine:StateMachine")
	table := one("aws:dynamodb/table:Table")
	topic := one("aws:sns/topic:Topic")
	// The healthcheck's schedule; the other one is reconciliation's.
	schedule := s.healthcheckSchedule(t)
	// The component's outputs are its children's.
	for _, c := range []struct{ output, child, prop string }{
		{"stateMachineArn", sm.out("arn"), "state machine arn"},
		{"stateMachineName", sm.out("name"), "state machine name"},
		{"tableName", table.out("name"), "table name"},
		{"tableArn", table.out("arn"), "table arn"},
		{"topicArn", topic.out("arn"), "topic arn"},
		{"scheduleArn", schedule.out("arn"), "schedule arn"},
	} {
		if got := comp.out(c.output); got == "" || got != c.child {
			t.Errorf("component output %s = %q, want the %s %q", c.output, got, c.prop, c.child)
		}
	}
	alarms := map[string]stateResource{}
	for _, a := range s.childrenOf("aws:cloudwatch/metricAlarm:MetricAlarm") {
		alarms[a.out("name")] = a
	}
	downAlarm, ok := alarms[comp.out("downstreamAlarmName")]
	if !ok {
		t.Errorf("downstreamAlarmName %q names no alarm child", comp.out("downstreamAlarmName"))
	}
	if _, ok := alarms[comp.out("healthcheckAlarmName")]; !ok {
		t.Errorf("healthcheckAlarmName %q names no alarm child", comp.out("healthcheckAlarmName"))
	}
	handlerFound := false
	for _, f := range s.childrenOf("aws:lambda/function:Function") {
		if f.out("arn") == comp.out("alarmHandlerArn") && f.out("name") == comp.out("alarmHandlerName") {
			handlerFound = true
		}
	}
	if !handlerFound {
		t.Errorf("alarmHandlerArn %q names no function child", comp.out("alarmHandlerArn"))
	}

	// Properties that come from the program: the referenced functions' ARNs,
	// the tags, the monitoring override and the schedule.
	if def, _ := sm.Inputs["definition"].(string); !strings.Contains(def, downstream.out("arn")) {
		t.Errorf("state machine definition does not invoke the downstream %s", downstream.out("arn"))
	}
	// The schedule runs the healthcheck through the healthcheck runner,
	// which is configured with the healthcheck's ARN.
	var runner *stateResource
	for _, f := range s.childrenOf("aws:lambda/function:Function") {
		if env, _ := f.Inputs["environment"].(map[string]any); env != nil {
			if vars, _ := env["variables"].(map[string]any); vars["HEALTHCHECK_FUNCTION_ARN"] == health.out("arn") {
				runner = &f
			}
		}
	}
	if runner == nil {
		t.Errorf("no function child is the healthcheck runner of %s", health.out("arn"))
	} else if target, _ := schedule.Inputs["target"].(map[string]any); target["arn"] != runner.out("arn") {
		t.Errorf("schedule target %v, want the healthcheck runner %s", schedule.Inputs["target"], runner.out("arn"))
	}
	if got := schedule.Inputs["scheduleExpression"]; got != "rate(1 minute)" {
		t.Errorf("schedule expression %v, want the default rate(1 minute)", got)
	}
	if tags, _ := table.Inputs["tags"].(map[string]any); tags["team"] != "checkout" {
		t.Errorf("table tags %v, want team=checkout", table.Inputs["tags"])
	}
	if got := downAlarm.Inputs["threshold"]; got != 5.0 {
		t.Errorf("downstream alarm threshold %v, want the program's 5", got)
	}
	if dims, _ := downAlarm.Inputs["dimensions"].(map[string]any); dims["FunctionName"] != downstream.out("name") {
		t.Errorf("downstream alarm dimensions %v, want FunctionName %s", downAlarm.Inputs["dimensions"], downstream.out("name"))
	}
	for name, r := range s.user {
		if r.Parent != s.stack.URN {
			t.Errorf("the program's %s is parented to %s, not the stack", name, r.Parent)
		}
	}
}

// checkOutputs: the stack outputs come back as the language's own strings,
// equal to the component's outputs in the state.
func checkOutputs(t *testing.T, lang language, r report, s state) {
	want := map[string]string{
		"stateMachineArn":  s.component.out("stateMachineArn"),
		"stateMachineName": s.component.out("stateMachineName"),
		"alarmTopicArn":    s.component.out("topicArn"),
		"tableName":        s.component.out("tableName"),
	}
	for k, v := range want {
		got, ok := r.Up.Outputs[k]
		switch {
		case !ok:
			t.Errorf("stack output %s missing", k)
		case got.Type != lang.outputType:
			t.Errorf("stack output %s came back as %s, want %s", k, got.Type, lang.outputType)
		case got.Value != v || v == "":
			t.Errorf("stack output %s = %v, want %q", k, got.Value, v)
		case got.Secret:
			t.Errorf("stack output %s is secret", k)
		}
	}
	if len(r.Up.Outputs) != len(want) {
		t.Errorf("stack outputs %v, want exactly %v", keys(r.Up.Outputs), keys(want))
	}
	managed := len(s.managed()) + 2 // plus the stack and the component
	if r.Up.Summary["create"] != managed || len(r.Up.Summary) != 1 {
		t.Errorf("up summary %v, want create=%d only", r.Up.Summary, managed)
	}
	if r.Destroy.Summary["delete"] != managed || len(r.Destroy.Summary) != 1 {
		t.Errorf("destroy summary %v, want delete=%d only", r.Destroy.Summary, managed)
	}
}

// checkPreviews: a second preview changes nothing (the PR-check use), and
// changing one input touches only the child that depends on it.
func checkPreviews(t *testing.T, r report, s state) {
	if r.PreviewFresh.ChangeSummary["create"] == 0 || len(r.PreviewFresh.ChangeSummary) != 1 {
		t.Errorf("fresh preview %v, want creates only", r.PreviewFresh.ChangeSummary)
	}
	if len(r.PreviewAgain.ChangeSummary) != 1 || r.PreviewAgain.ChangeSummary["same"] == 0 {
		t.Errorf("preview after up %v, want no changes", r.PreviewAgain.ChangeSummary)
	}
	for _, st := range r.PreviewAgain.Steps {
		if st.Op != "same" {
			t.Errorf("preview after up: %s %s %v", st.Op, st.URN, st.Diffs)
		}
	}
	schedule := s.healthcheckSchedule(t)
	var changed []string
	for _, st := range r.PreviewChanged.Steps {
		if st.Op == "same" {
			continue
		}
		changed = append(changed, st.Op+" "+st.URN)
		if st.URN != schedule.URN || st.Op != "update" || strings.Join(st.Diffs, ",") != "scheduleExpression" {
			t.Errorf("changing healthcheckSchedule: %s %s (diffs %v), want only an update of %s's scheduleExpression", st.Op, st.URN, st.Diffs, schedule.URN)
		}
	}
	if len(changed) != 1 {
		t.Errorf("changing healthcheckSchedule changed %v, want exactly the schedule", changed)
	}
	bannered := false
	for _, d := range r.PreviewFresh.Diagnostics {
		bannered = bannered || strings.Contains(d.Message, standinaws.Banner)
	}
	if !bannered && fidelity == nil {
		t.Errorf("the run does not say it used the stand-in aws plugin: %v", r.PreviewFresh.Diagnostics)
	}
}

// checkCloud: the stand-in created exactly the resources in the state, once,
// updated nothing (previews change nothing), and destroy deleted them all.
func checkCloud(t *testing.T, r report, s state, cloud string) {
	journal, err := standinaws.ReadJournal(cloud)
	if err != nil {
		t.Fatal(err)
	}
	ops := map[string][]string{}
	for _, j := range journal {
		ops[j.Op] = append(ops[j.Op], j.URN)
	}
	want := keys(s.managed())
	for _, op := range []string{"create", "delete"} {
		got := append([]string(nil), ops[op]...)
		sort.Strings(got)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("stand-in %ss:\n%s\nwant one per resource in the state:\n%s", op, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
	if len(ops["update"]) != 0 {
		t.Errorf("stand-in updates %v, want none", ops["update"])
	}
	left, err := standinaws.ReadCloud(cloud)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 0 {
		t.Errorf("%d resources left in the fake cloud after destroy", len(left))
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestTypeScriptExampleTypeChecks: the example compiles against the generated
// SDK's typings (tsc --noEmit), as a user's editor would check it.
func TestTypeScriptExampleTypeChecks(t *testing.T) {
	tsc := path("examples", "ts", "node_modules", ".bin", "tsc")
	need(t, tsc, "the TypeScript example's dependencies")
	cmd := exec.Command(tsc, "--noEmit", "-p", path("examples", "ts"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tsc --noEmit: %v\n%s", err, out)
	}
}

// TestPythonSDKImports: the installed Python SDK imports, carries its plugin
// metadata, and takes the schema's inputs as keyword arguments (checked on
// CircuitBreakerArgs: CircuitBreaker's own __init__ is an overload dispatcher).
func TestPythonSDKImports(t *testing.T) {
	need(t, venvPython(), "the Python virtualenv with the SDK")
	script := `
import inspect, json, importlib.resources as res
import pulumi_circuitbreaker as cb
meta = json.loads(res.files("pulumi_circuitbreaker").joinpath("pulumi-plugin.json").read_text())
params = list(inspect.signature(cb.CircuitBreakerArgs.__init__).parameters)
print(json.dumps({"meta": meta, "params": params, "monitoring": hasattr(cb, "MonitoringArgs"), "retry": hasattr(cb, "RetryArgs")}))
`
	out, err := exec.Command(venvPython(), "-c", script).Output()
	if err != nil {
		t.Fatalf("import pulumi_circuitbreaker: %v\n%s", err, out)
	}
	var got struct {
		Meta struct {
			Resource bool   `json:"resource"`
			Name     string `json:"name"`
			Version  string `json:"version"`
			Server   string `json:"server"`
		} `json:"meta"`
		Params     []string `json:"params"`
		Monitoring bool     `json:"monitoring"`
		Retry      bool     `json:"retry"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	version, err := schemaVersion()
	if err != nil {
		t.Fatal(err)
	}
	if !got.Meta.Resource || got.Meta.Name != "circuitbreaker" || got.Meta.Version != version || got.Meta.Server == "" {
		t.Errorf("pulumi-plugin.json %+v, want the circuitbreaker plugin %s with its download URL", got.Meta, version)
	}
	for _, p := range []string{"service_name", "downstream_function", "healthcheck_function", "healthcheck_schedule", "tags"} {
		if !slices.Contains(got.Params, p) {
			t.Errorf("CircuitBreakerArgs takes no %s: %v", p, got.Params)
		}
	}
	if !got.Monitoring || !got.Retry {
		t.Errorf("MonitoringArgs/RetryArgs missing: %s", out)
	}
}

// TestGoSDKAndExampleVet: the generated Go SDK and the Go example (their own
// modules, outside `go test ./...`) build and vet cleanly.
func TestGoSDKAndExampleVet(t *testing.T) {
	for _, dir := range []string{path("sdk"), path("examples", "go")} {
		cmd := exec.Command("go", "vet", "./...")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("go vet in %s: %v\n%s", dir, err, out)
		}
	}
}
