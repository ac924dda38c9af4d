//go:build engine

package engine

// The README's and docs' code snippets (issue 14 item 24: the README's own
// subscription example could not run). Every program snippet (a fence in
// ts, typescript, js, go, python or yaml) in README.md and docs/*.md carries
// a marker on the line before it that says how it is tested, and this file
// checks each:
//
//	<!-- snippet: excerpt of PATH (TestName) -->
//	    every line of the snippet, in order, is a line of PATH (whitespace and
//	    trailing comments aside), and TestName runs or type-checks PATH
//	    (snippetSources below; TestName must exist)
//	<!-- snippet: type-checked (TestSnippets) -->
//	    a TypeScript or Go fragment compiled against the SDKs with the
//	    functions it names declared (tsc --strict; go build)
//	<!-- snippet: run with mocks (TestSnippets) -->
//	    a Python fragment run with Pulumi's mocks and the real SDKs (there is no
//	    Python type checker here): unknown or missing arguments, wrong names
//	    and classes fail
//
// A snippet without a marker fails TestSnippetsAreMarked, and so does a
// program under examples/ that no engine or type-checking test runs: a new
// snippet or example cannot go in untested. The markers' checks are cheap;
// the fragments' compilation reuses the built examples (no engine run: an
// excerpt is where the engine run is, in the test its marker names).

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// snippetSources are the programs snippets may be excerpts of, each with the
// test that runs it through the engine or type-checks it. Every program under
// examples/ must be here.
var snippetSources = map[string]string{
	"examples/ts/index.ts":                       "TestTypeScriptStackThroughEngine",
	"examples/python/__main__.py":                "TestPythonStackThroughEngine",
	"examples/go/main.go":                        "TestGoStackThroughEngine",
	"examples/yaml/Pulumi.yaml":                  "TestYAMLProjectThroughEngine",
	"examples/ts-shared-table/index.ts":          "TestSnippets",
	"dev/tests/engine/sharing/index.js":          "TestTypeScriptSharingThroughEngine",
	"dev/tests/engine/sharing/__main__.py":       "TestPythonSharingThroughEngine",
	"dev/tests/engine/sharedtable/go/program.go": "TestGoSharedTableThroughEngine",
	"dev/tests/engine/shadow/Pulumi.yaml":        "TestShadowModeSwitchUpdatesOnlyWhatDependsOnIt",
}

// snippetLangs are the fences that hold programs, by comment syntax.
var snippetLangs = map[string]string{
	"ts": "//", "typescript": "//", "js": "//", "javascript": "//", "go": "//",
	"python": "#", "py": "#", "yaml": "#",
}

type snippet struct {
	file   string // relative to the repository
	line   int    // of the opening fence
	lang   string
	marker string // the marker's text after "snippet:", "" when there is none
	body   []string
}

func (s snippet) String() string { return fmt.Sprintf("%s:%d (%s)", s.file, s.line, s.lang) }

var markerRE = regexp.MustCompile(`^<!--\s*snippet:\s*(.*?)\s*-->$`)

// readSnippets returns the program snippets of README.md and docs/*.md.
func readSnippets(t *testing.T) []snippet {
	t.Helper()
	files := []string{"README.md"}
	docs, err := filepath.Glob(path("docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		files = append(files, filepath.Join("docs", filepath.Base(d)))
	}
	var out []snippet
	for _, f := range files {
		b, err := os.ReadFile(path(f))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(b), "\n")
		for i := 0; i < len(lines); i++ {
			open := strings.TrimSpace(lines[i])
			if !strings.HasPrefix(open, "```") {
				continue
			}
			lang := strings.TrimSpace(strings.TrimPrefix(open, "```"))
			start := i
			var body []string
			for i++; i < len(lines) && strings.TrimSpace(lines[i]) != "```"; i++ {
				body = append(body, lines[i])
			}
			if _, ok := snippetLangs[lang]; !ok {
				continue
			}
			s := snippet{file: f, line: start + 1, lang: lang, body: body}
			for j := start - 1; j >= 0; j-- {
				prev := strings.TrimSpace(lines[j])
				if prev == "" {
					continue
				}
				if m := markerRE.FindStringSubmatch(prev); m != nil {
					s.marker = m[1]
				}
				break
			}
			out = append(out, s)
		}
	}
	return out
}

var excerptRE = regexp.MustCompile(`^excerpt of (\S+) \((Test\w+)\)$`)

// TestSnippetsAreMarked: every program snippet says how it is tested, and
// every excerpt is one: its lines are the named program's, in order, and the
// named test runs that program. Every program under examples/ is run or
// type-checked by a test.
func TestSnippetsAreMarked(t *testing.T) {
	tests := engineTestNames(t)
	snippets := readSnippets(t)
	if len(snippets) < 8 {
		t.Fatalf("only %d program snippets found in README.md and docs/*.md: is the fence parser broken?", len(snippets))
	}
	for _, s := range snippets {
		switch m := excerptRE.FindStringSubmatch(s.marker); {
		case s.marker == "":
			t.Errorf("%s has no marker: put `<!-- snippet: excerpt of PATH (TestName) -->`, `<!-- snippet: type-checked (TestSnippets) -->` or (Python) `<!-- snippet: run with mocks (TestSnippets) -->` on the line before it (dev/tests/engine/snippets_test.go)", s)
		case m != nil:
			src, test := m[1], m[2]
			if want, ok := snippetSources[src]; !ok {
				t.Errorf("%s: %s is not a program any test runs (snippetSources)", s, src)
			} else if want != test {
				t.Errorf("%s: %s is run by %s, not %s", s, src, want, test)
			}
			if !tests[test] {
				t.Errorf("%s: no test %s in dev/tests/engine", s, test)
			}
			if err := isExcerpt(s, src); err != nil {
				t.Errorf("%s: %v", s, err)
			}
		case s.marker == "type-checked (TestSnippets)":
			if !slices.Contains([]string{"ts", "typescript", "go"}, s.lang) {
				t.Errorf("%s: only TypeScript and Go fragments are type-checked here", s)
			}
		case s.marker == "run with mocks (TestSnippets)":
			if !slices.Contains([]string{"python", "py"}, s.lang) {
				t.Errorf("%s: only Python fragments run with mocks", s)
			}
		default:
			t.Errorf("%s: unknown marker %q", s, s.marker)
		}
	}

	// Every program under examples/ is one of snippetSources.
	err := filepath.WalkDir(path("examples"), func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || d.Name() == "bin") {
			return filepath.SkipDir
		}
		rel, _ := filepath.Rel(repo, p)
		name := d.Name()
		program := !d.IsDir() && (strings.HasSuffix(name, ".ts") && !strings.HasSuffix(name, ".d.ts") ||
			strings.HasSuffix(name, ".py") || strings.HasSuffix(name, ".js") ||
			strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go") ||
			name == "Pulumi.yaml" && yamlRuntime(p))
		if program {
			if _, ok := snippetSources[filepath.ToSlash(rel)]; !ok {
				t.Errorf("%s: no test runs or type-checks this example: add it to snippetSources with the test that does", rel)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func yamlRuntime(p string) bool {
	b, err := os.ReadFile(p)
	return err == nil && regexp.MustCompile(`(?m)^runtime:\s*yaml\s*$`).Match(b)
}

// engineTestNames are the Test functions of this package.
func engineTestNames(t *testing.T) map[string]bool {
	t.Helper()
	files, err := filepath.Glob(path("dev", "tests", "engine", "*_test.go"))
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	re := regexp.MustCompile(`(?m)^func (Test\w+)\(t \*testing\.T\)`)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllSubmatch(b, -1) {
			names[string(m[1])] = true
		}
	}
	return names
}

// isExcerpt: each line of the snippet, normalized, is a line of src after
// the previous one's.
func isExcerpt(s snippet, src string) error {
	b, err := os.ReadFile(path(src))
	if err != nil {
		return err
	}
	comment := snippetLangs[s.lang]
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		lines = append(lines, normalize(l, comment))
	}
	at := 0
	for _, l := range s.body {
		want := normalize(l, comment)
		if want == "" {
			continue
		}
		i := slices.Index(lines[at:], want)
		if i < 0 {
			return fmt.Errorf("line %q is not in %s (after line %d): the snippet must be an excerpt of the program its marker names", strings.TrimSpace(l), src, at)
		}
		at += i + 1
	}
	return nil
}

// normalize drops a line's trailing comment (outside quotes), its
// surrounding whitespace, and collapses runs of spaces.
func normalize(line, comment string) string {
	quote := rune(0)
	for i, r := range line {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '"' || r == '\'' || r == '`':
			quote = r
		case strings.HasPrefix(line[i:], comment) && (comment != "#" || i == 0 || line[i-1] == ' ' || line[i-1] == '\t'):
			line = line[:i]
		}
		if len(line) <= i {
			break
		}
	}
	return strings.Join(strings.Fields(line), " ")
}

// fragments returns the snippets of one marker.
func fragments(t *testing.T, marker string, langs ...string) []snippet {
	var out []snippet
	for _, s := range readSnippets(t) {
		if s.marker == marker && slices.Contains(langs, s.lang) {
			out = append(out, s)
		}
	}
	return out
}

// The functions fragments use without declaring them: the user's own.
var fragmentFunctions = map[string][3]string{ // TS name, Go name, Python name
	"downstream":     {"downstream", "downstream", "downstream"},
	"healthcheck":    {"healthcheck", "healthcheck", "healthcheck"},
	"payments":       {"payments", "payments", "payments"},
	"paymentsHealth": {"paymentsHealth", "paymentsHealth", "payments_health"},
	"refundsFn":      {"refundsFn", "refundsFn", "refunds_fn"},
}

// TestSnippets compiles the TypeScript and Go fragments against the SDKs and
// runs the Python ones with mocks. The TypeScript fragments compile in one
// tsc run with examples/ts-shared-table/index.ts, the example that shows
// sharing: `table: first.table`, `downstreamAlias: live`, the resource
// outputs and `topic: breaker.topic` type-check against the generated SDK
// (tsc --strict), as a user's editor would check them (dev/tests/engine/sharing
// runs the same constructs through the engine).
func TestSnippets(t *testing.T) {
	t.Run("typescript", func(t *testing.T) { typeCheckTS(t, fragments(t, "type-checked (TestSnippets)", "ts", "typescript")) })
	t.Run("go", func(t *testing.T) { typeCheckGo(t, fragments(t, "type-checked (TestSnippets)", "go")) })
	t.Run("python", func(t *testing.T) {
		runPythonWithMocks(t, fragments(t, "run with mocks (TestSnippets)", "python", "py"))
	})
}

func typeCheckTS(t *testing.T, snippets []snippet) {
	modules := path("examples", "ts", "node_modules")
	tsc := filepath.Join(modules, ".bin", "tsc")
	need(t, tsc, "the TypeScript example's dependencies")
	dir := t.TempDir()
	files := []string{path("examples", "ts-shared-table", "index.ts")}
	where := map[string]snippet{}
	for i, s := range snippets {
		body := strings.Join(s.body, "\n")
		var pre []string
		for _, imp := range []struct{ name, line string }{
			{"pulumi", `import * as pulumi from "@pulumi/pulumi";`},
			{"aws", `import * as aws from "@pulumi/aws";`},
			{"CircuitBreaker", `import { CircuitBreaker } from "@pulumi-circuitbreaker/circuitbreaker";`},
		} {
			if !regexp.MustCompile(`import[^;]*\b` + imp.name + `\b`).MatchString(body) {
				pre = append(pre, imp.line)
			}
		}
		for _, names := range fragmentFunctions {
			if !regexp.MustCompile(`\b(const|let|var)\s+` + names[0] + `\b`).MatchString(body) {
				pre = append(pre, fmt.Sprintf("declare const %s: aws.lambda.Function;", names[0]))
			}
		}
		f := filepath.Join(dir, fmt.Sprintf("snippet%d.ts", i))
		src := strings.Join(pre, "\n") + "\n" + body + "\nexport {};\n"
		if err := os.WriteFile(f, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
		where[filepath.Base(f)] = s
	}
	cfg := map[string]any{
		"compilerOptions": map[string]any{
			"strict": true, "noEmit": true, "target": "es2020", "module": "commonjs", "moduleResolution": "node",
			"skipLibCheck": true, "baseUrl": "/", "paths": map[string][]string{"*": {modules + "/*"}},
			"typeRoots": []string{filepath.Join(modules, "@types")},
		},
		"files": files,
	}
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tsconfig := filepath.Join(dir, "tsconfig.json")
	if err := os.WriteFile(tsconfig, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(tsc, "-p", tsconfig).CombinedOutput(); err != nil {
		t.Fatalf("tsc --strict on the TypeScript fragments: %v\n%s", err, annotate(string(out), where))
	}
	t.Logf("examples/ts-shared-table and %d TypeScript fragments type-check", len(snippets))
}

// annotate names the snippet behind each generated file in a compiler's output.
func annotate(out string, where map[string]snippet) string {
	names := make([]string, 0, len(where))
	for n := range where {
		names = append(names, n)
	}
	sort.Sort(sort.Reverse(sort.StringSlice(names))) // snippet10 before snippet1
	for _, n := range names {
		out = strings.ReplaceAll(out, n, n+" ["+where[n].String()+"]")
	}
	return out
}

var goDeclRE = regexp.MustCompile(`(?m)^\s*([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*)\s*:=`)

func typeCheckGo(t *testing.T, snippets []snippet) {
	if len(snippets) == 0 {
		return
	}
	dir := t.TempDir()
	module := path("examples", "go")
	overlay := map[string]string{}
	where := map[string]snippet{}
	for i, s := range snippets {
		imports := map[string]bool{
			`"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/sdk/go/circuitbreaker"`: true,
			`"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"`:                            true,
			`"github.com/pulumi/pulumi/sdk/v3/go/pulumi"`:                                    true,
		}
		var stmts []string
		inImport := false
		for _, l := range s.body {
			trimmed := strings.TrimSpace(l)
			switch {
			case trimmed == "import (":
				inImport = true
			case inImport && trimmed == ")":
				inImport = false
			case inImport && trimmed != "":
				imports[trimmed] = true
			case strings.HasPrefix(trimmed, "import "):
				imports[strings.TrimSpace(strings.TrimPrefix(trimmed, "import "))] = true
			default:
				stmts = append(stmts, l)
			}
		}
		body := strings.Join(stmts, "\n")
		// Names the fragment declares are used, so that a fragment that ends
		// before using them compiles.
		var uses []string
		for _, m := range goDeclRE.FindAllStringSubmatch(body, -1) {
			for _, n := range strings.Split(m[1], ",") {
				if n = strings.TrimSpace(n); n != "_" {
					uses = append(uses, "_ = "+n)
				}
			}
		}
		var params []string
		for _, names := range fragmentFunctions {
			params = append(params, names[1]+" *lambda.Function")
		}
		sort.Strings(params)
		var imps []string
		for imp := range imports {
			imps = append(imps, imp)
		}
		sort.Strings(imps)
		src := fmt.Sprintf("package snippets\n\nimport (\n%s\n)\n\nvar _ pulumi.StringInput\nvar _ *lambda.Function\nvar _ circuitbreaker.CircuitBreakerArgs\n\nfunc snippet%d(ctx *pulumi.Context, %s) error {\n%s\n%s\nreturn nil\n}\n",
			strings.Join(imps, "\n"), i, strings.Join(params, ", "), body, strings.Join(uses, "\n"))
		f := filepath.Join(dir, fmt.Sprintf("snippet%d.go", i))
		if err := os.WriteFile(f, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		overlay[filepath.Join(module, "zz_snippets", filepath.Base(f))] = f
		where[filepath.Base(f)] = s
	}
	b, err := json.Marshal(map[string]any{"Replace": overlay})
	if err != nil {
		t.Fatal(err)
	}
	ov := filepath.Join(dir, "overlay.json")
	if err := os.WriteFile(ov, b, 0o644); err != nil {
		t.Fatal(err)
	}
	// The Go example's module has the SDK (its replace) and pulumi-aws: the
	// fragments compile in a package of it that exists only in the overlay.
	cmd := exec.Command("go", "build", "-overlay", ov, "./zz_snippets/")
	cmd.Dir = module
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build of the Go fragments: %v\n%s", err, annotate(string(out), where))
	}
	t.Logf("%d Go fragments compile", len(snippets))
}

// pythonMocks runs one fragment (argv[1]) with Pulumi's mocks and the real
// SDKs, the user's functions declared.
const pythonMocks = `
import asyncio, sys
import pulumi

class Mocks(pulumi.runtime.Mocks):
    def new_resource(self, args):
        state = dict(args.inputs)
        state.setdefault("name", args.name)
        state["arn"] = "arn:aws:lambda:us-east-1:123456789012:function:" + args.name
        return [args.name + "-id", state]

    def call(self, args):
        return {}

pulumi.runtime.set_mocks(Mocks(), preview=False)

import pulumi_aws as aws
import pulumi_circuitbreaker as circuitbreaker

def function(name):
    return aws.lambda_.Function(name, role="arn:aws:iam::123456789012:role/r", runtime="nodejs22.x",
                                handler="index.handler", code=pulumi.AssetArchive({}))

NAMES = sys.argv[2].split(",")
scope = {"pulumi": pulumi, "aws": aws, "circuitbreaker": circuitbreaker}
for n in NAMES:
    scope[n] = function(n)
with open(sys.argv[1], encoding="utf-8") as f:
    exec(compile(f.read(), sys.argv[1], "exec"), scope)
`

func runPythonWithMocks(t *testing.T, snippets []snippet) {
	if len(snippets) == 0 {
		return
	}
	need(t, venvPython(), "the Python virtualenv with the SDK")
	dir := t.TempDir()
	harness := filepath.Join(dir, "harness.py")
	if err := os.WriteFile(harness, []byte(pythonMocks), 0o644); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, n := range fragmentFunctions {
		names = append(names, n[2])
	}
	sort.Strings(names)
	for i, s := range snippets {
		f := filepath.Join(dir, fmt.Sprintf("snippet%d.py", i))
		if err := os.WriteFile(f, []byte(strings.Join(s.body, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(venvPython(), harness, f, strings.Join(names, ",")).CombinedOutput()
		if err != nil {
			t.Errorf("%s with Pulumi's mocks: %v\n%s", s, err, lastLines(string(out), 20))
		}
	}
	t.Logf("%d Python fragments run with mocks", len(snippets))
}

func lastLines(s string, n int) string {
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
