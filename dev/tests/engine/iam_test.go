//go:build engine

package engine

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The IAM guardrails of issue 16, item 1, as the engine sees them.
const (
	guardrailPath     = "/platform/circuit-breakers/"
	guardrailBoundary = "arn:aws:iam::123456789012:policy/platform/breaker-boundary"
)

// TestIAMGuardrailsThroughEngine: examples/yaml with iamRolePath and
// iamPermissionsBoundary set, previewed and deployed through the engine
// against the stand-in: the YAML host type-checks both against the schema,
// every aws:iam/role:Role the preview would create carries both, the
// stand-in's Check (its reference schema, standin.json, takes path and
// permissionsBoundary) accepts them, and the deployed roles' ARNs carry the
// path. The roles of the example itself (payments-fn) are the user's and
// carry neither.
func TestIAMGuardrailsThroughEngine(t *testing.T) {
	t.Parallel()
	e := newEngineEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), stackTimeout())
	defer cancel()
	dir := yamlProject(t, e, "project")
	program := filepath.Join(dir, "Pulumi.yaml")
	b, err := os.ReadFile(program)
	if err != nil {
		t.Fatal(err)
	}
	const anchor = "      serviceName: payments\n"
	if !strings.Contains(string(b), anchor) {
		t.Fatalf("examples/yaml/Pulumi.yaml no longer has %q", anchor)
	}
	withGuardrails := strings.Replace(string(b), anchor,
		anchor+"      iamRolePath: "+guardrailPath+"\n      iamPermissionsBoundary: "+guardrailBoundary+"\n", 1)
	if err := os.WriteFile(program, []byte(withGuardrails), 0o644); err != nil {
		t.Fatal(err)
	}
	c := cli{t: t, ctx: ctx, dir: dir, env: yamlEnv(t, e)}
	if fidelity != nil {
		m := startMoto(t, e.dir)
		c.env = append(c.env, m.environ(e.dir)...)
	}
	c.run(false, "stack", "init", "engine-test")

	var digest struct {
		Steps []struct {
			Op       string `json:"op"`
			URN      string `json:"urn"`
			NewState *struct {
				Type   string         `json:"type"`
				Inputs map[string]any `json:"inputs"`
			} `json:"newState"`
		} `json:"steps"`
	}
	out := c.run(false, "preview", "--json")
	if err := json.Unmarshal(out, &digest); err != nil {
		t.Fatalf("pulumi preview --json: %v\n%s", err, out)
	}
	roles := 0
	for _, s := range digest.Steps {
		if s.NewState == nil || s.NewState.Type != "aws:iam/role:Role" || !strings.Contains(s.URN, componentType+"$") {
			continue
		}
		roles++
		if s.Op != "create" {
			t.Errorf("%s: %s, want create", s.URN, s.Op)
		}
		checkGuardrails(t, s.URN, s.NewState.Inputs)
	}
	if roles < 7 {
		t.Fatalf("the preview would create %d of the breaker's roles, want at least 7:\n%s", roles, out)
	}
	t.Logf("preview: %d roles of the breaker, each with path %s and boundary %s", roles, guardrailPath, guardrailBoundary)

	c.run(false, "up", "--yes", "--skip-preview", "--json")
	var exported struct {
		Deployment struct {
			Resources []stateResource `json:"resources"`
		} `json:"deployment"`
	}
	if err := json.Unmarshal(c.run(false, "stack", "export"), &exported); err != nil {
		t.Fatal(err)
	}
	deployed := 0
	for _, r := range exported.Deployment.Resources {
		if r.Type != "aws:iam/role:Role" {
			continue
		}
		if !strings.Contains(r.Parent, componentType) {
			if _, set := r.Inputs["path"]; set {
				t.Errorf("the user's role %s got a path", r.URN)
			}
			continue
		}
		deployed++
		checkGuardrails(t, r.URN, r.Inputs)
		if fidelity == nil && !strings.Contains(r.out("arn"), ":role"+guardrailPath) {
			t.Errorf("%s's ARN %q does not carry the path", r.URN, r.out("arn"))
		}
	}
	if deployed != roles {
		t.Errorf("deployed %d of the breaker's roles, previewed %d", deployed, roles)
	}
	c.run(false, "destroy", "--yes", "--skip-preview")
	c.run(false, "stack", "rm", "--yes")
}

func checkGuardrails(t *testing.T, urn string, inputs map[string]any) {
	t.Helper()
	if got := inputs["path"]; got != guardrailPath {
		t.Errorf("%s: path %v, want %s", urn, got, guardrailPath)
	}
	if got := inputs["permissionsBoundary"]; got != guardrailBoundary {
		t.Errorf("%s: permissionsBoundary %v, want %s", urn, got, guardrailBoundary)
	}
}
