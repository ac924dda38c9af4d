package main

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/artifacts"
)

func TestZipIsDeterministicAndLambdaReady(t *testing.T) {
	bootstrap := bytes.Repeat([]byte("\x7fELF not really"), 1000)
	var a, b bytes.Buffer
	if err := Zip(&a, bootstrap); err != nil {
		t.Fatal(err)
	}
	if err := Zip(&b, bootstrap); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("two zips of the same bootstrap differ")
	}
	r, err := zip.NewReader(bytes.NewReader(a.Bytes()), int64(a.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.File) != 1 || r.File[0].Name != "bootstrap" {
		t.Fatalf("want one file named bootstrap, got %v", r.File)
	}
	f := r.File[0]
	if f.Mode().Perm() != 0o755 || !f.Mode().IsRegular() {
		t.Fatalf("bootstrap mode %v, want -rwxr-xr-x", f.Mode())
	}
	if !f.Modified.Equal(FixedModTime) {
		t.Fatalf("modified %v, want the fixed %v", f.Modified, FixedModTime)
	}
	rc, err := f.Open()
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	if !bytes.Equal(got, bootstrap) {
		t.Fatal("bootstrap content changed in the zip")
	}
}

// The real thing: build the Lambdas twice, into different directories, and
// compare. The second build uses an empty build cache, so that it really
// compiles again instead of returning the first build's cached binary; that
// makes this test take a while.
func TestTwoBuildsAreByteIdentical(t *testing.T) {
	if testing.Short() {
		t.Skip("builds every Lambda twice")
	}
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	var reports [2]strings.Builder
	var dirs [2]string
	for i := range dirs {
		dirs[i] = t.TempDir()
		// A stale artifact of a Lambda that no longer exists must not be shipped.
		if err := os.WriteFile(filepath.Join(dirs[i], "gone.zip"), []byte("old"), 0o644); err != nil {
			t.Fatal(err)
		}
		if i == 1 {
			extraEnv = []string{"GOCACHE=" + t.TempDir()}
			t.Cleanup(func() { extraEnv = nil })
		}
		if err := run(dirs[i], &reports[i]); err != nil {
			t.Fatal(err)
		}
	}
	pkgs, err := lambdaPackages(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) == 0 {
		t.Fatal("no Lambda packages found")
	}
	for _, pkg := range pkgs {
		name := filepath.Base(pkg) + ".zip"
		a, err := os.ReadFile(filepath.Join(dirs[0], name))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(dirs[1], name))
		if err != nil {
			t.Fatal(err)
		}
		if sha256.Sum256(a) != sha256.Sum256(b) {
			// (Also happens if the sources were edited while the test ran.)
			t.Fatalf("%s differs between two builds", name)
		}
		t.Logf("%s: %d bytes", name, len(a))
	}
	for i := range dirs {
		if _, err := os.Stat(filepath.Join(dirs[i], "gone.zip")); !os.IsNotExist(err) {
			t.Fatalf("stale gone.zip not removed: %v", err)
		}
	}
	if reports[0].String() != strings.ReplaceAll(reports[1].String(), dirs[1], dirs[0]) {
		t.Fatalf("reports differ:\n%s\n%s", reports[0].String(), reports[1].String())
	}
	t.Log(reports[0].String())
}

// artifacts.Lambdas (the names a test binary gets placeholders for) are the
// Lambdas this command builds.
func TestArtifactsListsEveryLambda(t *testing.T) {
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	pkgs, err := lambdaPackages(root)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range pkgs {
		names = append(names, path.Base(p))
	}
	if !slices.Equal(names, artifacts.Lambdas) {
		t.Fatalf("functions/ has Lambdas %v, functions/artifacts.Lambdas says %v", names, artifacts.Lambdas)
	}
}
