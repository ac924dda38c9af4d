//go:build engine

package engine

// Stacks on aws 7 (issue 8, "Stacks on today's aws provider"): users install
// @pulumi/aws and pulumi-aws 7.x today, while the breaker's own code stays on
// pulumi-aws sdk/v6. A TypeScript and a Python stack (dev/tests/engine/aws7/) create
// a function, an alias and a table on aws 7 and pass them to one breaker. The
// engine runs one default provider per aws version the program and the plugin
// ask for, so the stand-in is installed twice: as 6.83.4 and, linked with
// -X standinaws.Version (make standin-aws7), as 7.48.0. The state must show the
// user's resources on the aws 7 default provider and the breaker's children on
// the aws 6 one; a second preview changes nothing; destroy leaves nothing.

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/fakes/standinaws"
)

// aws7Version is the Makefile's AWS7_VERSION: the @pulumi/aws and pulumi-aws
// the aws 7 stacks pin (dev/tests/engine/aws7/ts/package.json,
// dev/tests/engine/aws7/python/requirements.txt).
const aws7Version = "7.48.0"

func TestTypeScriptAws7ThroughEngine(t *testing.T) {
	t.Parallel()
	dir := path("dev", "tests", "engine", "aws7", "ts")
	need(t, filepath.Join(dir, "bin", "index.js"), "the compiled aws 7 TypeScript stack")
	need(t, filepath.Join(dir, "node_modules", "@pulumi-circuitbreaker", "circuitbreaker", "package.json"), "the aws 7 TypeScript stack's dependencies")
	checkAws7(t, "typescript", dir, []string{"node", path("dev", "tests", "engine", "drivers", "driver.js")}, filepath.Join(dir, "bin", "index.js"))
}

func TestPythonAws7ThroughEngine(t *testing.T) {
	t.Parallel()
	py := path("bin", "venv-aws7", "bin", "python")
	need(t, py, "the aws 7 Python virtualenv")
	dir := path("dev", "tests", "engine", "aws7", "python")
	// pip accepts the SDK beside pulumi-aws 7: until the SDK allowed
	// pulumi-aws <8 it said "pulumi-circuitbreaker 0.1.0 has requirement
	// pulumi-aws<7.0.0,>=6.83.4, but you have pulumi-aws 7.48.0".
	if out, err := exec.Command(filepath.Join(filepath.Dir(py), "pip"), "check", "--disable-pip-version-check").CombinedOutput(); err != nil {
		t.Errorf("pip check in bin/venv-aws7: %v\n%s", err, out)
	}
	checkAws7(t, "python", dir, []string{py, path("dev", "tests", "engine", "drivers", "driver.py")}, filepath.Join(dir, "__main__.py"))
}

// TestAws7StacksPinTheMakefilesVersion: the pins and aws7Version agree, so
// that the plugin installed as 7.x is the one the stacks' SDKs ask for.
func TestAws7StacksPinTheMakefilesVersion(t *testing.T) {
	versions, err := os.ReadFile(path("versions.mk"))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^AWS7_VERSION\s*:=\s*` + regexp.QuoteMeta(aws7Version) + `\s*$`).Match(versions) {
		t.Errorf("versions.mk does not pin AWS7_VERSION := %s", aws7Version)
	}
	for _, f := range [][2]string{
		{path("dev", "tests", "engine", "aws7", "ts", "package.json"), `"@pulumi/aws": "` + aws7Version + `"`},
		{path("dev", "tests", "engine", "aws7", "python", "requirements.txt"), "pulumi-aws==" + aws7Version},
	} {
		b, err := os.ReadFile(f[0])
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), f[1]) {
			t.Errorf("%s does not pin %q", f[0], f[1])
		}
	}
}

func checkAws7(t *testing.T, lang, dir string, args []string, program string) {
	if fidelity != nil {
		t.Skip("the bridged Terraform provider is installed as aws 6 only")
	}
	standin7 := path("bin", "standin-aws7", "pulumi-resource-aws")
	need(t, standin7, "the stand-in linked as aws "+aws7Version)
	e := newEngineEnv(t)
	tar := filepath.Join(e.dir, "aws7.tar.gz")
	if err := tarball(tar, standin7); err != nil {
		t.Fatal(err)
	}
	if out, err := e.command(context.Background(), e.dir, path("bin", "pulumi"), "plugin", "install", "resource", "aws", aws7Version, "-f", tar).CombinedOutput(); err != nil {
		t.Fatalf("pulumi plugin install resource aws %s: %v\n%s", aws7Version, err, out)
	}

	b, _, _ := e.drive(t, lang+" aws 7 stack", "aws7", dir, args, []string{"CIRCUITBREAKER_ENGINE_PROGRAM=" + program})
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
	if len(r.Destroy.Summary) != 1 || r.Destroy.Summary["delete"] != r.Up.Summary["create"] {
		t.Errorf("destroy %v, want delete of all %d", r.Destroy.Summary, r.Up.Summary["create"])
	}

	// Each custom resource's provider reference ("<provider URN>::<id>")
	// names a default aws provider; its version input is the plugin's.
	providers := map[string]string{}
	byName := map[string]stateResource{}
	var breaker stateResource
	for _, res := range r.Deployment.Resources {
		if res.Type == "pulumi:providers:aws" {
			v, _ := res.Inputs["version"].(string)
			providers[res.URN+"::"+res.out("id")] = v
			if id, ok := res.Outputs["id"]; !ok || id == nil {
				providers[res.URN] = v
			}
			continue
		}
		byName[res.name()] = res
		if res.Type == componentType {
			breaker = res
		}
	}
	if breaker.URN == "" {
		t.Fatalf("no breaker in the state")
	}
	providerVersion := func(res stateResource) string {
		if v, ok := providers[res.Provider]; ok {
			return v
		}
		return providers[res.Provider[:max(0, strings.LastIndex(res.Provider, "::"))]]
	}
	var versions []string
	for _, res := range r.Deployment.Resources {
		if res.Type == "pulumi:providers:aws" {
			v, _ := res.Inputs["version"].(string)
			versions = append(versions, v)
		}
	}
	if len(versions) != 2 {
		t.Errorf("aws providers in the state at %v, want one at %s and one at %s", versions, standinaws.Version, aws7Version)
	}
	for _, name := range []string{"shop-fn", "shop", "shop-health", "shop-live", "circuits", "oncall"} {
		res, ok := byName[name]
		if !ok {
			t.Errorf("the stack's %s is not in the state", name)
			continue
		}
		if v := providerVersion(res); v != aws7Version {
			t.Errorf("the stack's %s (%s) is on aws provider %q (%s), want %s", name, res.Type, v, res.Provider, aws7Version)
		}
	}
	children := 0
	for _, res := range r.Deployment.Resources {
		if !res.Custom || !isDescendant(r.Deployment.Resources, res, breaker.URN) {
			continue
		}
		children++
		if v := providerVersion(res); v != standinaws.Version {
			t.Errorf("the breaker's child %s (%s) is on aws provider %q (%s), want %s", res.name(), res.Type, v, res.Provider, standinaws.Version)
		}
		if res.Type == "aws:dynamodb/table:Table" {
			t.Errorf("the breaker created its own table %s, want the stack's circuits", res.name())
		}
	}
	if children == 0 {
		t.Errorf("the breaker has no children in the state")
	}

	// The v7 resources reached the breaker as resources: the table, the
	// function and the alias's name are in its children's inputs.
	if got, want := breaker.out("tableName"), byName["circuits"].out("name"); got == "" || got != want {
		t.Errorf("breaker's tableName %q, want the stack's table %q", got, want)
	}
	def, _ := byName["checkout-state-machine"].Inputs["definition"].(string)
	if shop := byName["shop"].out("arn"); shop == "" || !strings.Contains(def, shop+":live") {
		t.Errorf("the definition does not invoke %s:live through the v7 alias", shop)
	}

	// The breaker's topic output reached the stack's v7 subscription.
	if got, want := byName["oncall"].Inputs["topic"], byName["checkout-alarms"].out("arn"); want == "" || got != want {
		t.Errorf("the stack's v7 subscription is on topic %v, want the breaker's %q", got, want)
	}
	checkAws7GRPC(t, e.grpcLog, byName)

	journal, err := standinaws.ReadJournal(e.cloud)
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range journal {
		if j.Op == "update" {
			t.Errorf("stand-in update of %s, want none", j.URN)
		}
	}
	left, err := standinaws.ReadCloud(e.cloud)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 0 {
		t.Errorf("%d resources left in the fake cloud", len(left))
	}
}

// isDescendant: res is a child, grandchild, ... of the resource at urn.
func isDescendant(all []stateResource, res stateResource, urn string) bool {
	parents := map[string]string{}
	for _, r := range all {
		parents[r.URN] = r.Parent
	}
	for p := res.Parent; p != ""; p = parents[p] {
		if p == urn {
			return true
		}
	}
	return false
}

// checkAws7GRPC reads the engine's gRPC log (PULUMI_DEBUG_GRPC). The aws 7
// plugin answered GetPluginInfo as aws7Version. The program sent its v7
// resources to Construct as references without a packageVersion (@pulumi/pulumi
// runtime/rpc.js serializeProperty and pulumi's runtime/rpc.py
// serialize_property send only urn and id), which is why the plugin can
// rehydrate them as sdk/v6 objects: the Go SDK (sdk/v3 go/pulumi/rpc.go,
// unmarshalResourceReference and versionedMap.Load) takes an empty version as
// any version and picks the v6 module pulumi-aws sdk/v6 registers; a 7.x
// version would find no module of major 7 and leave a plain
// DependencyCustomResource, refused as "expected a *lambda.Function".
func checkAws7GRPC(t *testing.T, grpcLog string, byName map[string]stateResource) {
	f, err := os.Open(grpcLog)
	if err != nil {
		t.Fatalf("no gRPC log (PULUMI_DEBUG_GRPC): %v", err)
	}
	defer f.Close()
	dec := json.NewDecoder(bufio.NewReaderSize(f, 1<<20))
	pluginVersions := map[string]bool{}
	constructs := 0
	for {
		var entry struct {
			Method   string `json:"method"`
			Progress string `json:"progress"`
			Request  struct {
				Type   string         `json:"type"`
				Inputs map[string]any `json:"inputs"`
			} `json:"request"`
			Response struct {
				Version string `json:"version"`
			} `json:"response"`
		}
		if err := dec.Decode(&entry); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("gRPC log: %v", err)
		}
		if entry.Progress != "response_completed" {
			continue
		}
		switch entry.Method {
		case "/pulumirpc.ResourceProvider/GetPluginInfo":
			pluginVersions[entry.Response.Version] = true
		case "/pulumirpc.ResourceProvider/Construct":
			if entry.Request.Type != componentType {
				continue
			}
			constructs++
			for input, name := range map[string]string{"downstreamFunction": "shop", "healthcheckFunction": "shop-health", "downstreamAlias": "shop-live", "table": "circuits"} {
				ref, _ := entry.Request.Inputs[input].(map[string]any)
				if ref["urn"] != byName[name].URN {
					t.Errorf("Construct input %s = %v, want a reference to the stack's %s", input, entry.Request.Inputs[input], name)
				}
				if v, ok := ref["packageVersion"]; ok {
					t.Errorf("Construct input %s carries packageVersion %v: the plugin's Go SDK would not find an aws module of that major", input, v)
				}
			}
		}
	}
	if constructs == 0 {
		t.Errorf("no Construct of the breaker in the gRPC log")
	}
	for _, v := range []string{standinaws.Version, aws7Version} {
		if !pluginVersions[v] {
			t.Errorf("no aws plugin answered GetPluginInfo with %s (answers: %v)", v, pluginVersions)
		}
	}
}
