//go:build engine

package engine

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// sdkReadmes are the generated SDK packages' READMEs (provider/sdkreadme.go,
// through schema.yaml and make sdks): what npm, PyPI and pkg.go.dev show.
var sdkReadmes = map[string]struct{ file, fence string }{
	"typescript": {"sdk/nodejs/README.md", "ts"},
	"python":     {"sdk/python/README.md", "python"},
	"go":         {"sdk/go/circuitbreaker/README.md", "go"},
}

// readmeExample is the README's one example program, in its language's fence.
func readmeExample(t *testing.T, lang string) string {
	t.Helper()
	r := sdkReadmes[lang]
	b, err := os.ReadFile(path(filepath.FromSlash(r.file)))
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	for _, want := range []string{"## Install", "## Example", "## Documentation", "pulumi plugin install resource circuitbreaker",
		"https://github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/blob/main/docs/sdks.md"} {
		if !strings.Contains(text, want) {
			t.Errorf("%s has no %q", r.file, want)
		}
	}
	m := regexp.MustCompile("(?s)```"+r.fence+"\n(.*?)```").FindAllStringSubmatch(text, -1)
	if len(m) != 1 {
		t.Fatalf("%s: want one ```%s example, found %d", r.file, r.fence, len(m))
	}
	return m[0][1]
}

// Each SDK package's README has an install command, a complete example and
// links to the docs, and the example compiles against the SDK as a user's
// editor would check it: tsc --noEmit (strict) with the TypeScript example's
// dependencies, and go build in the Go example's module (through an overlay,
// nothing written to the tree). Python has no compiler: the example is
// parsed, and every keyword it passes to the SDK's types is one of their
// parameters in the virtualenv's installed SDK.
func TestSDKReadmeExamplesCompile(t *testing.T) {
	t.Run("typescript", func(t *testing.T) {
		src := readmeExample(t, "typescript")
		modules := path("examples", "ts", "node_modules")
		tsc := filepath.Join(modules, ".bin", "tsc")
		need(t, tsc, "the TypeScript example's dependencies")
		dir := t.TempDir()
		file := filepath.Join(dir, "index.ts")
		writeFile(t, file, src)
		cfg, err := json.Marshal(map[string]any{
			"compilerOptions": map[string]any{
				"strict": true, "noEmit": true, "target": "es2020", "module": "commonjs", "moduleResolution": "node",
				"skipLibCheck": true, "baseUrl": "/", "paths": map[string][]string{"*": {modules + "/*"}},
				"typeRoots": []string{filepath.Join(modules, "@types")},
			},
			"files": []string{file},
		})
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, "tsconfig.json"), string(cfg))
		if out, err := exec.Command(tsc, "-p", filepath.Join(dir, "tsconfig.json")).CombinedOutput(); err != nil {
			t.Fatalf("tsc --noEmit: %v\n%s", err, out)
		}
	})
	t.Run("go", func(t *testing.T) {
		src := readmeExample(t, "go")
		dir := t.TempDir()
		file := filepath.Join(dir, "main.go")
		writeFile(t, file, src)
		overlay, err := json.Marshal(map[string]any{"Replace": map[string]string{path("examples", "go", "sdkreadme", "main.go"): file}})
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, "overlay.json"), string(overlay))
		cmd := exec.Command("go", "build", "-overlay", filepath.Join(dir, "overlay.json"), "-o", os.DevNull, "./sdkreadme")
		cmd.Dir = path("examples", "go")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build: %v\n%s", err, out)
		}
	})
	t.Run("python", func(t *testing.T) {
		src := readmeExample(t, "python")
		need(t, venvPython(), "the Python virtualenv with the SDK")
		file := filepath.Join(t.TempDir(), "__main__.py")
		writeFile(t, file, src)
		script := `
import ast, inspect, sys
import pulumi_circuitbreaker as sdk
tree = ast.parse(open(sys.argv[1]).read())
compile(tree, sys.argv[1], "exec")
bad, seen = [], 0
for node in ast.walk(tree):
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name) and node.func.value.id == "circuitbreaker":
        seen += 1
        cls = getattr(sdk, node.func.attr, None)
        if cls is None:
            bad.append("no " + node.func.attr); continue
        args = getattr(sdk, node.func.attr + "Args", cls)
        params = inspect.signature(args.__init__).parameters
        bad += [node.func.attr + "(" + k.arg + "=)" for k in node.keywords if k.arg not in params]
print(seen, bad)
sys.exit(1 if bad or seen < 2 else 0)
`
		if out, err := exec.Command(venvPython(), "-c", script, file).CombinedOutput(); err != nil {
			t.Fatalf("the Python example does not match the SDK: %v\n%s", err, out)
		}
	})
}

func writeFile(t *testing.T, p, s string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}
