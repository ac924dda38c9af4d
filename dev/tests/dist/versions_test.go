//go:build dist

package dist

import (
	"os/exec"
	"strings"
	"testing"
)

// TestCheckVersions: `make check-versions` passes on the committed tree and,
// given a VERSION no committed file has, fails naming every file that carries
// a version, so that none of them can drift from the Makefile's VERSION
// unnoticed.
func TestCheckVersions(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Fatal("make is needed (the repository's build)")
	}
	run := func(args ...string) (string, error) {
		cmd := exec.Command("make", append([]string{"--no-print-directory", "-s", "check-versions"}, args...)...)
		cmd.Dir = repo
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := run(); err != nil {
		t.Fatalf("make check-versions on the committed tree: %v\n%s", err, out)
	}
	out, err := run("VERSION=0.0.0-never")
	if err == nil {
		t.Fatalf("make check-versions VERSION=0.0.0-never passed:\n%s", out)
	}
	for _, f := range []string{
		"provider/provider.go",
		"cmd/circuitctl/main.go",
		"schema.yaml",
		"sdk/nodejs/package.json has",
		"sdk/nodejs/package.json (pulumi.version)",
		"sdk/python/pyproject.toml",
		"sdk/python/pulumi_circuitbreaker/pulumi-plugin.json",
		"sdk/go/circuitbreaker/pulumi-plugin.json",
		"sdk/go/circuitbreaker/internal/pulumiUtilities.go",
	} {
		if !strings.Contains(out, f) {
			t.Errorf("make check-versions with a wrong VERSION does not name %s:\n%s", f, out)
		}
	}
}
