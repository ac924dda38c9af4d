//go:build engine

package engine

// The Pulumi YAML example (examples/yaml) as a real project: the CLI's own
// commands (stack init, preview, up, stack output, stack export, config set,
// destroy) in the project's directory, with the Pulumi YAML language host
// (bin/pulumi-language-yaml, built from Go modules by `make yaml-host`)
// running the program. The other engine tests run Automation API inline
// programs, which bypass a language host altogether (the program runs in the
// driver's process and the CLI gets --client); here the engine starts the
// host, asks it which packages the program needs (GetRequiredPackages, from
// Pulumi.yaml), resolves those plugins from the private Pulumi home, and the
// host type-checks the program against our schema (and the aws schema it
// references) before it registers anything.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/fakes/standinaws"
)

// yamlEnv is the engine environment for a YAML project. The yaml host is a
// "bundled" language plugin: `pulumi plugin install language yaml` refuses
// it, and with PULUMI_IGNORE_AMBIENT_PLUGINS set the engine looks for it
// only next to the CLI's (symlink-resolved) executable, so it refuses with
// "no language plugin 'pulumi-language-yaml' found in the workspace" when
// bin/pulumi is a link to an installed CLI. This test alone therefore unsets
// PULUMI_IGNORE_AMBIENT_PLUGINS and puts the host on PATH, in a directory of
// its own, and takes the repository's bin/ off PATH, so that ambient lookup
// can find the language host and no resource plugin: the circuitbreaker and
// aws plugins must still come from PULUMI_HOME, which the test checks.
func yamlEnv(t *testing.T, e *engineEnv) []string {
	t.Helper()
	host := path("bin", "pulumi-language-yaml")
	need(t, host, "the Pulumi YAML language host (make yaml-host)")
	hostDir := filepath.Join(e.dir, "language-host")
	if err := os.MkdirAll(hostDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(host, filepath.Join(hostDir, "pulumi-language-yaml")); err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, kv := range e.environ() {
		switch {
		case strings.HasPrefix(kv, "PULUMI_IGNORE_AMBIENT_PLUGINS="):
			continue
		case strings.HasPrefix(kv, "PATH="):
			dirs := []string{hostDir}
			for _, d := range filepath.SplitList(strings.TrimPrefix(kv, "PATH=")) {
				if filepath.Clean(d) != path("bin") {
					dirs = append(dirs, d)
				}
			}
			for _, d := range dirs {
				for _, p := range []string{"pulumi-resource-circuitbreaker", "pulumi-resource-aws"} {
					if _, err := os.Stat(filepath.Join(d, p)); err == nil {
						t.Fatalf("%s is on PATH (%s): with ambient plugins allowed the engine would use it instead of the installed plugin", p, d)
					}
				}
			}
			kv = "PATH=" + strings.Join(dirs, string(os.PathListSeparator))
		}
		env = append(env, kv)
	}
	return env
}

// yamlProject copies examples/yaml into the test's directory: the CLI writes
// the stack's config file (Pulumi.<stack>.yaml, with the passphrase's salt)
// next to Pulumi.yaml, which must not land in the repository.
func yamlProject(t *testing.T, e *engineEnv, name string) string {
	t.Helper()
	dst := filepath.Join(e.dir, name)
	if err := os.CopyFS(dst, os.DirFS(path("examples", "yaml"))); err != nil {
		t.Fatal(err)
	}
	return dst
}

// cli runs bin/pulumi in the project directory and returns its stdout; it
// fails the test with stderr unless the exit status is wantErr's.
type cli struct {
	t   *testing.T
	ctx context.Context
	dir string
	env []string
}

func (c cli) run(wantErr bool, args ...string) []byte {
	c.t.Helper()
	cmd := exec.CommandContext(c.ctx, path("bin", "pulumi"), append(args, "--non-interactive")...)
	cmd.Dir, cmd.Env = c.dir, c.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if (err != nil) != wantErr {
		c.t.Fatalf("pulumi %s: %v (want failure: %v)\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, wantErr, stdout.Bytes(), stderr.Bytes())
	}
	return stdout.Bytes()
}

// cliPreview is `pulumi preview --json`'s digest (pkg/v3/display.PreviewDigest),
// turned into the report's preview so that checkPreviews applies as is.
func cliPreview(t *testing.T, out []byte) preview {
	t.Helper()
	var d struct {
		ChangeSummary map[string]int `json:"changeSummary"`
		Steps         []struct {
			Op       string `json:"op"`
			URN      string `json:"urn"`
			NewState *struct {
				Type string `json:"type"`
			} `json:"newState"`
			OldState *struct {
				Type string `json:"type"`
			} `json:"oldState"`
			DiffReasons []string `json:"diffReasons"`
		} `json:"steps"`
		Diagnostics []diagnostic `json:"diagnostics"`
	}
	if err := json.Unmarshal(out, &d); err != nil {
		t.Fatalf("pulumi preview --json: %v\n%s", err, out)
	}
	p := preview{ChangeSummary: d.ChangeSummary, Diagnostics: d.Diagnostics}
	for _, s := range d.Steps {
		st := struct {
			URN   string   `json:"urn"`
			Type  string   `json:"type"`
			Op    string   `json:"op"`
			Diffs []string `json:"diffs"`
		}{URN: s.URN, Op: s.Op, Diffs: s.DiffReasons}
		if s.NewState != nil {
			st.Type = s.NewState.Type
		} else if s.OldState != nil {
			st.Type = s.OldState.Type
		}
		p.Steps = append(p.Steps, st)
	}
	return p
}

// cliSummary reads the summary event of `pulumi up/destroy --json`'s event stream.
func cliSummary(t *testing.T, out []byte) map[string]int {
	t.Helper()
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var ev struct {
			SummaryEvent *struct {
				ResourceChanges map[string]int `json:"resourceChanges"`
			} `json:"summaryEvent"`
		}
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("event stream: %v: %s", err, sc.Text())
		}
		if ev.SummaryEvent != nil {
			return ev.SummaryEvent.ResourceChanges
		}
	}
	t.Fatalf("no summary event in:\n%s", out)
	return nil
}

// TestYAMLProjectThroughEngine: examples/yaml previewed, deployed, previewed
// again with no changes (--expect-no-changes), previewed with the project's
// config changed, and destroyed, with the same checks on the state and the
// fake cloud as the inline programs, plus what only a language host shows.
func TestYAMLProjectThroughEngine(t *testing.T) {
	t.Parallel()
	e := newEngineEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), stackTimeout())
	defer cancel()
	c := cli{t: t, ctx: ctx, dir: yamlProject(t, e, "project"), env: yamlEnv(t, e)}
	var m *moto
	if fidelity != nil {
		m = startMoto(t, e.dir)
		c.env = append(c.env, m.environ(e.dir)...)
	}
	start := time.Now()

	var r report
	r.Language = "yaml"
	c.run(false, "stack", "init", "engine-test")
	if fidelity == nil {
		// A Region other than us-east-1 (refresh_test.go).
		c.run(false, "config", "set", "aws:region", otherRegion)
	}
	c.hook("previewFresh", nil)
	r.PreviewFresh = cliPreview(t, c.run(false, "preview", "--json"))
	// --skip-preview: the fresh preview above is the one a user reads, and
	// the Construct count stays that of the Automation API tests' up.
	c.hook("up", nil)
	r.Up.Summary = cliSummary(t, c.run(false, "up", "--yes", "--skip-preview", "--json"))
	outputs := map[string]any{}
	if err := json.Unmarshal(c.run(false, "stack", "output", "--json"), &outputs); err != nil {
		t.Fatal(err)
	}
	c.hook("deployed", outputs)
	var exported struct {
		Deployment struct {
			Resources []stateResource `json:"resources"`
		} `json:"deployment"`
	}
	if err := json.Unmarshal(c.run(false, "stack", "export"), &exported); err != nil {
		t.Fatal(err)
	}
	r.Deployment.Resources = exported.Deployment.Resources
	// The engine itself refuses (exit 1) a preview with any change.
	c.hook("previewAgain", nil)
	r.PreviewAgain = cliPreview(t, c.run(false, "preview", "--json", "--expect-no-changes"))
	var refreshed []byte
	if fidelity == nil {
		// Refresh, then a preview that must change nothing (refresh_test.go).
		c.hook("refresh", nil)
		summary := cliSummary(t, c.run(false, "refresh", "--yes", "--skip-preview", "--json"))
		after := cliPreview(t, c.run(false, "preview", "--json", "--expect-no-changes"))
		var err error
		refreshed, err = json.Marshal(map[string]any{"refresh": map[string]any{"summary": summary}, "previewAfterRefresh": after})
		if err != nil {
			t.Fatal(err)
		}
	}
	c.run(false, "config", "set", "healthcheckSchedule", changedSchedule)
	c.hook("previewChanged", nil)
	r.PreviewChanged = cliPreview(t, c.run(false, "preview", "--json"))
	c.hook("destroy", nil)
	r.Destroy.Summary = cliSummary(t, c.run(false, "destroy", "--yes", "--skip-preview", "--json"))
	c.run(false, "stack", "rm", "--yes")
	t.Logf("yaml: stack init, preview, up, preview, refresh, preview, config set, preview, destroy through the CLI in %s", time.Since(start).Round(time.Millisecond))

	s := index(t, r.Deployment.Resources)
	t.Run("construct", func(t *testing.T) { checkConstruct(t, e.grpcLog, s, refreshedPreviews()) })
	if fidelity == nil {
		t.Run("refresh", func(t *testing.T) { checkRefresh(t, refreshed) })
		t.Run("region", func(t *testing.T) { checkRegion(t, otherRegion, outputs, s) })
	}
	t.Run("children", func(t *testing.T) { checkChildren(t, s) })
	t.Run("outputs", func(t *testing.T) { checkYAMLOutputs(t, r, outputs, s) })
	t.Run("previews", func(t *testing.T) {
		checkPreviews(t, r, s)
		if m != nil {
			// The fidelity bridge logs its schema generation's complaints
			// (every unmapped Terraform resource) as errors when the yaml
			// host asks for the aws schema: not the template's.
			return
		}
		for _, d := range r.PreviewFresh.Diagnostics {
			if d.Severity == "warning" || strings.Contains(d.Severity, "err") {
				t.Errorf("fresh preview %s: %s", d.Severity, d.Message)
			}
		}
	})
	t.Run("language-host", func(t *testing.T) { checkLanguageHost(t, e.grpcLog, refreshedPreviews()) })
	if m != nil {
		checkFidelity(t, m, 1)
		return
	}
	t.Run("stand-in", func(t *testing.T) { checkCloud(t, r, s, e.cloud) })
}

// hook runs the fidelity hook (dev/tests/fidelity/hook) before a step, as the
// drivers do: it marks the phase in moto's call log and, at "deployed", runs
// the deployed state machine's closed path in moto. Without fidelity mode
// there is no hook.
func (c cli) hook(phase string, outputs map[string]any) {
	c.t.Helper()
	if fidelity == nil {
		return
	}
	cmd := exec.CommandContext(c.ctx, fidelity.path("bin", "hook"), phase)
	cmd.Env = c.env
	if outputs != nil {
		b, err := json.Marshal(outputs)
		if err != nil {
			c.t.Fatal(err)
		}
		f := filepath.Join(c.t.TempDir(), "outputs.json")
		if err := os.WriteFile(f, b, 0o644); err != nil {
			c.t.Fatal(err)
		}
		cmd.Env = append(cmd.Env, "CIRCUITBREAKER_ENGINE_OUTPUTS="+f)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		c.t.Fatalf("hook %s: %v\n%s", phase, err, out)
	}
}

// checkYAMLOutputs: the template's outputs are the component's, plain
// strings (`pulumi stack output --json` prints a secret as "[secret]"), and
// up created and destroy deleted every resource, the stack and the component.
func checkYAMLOutputs(t *testing.T, r report, outputs map[string]any, s state) {
	want := map[string]string{
		"stateMachineArn":  s.component.out("stateMachineArn"),
		"stateMachineName": s.component.out("stateMachineName"),
		"alarmTopicArn":    s.component.out("topicArn"),
		"tableName":        s.component.out("tableName"),
	}
	for k, v := range want {
		got, ok := outputs[k].(string)
		if !ok || got != v || v == "" {
			t.Errorf("stack output %s = %#v, want the string %q", k, outputs[k], v)
		}
	}
	if len(outputs) != len(want) {
		t.Errorf("stack outputs %v, want exactly %v", keys(outputs), keys(want))
	}
	managed := len(s.managed()) + 2
	if r.Up.Summary["create"] != managed || len(r.Up.Summary) != 1 {
		t.Errorf("up summary %v, want create=%d only", r.Up.Summary, managed)
	}
	if r.Destroy.Summary["delete"] != managed || len(r.Destroy.Summary) != 1 {
		t.Errorf("destroy summary %v, want delete=%d only", r.Destroy.Summary, managed)
	}
}

// checkLanguageHost: what the engine's gRPC log (PULUMI_DEBUG_GRPC) shows of
// the yaml host: it named the packages the engine then resolved, with the
// breaker at the schema's version (Pulumi.yaml pins it), and it ran the
// program once per preview and update, with the project's config and the
// stack's own value after `pulumi config set`; extraPreviews are those beyond
// the three (the one after a refresh).
func checkLanguageHost(t *testing.T, grpcLog string, extraPreviews ...int) {
	version, err := schemaVersion()
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(grpcLog)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := json.NewDecoder(bufio.NewReaderSize(f, 1<<20))
	project := projectName(t, "yaml")
	var required, dryRuns, updates int
	var configs []string
	for {
		var entry struct {
			Method   string `json:"method"`
			Progress string `json:"progress"`
			Metadata struct {
				Kind    string `json:"kind"`
				Runtime string `json:"runtime"`
			} `json:"metadata"`
			Request struct {
				Project string            `json:"project"`
				DryRun  bool              `json:"dryRun"`
				Config  map[string]string `json:"config"`
			} `json:"request"`
			Response struct {
				Packages []struct {
					Name    string `json:"name"`
					Kind    string `json:"kind"`
					Version string `json:"version"`
				} `json:"packages"`
			} `json:"response"`
			Errors []string `json:"errors"`
		}
		if err := dec.Decode(&entry); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("gRPC log: %v", err)
		}
		if !strings.HasPrefix(entry.Method, "/pulumirpc.LanguageRuntime/") || entry.Progress != "response_completed" {
			continue
		}
		if entry.Metadata.Kind != "language" || entry.Metadata.Runtime != "yaml" {
			t.Errorf("%s answered by %s %s, want the yaml language host", entry.Method, entry.Metadata.Kind, entry.Metadata.Runtime)
		}
		switch entry.Method {
		case "/pulumirpc.LanguageRuntime/GetRequiredPackages":
			required++
			pkgs := map[string]string{}
			for _, p := range entry.Response.Packages {
				if p.Kind != "resource" {
					t.Errorf("required package %s is a %s plugin", p.Name, p.Kind)
				}
				pkgs[p.Name] = p.Version
			}
			if v, ok := pkgs["circuitbreaker"]; !ok || v != version {
				t.Errorf("the yaml host required %v, want circuitbreaker at the schema's version %s", pkgs, version)
			}
			if _, ok := pkgs["aws"]; !ok || len(pkgs) != 2 {
				t.Errorf("the yaml host required %v, want exactly aws and circuitbreaker", pkgs)
			}
		case "/pulumirpc.LanguageRuntime/Run":
			if len(entry.Errors) != 0 || entry.Request.Project != project {
				t.Errorf("Run of %s: %v", entry.Request.Project, entry.Errors)
			}
			if entry.Request.DryRun {
				dryRuns++
			} else {
				updates++
			}
			configs = append(configs, entry.Request.Config[project+":healthcheckSchedule"])
		}
	}
	if required == 0 {
		t.Error("the engine never asked the yaml host for the program's packages")
	}
	// preview, up, preview, (refresh, which runs no program, preview,)
	// preview with the schedule changed.
	previews := 3
	for _, n := range extraPreviews {
		previews += n
	}
	if dryRuns != previews || updates != 1 {
		t.Errorf("the yaml host ran the program in %d previews and %d updates, want %d and 1", dryRuns, updates, previews)
	}
	want := []string{"rate(1 minute)", "rate(1 minute)", "rate(1 minute)"}
	for i := 3; i < previews; i++ {
		want = append(want, "rate(1 minute)")
	}
	want = append(want, changedSchedule)
	if strings.Join(configs, "|") != strings.Join(want, "|") {
		t.Errorf("config healthcheckSchedule per run %q, want %q (the project's default, then the stack's value)", configs, want)
	}
}

// TestYAMLTypeChecksAgainstSchema: the yaml host checks a template against
// the plugin's schema (and the aws schema it references) before it registers
// anything, and says which line and property is wrong. The inline programs
// have only their languages' compilers for that, and Go and Python none at
// run time.
func TestYAMLTypeChecksAgainstSchema(t *testing.T) {
	t.Parallel()
	e := newEngineEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), stackTimeout())
	defer cancel()
	env := yamlEnv(t, e)
	if fidelity != nil {
		// The bridge needs only the Terraform provider to serve its schema: a
		// refused template reaches no AWS endpoint.
		env = append(env, "FIDELITY_TF_PROVIDER="+fidelity.path("run", "terraform-provider-aws"))
	}
	for _, tc := range []struct {
		name, from, to string
		want           []string
	}{
		{
			name: "misspelled-input",
			from: "      serviceName: payments\n",
			to:   "      serviceName: payments\n      healthcheckShedule: rate(2 minutes)\n",
			want: []string{"Property healthcheckShedule does not exist on 'circuitbreaker:index:CircuitBreaker'", "Existing properties are: healthcheckSchedule"},
		},
		{
			name: "wrong-type",
			from: "      serviceName: payments\n",
			to:   "      serviceName: payments\n      failureThreshold: many\n",
			want: []string{"failureThreshold: Cannot assign type 'string' to type 'integer'"},
		},
		{
			// The schema's $ref to the aws type, resolved through the engine's
			// schema loader to the aws plugin's schema.
			name: "not-a-function",
			from: "      downstreamFunction: ${payments}\n",
			to:   "      downstreamFunction: ${payments-fn}\n",
			want: []string{"downstreamFunction: Cannot assign 'aws:iam/role:Role' to 'aws:lambda/function:Function'"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := yamlProject(t, e, tc.name)
			file := filepath.Join(dir, "Pulumi.yaml")
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Count(string(b), tc.from) != 1 {
				t.Fatalf("examples/yaml/Pulumi.yaml no longer has exactly one %q", tc.from)
			}
			if err := os.WriteFile(file, []byte(strings.Replace(string(b), tc.from, tc.to, 1)), 0o644); err != nil {
				t.Fatal(err)
			}
			c := cli{t: t, ctx: ctx, dir: dir, env: env}
			c.run(false, "stack", "init", tc.name)
			p := cliPreview(t, c.run(true, "preview", "--json"))
			var msgs strings.Builder
			for _, d := range p.Diagnostics {
				msgs.WriteString(d.Message)
			}
			for _, w := range tc.want {
				if !strings.Contains(msgs.String(), w) {
					t.Errorf("preview diagnostics do not say %q:\n%s", w, msgs.String())
				}
			}
			// Refused before the program registered anything but its stack.
			for _, st := range p.Steps {
				if st.Type != "pulumi:pulumi:Stack" {
					t.Errorf("the refused preview planned %s %s", st.Op, st.URN)
				}
			}
		})
	}
	// The breaker was never constructed and the fake cloud saw nothing.
	if b, err := os.ReadFile(e.grpcLog); err == nil && bytes.Contains(b, []byte("/pulumirpc.ResourceProvider/Construct")) {
		t.Error("the engine called Construct for a template the yaml host refused")
	}
	journal, err := standinaws.ReadJournal(e.cloud)
	if err != nil {
		t.Fatal(err)
	}
	if len(journal) != 0 {
		t.Errorf("the stand-in journaled %d operations for refused previews", len(journal))
	}
}
