package repo_test

// Every repository path the docs and the Go comments name exists, so a file
// that moves, or a link out of the repository, fails here instead of
// misleading a reader. Plain file reads: the unit tier.

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// topLevel are the repository's top-level entries a path may start with,
// and the pre-reorganisation ones, so that a stale path is still caught.
const topLevel = `provider|component|circuit|functions|circuitctl|cmd|sdk|examples|docs|dev|lambdas|internal|test|tools|\.github|\.ci`

var (
	// mdLink is a markdown link or image: [text](target).
	mdLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	// backticked is a code span in markdown.
	backticked = regexp.MustCompile("`([^`\n]+)`")
	// repoPath is a path from the repository root, optionally "./"-prefixed,
	// not part of a longer path or an import path.
	repoPath = regexp.MustCompile(`(?:^|[^A-Za-z0-9_./-])(?:\./)?((?:` + topLevel + `)/[A-Za-z0-9_./-]*[A-Za-z0-9_])`)
	// wholePath is a code span that is a path and nothing else (with an
	// optional :line or :line-line suffix).
	wholePath = regexp.MustCompile(`^(?:\./)?((?:` + topLevel + `|README\.md|CONTRIBUTING\.md|Makefile|schema\.yaml|go\.mod)(?:/[A-Za-z0-9_.-]+)*/?)(?::[0-9,-]+)?$`)
)

// buildOutputs are git-ignored paths a fresh clone lacks until a build.
var buildOutputs = []string{"functions/artifacts/dist/", "bin/", "dist/", "sdk/nodejs/node_modules/"}

// foreign are paths in other repositories, and Go module versions and tags,
// that look like ours: the docs and comments cite them as sources.
var foreign = []string{
	"internal/service/",     // terraform-provider-aws
	"internal/lambda/rie/",  // aws-lambda-runtime-interface-emulator
	"provider/resources.go", // pulumi-aws
	"sdk/go/aws/",           // pulumi-aws
	"sdk/go/common/",        // pulumi/pulumi
	"sdk/go/pulumi/",        // pulumi/pulumi
	"test/alternator/",      // scylladb/scylladb
	"sdk/v",                 // module major versions (sdk/v6) and the Go SDK's tags (sdk/vX.Y.Z)
}

// outside is a reference to the workspace beside the repository.
var outside = regexp.MustCompile(`shared/reference`)

func TestDocPathsExist(t *testing.T) {
	var problems []string
	for _, f := range markdownFiles(t) {
		problems = append(problems, checkMarkdown(t, f)...)
	}
	for _, f := range goFiles(t) {
		problems = append(problems, checkGoComments(t, f)...)
	}
	sort.Strings(problems)
	for _, p := range problems {
		t.Error(p)
	}
}

func markdownFiles(t *testing.T) []string {
	files := []string{"README.md", "CONTRIBUTING.md", "SECURITY.md"}
	docs, err := filepath.Glob(filepath.Join("docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	return append(files, docs...)
}

// goFiles are the repository's Go files, but for generated SDKs and
// installed dependencies.
func goFiles(t *testing.T) []string {
	var files []string
	err := filepath.WalkDir(".", func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules" || d.Name() == "sdk" || p == "bin" || p == "dist") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".go") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func checkMarkdown(t *testing.T, file string) []string {
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var problems []string
	for i, line := range strings.Split(string(raw), "\n") {
		where := file + ":" + itoa(i+1)
		if outside.MatchString(line) {
			problems = append(problems, where+": names a file outside the repository")
		}
		for _, m := range mdLink.FindAllStringSubmatch(line, -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "#") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			target, _, _ = strings.Cut(target, "#")
			p := filepath.Join(filepath.Dir(file), target)
			if rel, err := filepath.Rel(".", p); err != nil || strings.HasPrefix(rel, "..") {
				problems = append(problems, where+": link "+m[1]+" leaves the repository")
				continue
			}
			if !exists(p) {
				problems = append(problems, where+": link "+m[1]+" names no file")
			}
		}
		for _, m := range backticked.FindAllStringSubmatch(line, -1) {
			if w := wholePath.FindStringSubmatch(m[1]); w != nil && !isForeign(w[1]) && !exists(w[1]) {
				problems = append(problems, where+": `"+m[1]+"` names no file")
			}
		}
	}
	return problems
}

func checkGoComments(t *testing.T, file string) []string {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, nil, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	var problems []string
	for _, g := range f.Comments {
		for _, c := range g.List {
			if outside.MatchString(c.Text) {
				problems = append(problems, file+":"+itoa(fset.Position(c.Pos()).Line)+": comment names a file outside the repository")
			}
			for _, m := range repoPath.FindAllStringSubmatchIndex(c.Text, -1) {
				p := strings.TrimSuffix(c.Text[m[2]:m[3]], ".")
				if !isForeign(p) && !exists(p) {
					line := fset.Position(c.Pos()).Line + strings.Count(c.Text[:m[2]], "\n")
					problems = append(problems, file+":"+itoa(line)+": comment names "+p+", which does not exist")
				}
			}
		}
	}
	return problems
}

func isForeign(p string) bool {
	for _, f := range foreign {
		if strings.HasPrefix(p+"/", f) || strings.HasPrefix(p, f) {
			return true
		}
	}
	return false
}

func exists(p string) bool {
	p = filepath.Clean(p)
	for _, out := range buildOutputs {
		if strings.HasPrefix(filepath.ToSlash(p)+"/", out) {
			return true
		}
	}
	_, err := os.Stat(p)
	return err == nil
}

func itoa(n int) string { return strconv.Itoa(n) }

// The README stays a first page (issue 15): what it is, install, one example
// per language, the two commands and the docs table; the rest is in docs/.
func TestReadmeIsAFirstPage(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), "\n"); n > 150 {
		t.Errorf("README.md has %d lines: at most 150 (move the detail to docs/)", n)
	}
}

// testName is a Go test or fuzz target's name as the docs cite one.
var testName = regexp.MustCompile(`\b((?:Test|Fuzz)[A-Z][A-Za-z0-9_]*)\b`)

// Every test the docs cite as the proof of a claim exists (SECURITY.md links
// each claim to one): a renamed or deleted test fails here, not in a reader's
// hands. A test is a func TestX or FuzzX in a _test.go file of the tree.
func TestCitedTestsExist(t *testing.T) {
	defined := map[string]bool{}
	decl := regexp.MustCompile(`(?m)^func ((?:Test|Fuzz)[A-Za-z0-9_]*)\(`)
	for _, f := range goFiles(t) {
		if !strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range decl.FindAllStringSubmatch(string(b), -1) {
			defined[m[1]] = true
		}
	}
	if !defined["TestCitedTestsExist"] {
		t.Fatal("the walk found no tests")
	}
	for _, f := range markdownFiles(t) {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(raw), "\n") {
			for _, m := range testName.FindAllStringSubmatchIndex(line, -1) {
				name := line[m[2]:m[3]]
				if strings.HasPrefix(line[m[3]:], "{") {
					continue // a family, TestPython{BadInput,ForeignAlias}...
				}
				if !defined[name] {
					t.Errorf("%s:%d cites %s, which no _test.go file defines", f, i+1, name)
				}
			}
		}
	}
}
