//go:build dist

// Package dist installs a release the way a user does and runs it through the
// engine: the plugin tarball with `pulumi plugin install resource circuitbreaker
// <version> -f <tarball>` into a private PULUMI_HOME, the packed npm SDK with
// `npm install` into a scratch TypeScript stack, then `pulumi preview` of that
// stack (an Automation API inline program: no Node language host can be had
// here) against the test-only stand-in aws plugin; and the wheel with `pip
// install` into a fresh virtualenv, previewed the same way from Python. It also checks the
// checksums file and that the release's VERSION reached the plugin, the npm
// package and the wheel.
//
// `make test-dist` (part of `make test`) builds a one-platform release at a
// version that is not the committed one and runs this with
// CIRCUITBREAKER_DIST_DIR and CIRCUITBREAKER_DIST_VERSION set; plain `go test
// ./...` has no release to install and skips those (TestCheckVersions, in
// versions_test.go, needs none and always runs).
package dist

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/fakes/standinaws"
)

const componentType = "circuitbreaker:index:CircuitBreaker"

var repo = func() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", "..", ".."))
}()

func path(parts ...string) string { return filepath.Join(append([]string{repo}, parts...)...) }

type release struct{ dir, version string }

func (r release) file(name string) string { return filepath.Join(r.dir, name) }

// tarballName is the asset the CLI downloads for a plugin: standardAssetName in
// github.com/pulumi/pulumi/sdk/v3@v3.274.1 go/common/workspace/plugins.go,
// "pulumi-%s-%s-v%s-%s-%s.tar.gz" of kind, name, version, os, arch.
func (r release) tarballName() string {
	return "pulumi-resource-circuitbreaker-v" + r.version + "-" + runtime.GOOS + "-" + runtime.GOARCH + ".tar.gz"
}

// circuitctlTarballName is the operators' tool's own tarball (Makefile,
// dist-circuitctl), named like the plugin's.
func (r release) circuitctlTarballName() string {
	return "circuitctl-v" + r.version + "-" + runtime.GOOS + "-" + runtime.GOARCH + ".tar.gz"
}

func need(t *testing.T) release {
	t.Helper()
	r := release{os.Getenv("CIRCUITBREAKER_DIST_DIR"), os.Getenv("CIRCUITBREAKER_DIST_VERSION")}
	if r.dir == "" || r.version == "" {
		t.Skip("no release to install: `make test-dist` (part of `make test`) builds one and runs this test")
	}
	return r
}

// TestDistChecksums: the checksums file lists every artifact, in sha256sum's
// format, with its real digest.
func TestDistChecksums(t *testing.T) {
	r := need(t)
	sums := r.file("pulumi-circuitbreaker_" + r.version + "_checksums.txt")
	b, err := os.ReadFile(sums)
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		sum, name, ok := strings.Cut(line, "  ")
		if !ok {
			t.Fatalf("checksums line %q is not sha256sum's `<hex>  <name>`", line)
		}
		listed[name] = sum
	}
	entries, err := os.ReadDir(r.dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() == filepath.Base(sums) {
			continue
		}
		want, ok := listed[e.Name()]
		if !ok {
			t.Errorf("%s is not in %s", e.Name(), filepath.Base(sums))
			continue
		}
		f, err := os.ReadFile(r.file(e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if got := sha256.Sum256(f); hex.EncodeToString(got[:]) != want {
			t.Errorf("%s: sha256 %x, checksums file says %s", e.Name(), got, want)
		}
		delete(listed, e.Name())
	}
	for name := range listed {
		t.Errorf("%s lists %s, which is not in the release", filepath.Base(sums), name)
	}
	for _, name := range []string{
		r.tarballName(),
		r.circuitctlTarballName(),
		"pulumi-circuitbreaker-circuitbreaker-" + r.version + ".tgz",
		"pulumi_circuitbreaker-" + r.version + ".tar.gz",
		"pulumi_circuitbreaker-" + r.version + "-py3-none-any.whl",
	} {
		if _, err := os.Stat(r.file(name)); err != nil {
			t.Errorf("the release has no %s", name)
		}
	}
}

// TestDistPluginTarball: the tarball holds only the executable the engine
// starts, pulumi-resource-circuitbreaker (the CLI looks for
// pulumi-<kind>-<name> in the plugin directory, plugins.go's PluginInfo).
func TestDistPluginTarball(t *testing.T) {
	r := need(t)
	onlyExecutable(t, r.file(r.tarballName()), "pulumi-resource-circuitbreaker", t.TempDir())
}

// onlyExecutable checks that a release tarball holds exactly one file, exe,
// executable, and extracts it into dir; it returns the extracted path.
func onlyExecutable(t *testing.T, tarball, exe, dir string) string {
	t.Helper()
	f, err := os.Open(tarball)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var names []string
	bin := filepath.Join(dir, exe)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		if h.Name != exe {
			continue
		}
		if h.Mode&0o111 == 0 {
			t.Errorf("%s is not executable (mode %o)", h.Name, h.Mode)
		}
		out, err := os.OpenFile(bin, os.O_CREATE|os.O_WRONLY, 0o755)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(out, tr); err != nil {
			t.Fatal(err)
		}
		if err := out.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if len(names) != 1 || names[0] != exe {
		t.Fatalf("%s holds %v, want just %s", filepath.Base(tarball), names, exe)
	}
	return bin
}

// TestDistCircuitctl: the tool's tarball holds only its executable, which
// reports the release's version (the Makefile's -X main.Version).
func TestDistCircuitctl(t *testing.T) {
	r := need(t)
	exe := "circuitctl"
	if runtime.GOOS == "windows" {
		exe += ".exe"
	}
	bin := onlyExecutable(t, r.file(r.circuitctlTarballName()), exe, t.TempDir())
	got, err := exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if want := "circuitctl " + r.version + "\n"; string(got) != want {
		t.Errorf("circuitctl --version printed %q, want %q", got, want)
	}
}

// TestDistWheelVersion: the wheel is at the release's version and its
// pulumi-plugin.json asks for the same plugin version.
func TestDistWheelVersion(t *testing.T) {
	r := need(t)
	z, err := zip.OpenReader(r.file("pulumi_circuitbreaker-" + r.version + "-py3-none-any.whl"))
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	read := func(name string) string {
		f, err := z.Open(name)
		if err != nil {
			t.Fatalf("wheel: %v", err)
		}
		defer f.Close()
		b, _ := io.ReadAll(f)
		return string(b)
	}
	if m := read("pulumi_circuitbreaker-" + r.version + ".dist-info/METADATA"); !strings.Contains(m, "\nVersion: "+r.version+"\n") {
		t.Errorf("wheel METADATA has no `Version: %s`:\n%s", r.version, m)
	}
	var plugin struct {
		Resource bool   `json:"resource"`
		Name     string `json:"name"`
		Version  string `json:"version"`
		Server   string `json:"server"`
	}
	if err := json.Unmarshal([]byte(read("pulumi_circuitbreaker/pulumi-plugin.json")), &plugin); err != nil {
		t.Fatal(err)
	}
	if !plugin.Resource || plugin.Name != "circuitbreaker" || plugin.Version != r.version || plugin.Server == "" {
		t.Errorf("wheel pulumi-plugin.json = %+v, want resource circuitbreaker %s with a server", plugin, r.version)
	}
}

// user is a scratch machine with the release's plugin installed as the docs
// tell a user to install it offline: a private PULUMI_HOME, a file backend,
// the stand-in aws plugin, no ambient plugins, no downloads.
type user struct {
	t       *testing.T
	dir     string
	stack   string
	env     []string
	grpcLog string
	ctx     context.Context
}

func (u *user) run(wd string, args ...string) string {
	u.t.Helper()
	cmd := exec.CommandContext(u.ctx, args[0], args[1:]...)
	cmd.Dir, cmd.Env = wd, u.env
	step := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		u.t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	u.t.Logf("%s: %s", strings.Join(args[:min(len(args), 3)], " "), time.Since(step).Round(time.Millisecond))
	return string(out)
}

func newUser(t *testing.T, r release) *user {
	t.Helper()
	for _, p := range []string{path("bin", "pulumi"), path("bin", "standin", "pulumi-resource-aws")} {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("%s is missing: `make test-dist` builds it", p)
		}
	}
	dir := t.TempDir()
	home, backend, cloud, tmp := filepath.Join(dir, "home"), filepath.Join(dir, "state"), filepath.Join(dir, "cloud"), filepath.Join(dir, "tmp")
	u := &user{t: t, dir: dir, stack: filepath.Join(dir, "stack"), grpcLog: filepath.Join(dir, "grpc.log")}
	for _, d := range []string{home, backend, cloud, tmp, u.stack} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// Only this test's Pulumi settings, as in dev/tests/engine: a developer's own
	// login or backend never leaks in; bin/ first on PATH for the CLI, but
	// plugins only from PULUMI_HOME, and never a download.
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PULUMI_") || strings.HasPrefix(kv, "CIRCUITBREAKER_") || strings.HasPrefix(kv, "AWS_") ||
			strings.HasPrefix(kv, "TMPDIR=") || strings.HasPrefix(kv, "VIRTUAL_ENV=") || strings.HasPrefix(kv, "PYTHONPATH=") {
			continue
		}
		if strings.HasPrefix(kv, "PATH=") {
			kv = "PATH=" + path("bin") + string(os.PathListSeparator) + strings.TrimPrefix(kv, "PATH=")
		}
		u.env = append(u.env, kv)
	}
	u.env = append(u.env,
		"PULUMI_HOME="+home,
		"PULUMI_BACKEND_URL=file://"+backend,
		"PULUMI_CONFIG_PASSPHRASE=dist-test",
		"PULUMI_SKIP_UPDATE_CHECK=true",
		"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true",
		// bin/ also holds a development build of the plugin: it must not be used.
		"PULUMI_IGNORE_AMBIENT_PLUGINS=true",
		"PULUMI_DEBUG_GRPC="+u.grpcLog,
		standinaws.DirEnv+"="+cloud,
		"TMPDIR="+tmp,
	)
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	t.Cleanup(cancel)
	u.ctx = ctx

	// The plugin, exactly as the docs tell a user to install it offline.
	pulumi := path("bin", "pulumi")
	u.run(dir, pulumi, "plugin", "install", "resource", "circuitbreaker", r.version, "-f", r.file(r.tarballName()))
	awsTar := filepath.Join(dir, "aws.tar.gz")
	if err := tarball(awsTar, path("bin", "standin", "pulumi-resource-aws")); err != nil {
		t.Fatal(err)
	}
	u.run(dir, pulumi, "plugin", "install", "resource", "aws", standinaws.Version, "-f", awsTar)
	var plugins []struct {
		Name    string `json:"name"`
		Kind    string `json:"kind"`
		Version string `json:"version"`
	}
	if err := json.Unmarshal([]byte(u.run(dir, pulumi, "plugin", "ls", "--json")), &plugins); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, p := range plugins {
		found = found || (p.Name == "circuitbreaker" && p.Kind == "resource" && p.Version == r.version)
	}
	if !found {
		t.Fatalf("pulumi plugin ls shows %+v, want resource circuitbreaker %s", plugins, r.version)
	}
	return u
}

// copyTestdata puts dev/tests/dist/testdata files into the scratch stack.
func (u *user) copyTestdata(files ...string) {
	u.t.Helper()
	for _, f := range files {
		b, err := os.ReadFile(path("dev", "tests", "dist", "testdata", f))
		if err != nil {
			u.t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(u.stack, f), b, 0o644); err != nil {
			u.t.Fatal(err)
		}
	}
}

// TestDistInstallAndPreview is the TypeScript user's path: install the plugin
// from the tarball, the SDK from the packed .tgz, compile a stack and preview it.
func TestDistInstallAndPreview(t *testing.T) {
	r := need(t)
	start := time.Now()
	u := newUser(t, r)

	// The scratch stack: the packed SDK and the versions the TypeScript
	// example locks (so npm's cache serves them).
	lock := exampleLock(t)
	pkg := map[string]any{
		"name": "circuitbreaker-dist-test", "private": true,
		"dependencies": map[string]string{
			"@pulumi-circuitbreaker/circuitbreaker": "file:" + r.file("pulumi-circuitbreaker-circuitbreaker-"+r.version+".tgz"),
			"@pulumi/pulumi":                        lock["@pulumi/pulumi"],
			"@pulumi/aws":                           lock["@pulumi/aws"],
		},
		"devDependencies": map[string]string{"typescript": lock["typescript"], "@types/node": lock["@types/node"]},
	}
	b, _ := json.MarshalIndent(pkg, "", "  ")
	if err := os.WriteFile(filepath.Join(u.stack, "package.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	u.copyTestdata("index.ts", "tsconfig.json", "driver.js")
	u.run(u.stack, "npm", "install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error")
	var installed struct {
		Version string `json:"version"`
		Pulumi  struct {
			Version string `json:"version"`
		} `json:"pulumi"`
	}
	b, err := os.ReadFile(filepath.Join(u.stack, "node_modules", "@pulumi-circuitbreaker", "circuitbreaker", "package.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &installed); err != nil {
		t.Fatal(err)
	}
	if installed.Version != r.version || installed.Pulumi.Version != r.version {
		t.Fatalf("installed SDK is %s asking for plugin %s, want %s", installed.Version, installed.Pulumi.Version, r.version)
	}
	u.run(u.stack, filepath.Join("node_modules", ".bin", "tsc"))

	reportPath := filepath.Join(u.dir, "preview.json")
	u.run(u.stack, "node", "driver.js", reportPath)
	n := checkPreview(t, reportPath)
	checkPluginVersion(t, u.grpcLog, r.version)
	t.Logf("install and preview of release %s (TypeScript): %s (%d steps)", r.version, time.Since(start).Round(time.Millisecond), n)
}

// TestDistPythonInstallAndPreview is the Python user's path: the plugin from
// the tarball, then `pip install` of the release's wheel into a fresh
// virtualenv beside pulumi and pulumi-aws (the versions bin/venv, made from
// examples/python/requirements.txt, resolved, so pip's cache serves them), and
// a preview of a stack importing pulumi_circuitbreaker from that wheel.
func TestDistPythonInstallAndPreview(t *testing.T) {
	r := need(t)
	start := time.Now()
	u := newUser(t, r)
	pins := venvPins(t, "pulumi", "pulumi-aws")
	venv := filepath.Join(u.dir, "venv")
	u.run(u.dir, "python3", "-m", "venv", venv)
	py := filepath.Join(venv, "bin", "python")
	wheel := r.file("pulumi_circuitbreaker-" + r.version + "-py3-none-any.whl")
	u.run(u.dir, append([]string{py, "-m", "pip", "install", "-q", "--disable-pip-version-check", wheel}, pins...)...)
	// pip resolved the wheel's own requirements against the pins: the
	// installed set is consistent, and the package is the release's.
	u.run(u.dir, py, "-m", "pip", "check", "--disable-pip-version-check")
	got := strings.TrimSpace(u.run(u.dir, py, "-c", "import importlib.metadata as m; print(m.version('pulumi_circuitbreaker'))"))
	if got != r.version {
		t.Fatalf("installed pulumi_circuitbreaker %s, want %s", got, r.version)
	}
	// Imported from the virtualenv, not from a checkout.
	where := strings.TrimSpace(u.run(u.dir, py, "-c", "import pulumi_circuitbreaker; print(pulumi_circuitbreaker.__file__)"))
	if !strings.HasPrefix(where, venv+string(os.PathSeparator)) {
		t.Fatalf("pulumi_circuitbreaker imported from %s, not from the scratch virtualenv", where)
	}
	u.copyTestdata("program.py", "driver.py")
	reportPath := filepath.Join(u.dir, "preview.json")
	u.run(u.stack, py, "driver.py", reportPath)
	n := checkPreview(t, reportPath)
	checkPluginVersion(t, u.grpcLog, r.version)
	t.Logf("install and preview of release %s (Python): %s (%d steps)", r.version, time.Since(start).Round(time.Millisecond), n)
}

// venvPins are `name==version` for the packages bin/venv holds.
func venvPins(t *testing.T, names ...string) []string {
	t.Helper()
	py := path("bin", "venv", "bin", "python")
	if _, err := os.Stat(py); err != nil {
		t.Fatalf("%s is missing: `make engine-deps` (part of `make test`) makes bin/venv", py)
	}
	var pins []string
	for _, n := range names {
		out, err := exec.Command(py, "-c", "import importlib.metadata as m, sys; print(m.version(sys.argv[1]))", n).Output()
		if err != nil {
			t.Fatalf("bin/venv has no %s: %v", n, err)
		}
		pins = append(pins, n+"=="+strings.TrimSpace(string(out)))
	}
	return pins
}

// checkPreview reads a driver's report: a fresh preview that creates the
// breaker and its children, with no error. It returns the number of steps.
func checkPreview(t *testing.T, reportPath string) int {
	t.Helper()
	b, err := os.ReadFile(reportPath)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		ChangeSummary map[string]int `json:"changeSummary"`
		Steps         []struct {
			URN, Type, Op string
		} `json:"steps"`
		Diagnostics []struct{ Severity, Message string } `json:"diagnostics"`
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	for _, d := range rep.Diagnostics {
		if d.Severity == "error" {
			t.Errorf("preview error: %s", d.Message)
		}
	}
	var component, children int
	for _, s := range rep.Steps {
		if s.Op != "create" {
			t.Errorf("fresh preview: %s %s, want create", s.Op, s.URN)
		}
		switch {
		case s.Type == componentType:
			component++
		case strings.Contains(s.URN, componentType+"$"):
			children++ // a resource the breaker created: its URN's type chain has the component
		}
	}
	// The breaker's own resources (state machine, table, alarms, topic, handler,
	// schedule, roles...): Construct ran in the installed plugin during preview.
	if component != 1 || children < 10 {
		t.Errorf("preview created %d %s and %d resources under it, want 1 and its children (>= 10)", component, componentType, children)
	}
	return len(rep.Steps)
}

// checkPluginVersion: the plugin the engine ran says it is the release's
// version (the -ldflags stamp took), and the SDK registered the component at
// that version (respectSchemaVersion took).
func checkPluginVersion(t *testing.T, grpcLog, version string) {
	t.Helper()
	f, err := os.Open(grpcLog)
	if err != nil {
		t.Fatalf("no gRPC log (PULUMI_DEBUG_GRPC): %v", err)
	}
	defer f.Close()
	dec := json.NewDecoder(bufio.NewReaderSize(f, 1<<20))
	var infos []string
	registered := ""
	for {
		var entry struct {
			Method   string `json:"method"`
			Progress string `json:"progress"`
			Request  struct {
				Type    string `json:"type"`
				Version string `json:"version"`
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
		switch entry.Method {
		case "/pulumirpc.ResourceProvider/GetPluginInfo":
			if entry.Response.Version != "" {
				infos = append(infos, entry.Response.Version)
			}
		case "/pulumirpc.ResourceMonitor/RegisterResource":
			if entry.Request.Type == componentType {
				registered = entry.Request.Version
			}
		}
	}
	found := false
	for _, v := range infos {
		found = found || v == version
	}
	if !found {
		t.Errorf("no plugin answered GetPluginInfo with version %s (answers: %v): the -ldflags stamp did not reach the plugin", version, infos)
	}
	if registered != version {
		t.Errorf("the SDK registered %s at version %q, want %s", componentType, registered, version)
	}
}

// exampleLock is the versions examples/ts/package-lock.json resolved.
func exampleLock(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path("examples", "ts", "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	var lock struct {
		Packages map[string]struct {
			Version string `json:"version"`
		} `json:"packages"`
	}
	if err := json.Unmarshal(b, &lock); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, name := range []string{"@pulumi/pulumi", "@pulumi/aws", "typescript", "@types/node"} {
		v := lock.Packages["node_modules/"+name].Version
		if v == "" {
			t.Fatalf("examples/ts/package-lock.json has no %s", name)
		}
		out[name] = v
	}
	return out
}

// tarball packs one plugin binary the way `pulumi plugin install -f` takes it.
func tarball(dst, bin string) error {
	src, err := os.ReadFile(bin)
	if err != nil {
		return err
	}
	f, err := os.Create(dst)
	if err != nil {
		return err
	}
	defer f.Close()
	gz := gzip.NewWriter(f)
	tw := tar.NewWriter(gz)
	if err := tw.WriteHeader(&tar.Header{Name: filepath.Base(bin), Mode: 0o755, Size: int64(len(src))}); err != nil {
		return err
	}
	if _, err := tw.Write(src); err != nil {
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
