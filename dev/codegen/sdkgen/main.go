// Command sdkgen generates the TypeScript, Python and Go SDKs (sdk/) from
// schema.yaml with Pulumi's own code generators, called as a library.
//
// Why not `pulumi package gen-sdk`: it needs the language hosts' plugins (the
// Python one runs a script only a full Pulumi install has), and it binds the
// schema's references to the aws package by starting the aws plugin. Here the
// generators run in process and the references bind to dev/codegen/awsschema
// (the aws types the schema references), which carries pulumi-aws's real language settings, so generated
// code imports @pulumi/aws, pulumi_aws and github.com/pulumi/pulumi-aws/sdk/v6
// exactly as with the real schema. The output is a pure function of schema.yaml
// and this tool's dependencies, so CI can diff it (make check-sdks).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/blang/semver"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/codegen/awsschema"
	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	"github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"
	"github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
	"gopkg.in/yaml.v3"
)

// tool names the generator in every generated file's header.
const tool = "circuitbreaker-sdkgen"

// keep are build outputs and local installs inside an SDK directory: they are
// git-ignored, and regenerating must not throw them away.
var keep = []string{"node_modules", "bin", "build", "dist", "__pycache__", ".venv"}

func main() {
	schemaPath := flag.String("schema", "schema.yaml", "package schema (YAML or JSON)")
	out := flag.String("out", "sdk", "output directory: <out>/nodejs, <out>/python, <out>/go and <out>/go.mod")
	langs := flag.String("languages", "nodejs,python,go", "comma-separated languages to generate")
	tidy := flag.Bool("tidy", true, "run `go mod tidy` on the Go SDK's go.mod (writes go.sum)")
	flag.Parse()
	if err := run(*schemaPath, *out, strings.Split(*langs, ","), *tidy); err != nil {
		fmt.Fprintf(os.Stderr, "sdkgen: %v\n", err)
		os.Exit(1)
	}
}

func run(schemaPath, out string, langs []string, tidy bool) error {
	raw, err := os.ReadFile(schemaPath)
	if err != nil {
		return err
	}
	for _, lang := range langs {
		// Each generator records its language info in the bound package, so
		// every language binds its own copy.
		pkg, loader, err := bind(raw)
		if err != nil {
			return err
		}
		var files map[string][]byte
		dir := filepath.Join(out, lang)
		switch lang {
		case "nodejs":
			files, err = nodejs.GeneratePackage(tool, pkg, nil, nil, false, loader)
		case "python":
			files, err = python.GeneratePackage(tool, pkg, nil, loader)
			if readme, ok := files[pythonPackage(pkg)+"/README.md"]; ok && err == nil {
				// pyproject.toml names README.md beside it; the generator only
				// writes the one inside the package.
				files["README.md"] = readme
			}
		case "go":
			files, err = gogen.GeneratePackage(tool, pkg, nil)
			if readme := goReadme(raw); readme != "" && err == nil {
				// Go's generator writes no README; the schema carries one
				// for it (provider/sdkreadme.go), beside the package's code.
				files[path.Base(goImportBase(pkg))+"/README.md"] = []byte(readme)
			}
		default:
			return fmt.Errorf("unknown language %q", lang)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", lang, err)
		}
		if err := replaceTree(dir, files); err != nil {
			return fmt.Errorf("%s: %w", lang, err)
		}
		if lang == "go" {
			if err := writeGoMod(out, pkg, tidy); err != nil {
				return err
			}
		}
	}
	return nil
}

// goReadme is the schema's language.go.readme, a key of this repository's
// (Pulumi's GoPackageInfo has none, and ignores it): the Go SDK's README.
func goReadme(raw []byte) string {
	var spec struct {
		Language struct {
			Go struct {
				Readme string `json:"readme"`
			} `json:"go"`
		} `json:"language"`
	}
	if err := decode(raw, &spec); err != nil {
		return ""
	}
	return spec.Language.Go.Readme
}

func goImportBase(pkg *schema.Package) string {
	info, _ := pkg.Language["go"].(gogen.GoPackageInfo)
	return info.ImportBasePath
}

func pythonPackage(pkg *schema.Package) string {
	if info, ok := pkg.Language["python"].(python.PackageInfo); ok && info.PackageName != "" {
		return info.PackageName
	}
	return python.PyPack(pkg.Namespace, pkg.Name)
}

// bind parses and binds the schema, resolving the aws references against
// dev/codegen/awsschema.
func bind(raw []byte) (*schema.Package, schema.ReferenceLoader, error) {
	var spec schema.PackageSpec
	if err := decode(raw, &spec); err != nil {
		return nil, nil, fmt.Errorf("schema: %w", err)
	}
	var awsSpec schema.PackageSpec
	if err := json.Unmarshal(awsschema.JSON(), &awsSpec); err != nil {
		return nil, nil, fmt.Errorf("aws schema (dev/codegen/awsschema): %w", err)
	}
	loader := &fixedLoader{specs: map[string]schema.PackageSpec{"aws": awsSpec}, bound: map[string]*schema.Package{}}
	pkg, diags, err := schema.BindSpec(spec, loader, schema.ValidationOptions{})
	if err != nil {
		return nil, nil, err
	}
	if diags.HasErrors() {
		return nil, nil, fmt.Errorf("schema: %s", diags.Error())
	}
	return pkg, loader, nil
}

// decode reads YAML or JSON into v through JSON, so that the spec's json tags
// and custom unmarshalers apply whichever format the file is in.
func decode(raw []byte, v any) error {
	var doc any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return err
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// fixedLoader serves packages from specs held in memory; nothing is downloaded
// and no plugin is started.
type fixedLoader struct {
	specs map[string]schema.PackageSpec
	bound map[string]*schema.Package
}

func (l *fixedLoader) LoadPackage(name string, version *semver.Version) (*schema.Package, error) {
	return l.LoadPackageV2(context.Background(), &schema.PackageDescriptor{Name: name, Version: version})
}

func (l *fixedLoader) LoadPackageV2(_ context.Context, d *schema.PackageDescriptor) (*schema.Package, error) {
	if p, ok := l.bound[d.Name]; ok {
		return p, nil
	}
	spec, ok := l.specs[d.Name]
	if !ok {
		return nil, fmt.Errorf("package %s is not known to sdkgen (only %v)", d.Name, slices.Sorted(mapsKeys(l.specs)))
	}
	if d.Version != nil && spec.Version != d.Version.String() {
		return nil, fmt.Errorf("the schema references %s@%s, but dev/codegen/awsschema's is %s: keep awsschema.Version and provider.AWSVersion equal",
			d.Name, d.Version, spec.Version)
	}
	p, diags, err := schema.BindSpec(spec, l, schema.ValidationOptions{})
	if err != nil {
		return nil, err
	}
	if diags.HasErrors() {
		return nil, fmt.Errorf("%s schema: %s", d.Name, diags.Error())
	}
	l.bound[d.Name] = p
	return p, nil
}

func (l *fixedLoader) LoadPackageReference(name string, version *semver.Version) (schema.PackageReference, error) {
	return l.LoadPackageReferenceV2(context.Background(), &schema.PackageDescriptor{Name: name, Version: version})
}

func (l *fixedLoader) LoadPackageReferenceV2(ctx context.Context, d *schema.PackageDescriptor) (schema.PackageReference, error) {
	p, err := l.LoadPackageV2(ctx, d)
	if err != nil {
		return nil, err
	}
	return p.Reference(), nil
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// replaceTree makes dir hold exactly files, apart from the build outputs in
// keep: files the schema no longer produces (a removed input's type, say) go.
func replaceTree(dir string, files map[string][]byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == dir {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			if slices.Contains(keep, d.Name()) || strings.HasSuffix(d.Name(), ".egg-info") {
				return filepath.SkipDir
			}
			return nil
		}
		if _, ok := files[filepath.ToSlash(rel)]; !ok {
			return os.Remove(p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, name := range slices.Sorted(mapsKeys(files)) {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if old, err := os.ReadFile(p); err == nil && bytes.Equal(old, files[name]) {
			continue // keep mtimes, so make and npm see nothing new
		}
		if err := os.WriteFile(p, files[name], 0o644); err != nil {
			return err
		}
	}
	return removeEmptyDirs(dir)
}

func removeEmptyDirs(dir string) error {
	var dirs []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != dir && (slices.Contains(keep, d.Name()) || strings.HasSuffix(d.Name(), ".egg-info")) {
				return filepath.SkipDir
			}
			dirs = append(dirs, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for i := len(dirs) - 1; i > 0; i-- {
		if entries, err := os.ReadDir(dirs[i]); err == nil && len(entries) == 0 {
			if err := os.Remove(dirs[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeGoMod gives the Go SDK the go.mod Pulumi's generator leaves out. The
// module is <out> (e.g. .../sdk), so the import path from the schema's
// importBasePath (.../sdk/go/circuitbreaker) resolves inside it, and a git tag
// sdk/vX.Y.Z versions it. The Pulumi and aws SDK versions are the ones this
// repository builds the provider with.
func writeGoMod(out string, pkg *schema.Package, tidy bool) error {
	info, _ := pkg.Language["go"].(gogen.GoPackageInfo)
	base := info.ImportBasePath
	i := strings.LastIndex(base, "/go/")
	if i < 0 {
		return fmt.Errorf("go importBasePath %q has no /go/ segment to place go.mod above", base)
	}
	module := base[:i]
	if path.Base(module) != filepath.Base(filepath.Clean(out)) {
		return fmt.Errorf("go importBasePath %q puts the module root at %s, but the SDK is written to %s", base, module, out)
	}
	pulumiSDK, err := depVersion("github.com/pulumi/pulumi/sdk/v3")
	if err != nil {
		return err
	}
	awsSDK, err := depVersion("github.com/pulumi/pulumi-aws/sdk/v6")
	if err != nil {
		return err
	}
	mod := fmt.Sprintf(`// Generated by make sdks (dev/codegen/sdkgen). Do not edit.
module %s

go 1.25

require (
	github.com/pulumi/pulumi-aws/sdk/v6 %s
	github.com/pulumi/pulumi/sdk/v3 %s
)
`, module, awsSDK, pulumiSDK)
	goMod := filepath.Join(out, "go.mod")
	if err := os.WriteFile(goMod, []byte(mod), 0o644); err != nil {
		return err
	}
	if !tidy {
		return nil
	}
	cmd := exec.Command("go", "mod", "tidy")
	cmd.Dir = out
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go mod tidy in %s: %w", out, err)
	}
	return nil
}

// depVersion is the version of module in this repository's go.mod (sdkgen runs
// from the repository root), so the SDK never drifts from what the provider is
// built with.
func depVersion(module string) (string, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Version}}", module).Output()
	if err != nil {
		return "", fmt.Errorf("go list -m %s: %w", module, err)
	}
	return strings.TrimSpace(string(out)), nil
}
