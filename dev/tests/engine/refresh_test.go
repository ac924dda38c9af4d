//go:build engine

package engine

// A refresh and a Region other than us-east-1 through the engine (issue 14,
// items 25 and 26). After `pulumi refresh` the stand-in read back objects it
// had keyed by name (two aliases `live` were one) and every preview then
// failed; and it put every ARN in us-east-1 whatever aws:region said. The
// main stacks (Go, TypeScript, Python), the YAML project and the sharing
// stacks refresh after their second preview, and the preview after the
// refresh must change nothing; the YAML project runs in eu-west-1.
//
// In make fidelity (the real provider on moto) the refresh is off, and the
// Region stays moto's: a refresh reads every resource back from moto, so any
// attribute moto drops (as it did a Lambda function's LoggingConfig,
// docs/fidelity.md) would show as drift, and make fidelity could not be run
// where this was written to find out. One fidelity run can turn it on.

import (
	"encoding/json"
	"strings"
	"testing"
)

// otherRegion is the YAML project's aws:region.
const otherRegion = "eu-west-1"

// refreshEnv asks a driver for the refresh and the preview after it.
func refreshEnv() []string {
	if fidelity != nil {
		return nil
	}
	return []string{"CIRCUITBREAKER_ENGINE_REFRESH=1"}
}

// refreshedPreviews is how many previews the refresh adds (for the Construct
// count).
func refreshedPreviews() int {
	if fidelity != nil {
		return 0
	}
	return 1
}

// refreshReport is what the drivers add to their report with
// CIRCUITBREAKER_ENGINE_REFRESH=1.
type refreshReport struct {
	Refresh *struct {
		Summary     map[string]int `json:"summary"`
		Diagnostics []diagnostic   `json:"diagnostics"`
	} `json:"refresh"`
	PreviewAfterRefresh *preview `json:"previewAfterRefresh"`
}

// checkRefresh: the refresh found every resource as it was (nothing
// updated, deleted or created), and the preview after it changes nothing.
func checkRefresh(t *testing.T, b []byte) {
	t.Helper()
	if fidelity != nil {
		return
	}
	var r refreshReport
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if r.Refresh == nil || r.PreviewAfterRefresh == nil {
		t.Fatal("the driver did not refresh (CIRCUITBREAKER_ENGINE_REFRESH=1)")
	}
	for op, n := range r.Refresh.Summary {
		if op != "same" && n != 0 {
			t.Errorf("refresh %v, want every resource the same", r.Refresh.Summary)
		}
	}
	for _, d := range r.Refresh.Diagnostics {
		if d.Severity == "error" || d.Severity == "warning" {
			t.Errorf("refresh %s: %s", d.Severity, d.Message)
		}
	}
	p := *r.PreviewAfterRefresh
	if len(p.ChangeSummary) != 1 || p.ChangeSummary["same"] == 0 {
		t.Errorf("preview after refresh %v, want no changes", p.ChangeSummary)
	}
	for _, st := range p.Steps {
		if st.Op != "same" {
			t.Errorf("preview after refresh: %s %s %v", st.Op, st.URN, st.Diffs)
		}
	}
	for _, d := range p.Diagnostics {
		if d.Severity == "error" {
			t.Errorf("preview after refresh: %s", d.Message)
		}
	}
}

// checkRegion: a stack whose aws:region is region exports ARNs in region
// (the stack's outputs and the breaker's, tableArn among them, from which
// `circuitctl --stack` reads the Region), and nothing in its state names
// another (us-east-1 was the stand-in's only Region). IAM ARNs have none.
func checkRegion(t *testing.T, region string, outputs map[string]any, s state) {
	t.Helper()
	arns := 0
	check := func(where string, v any) {
		str, _ := v.(string)
		if !strings.HasPrefix(str, "arn:") {
			return
		}
		parts := strings.SplitN(str, ":", 6)
		if len(parts) < 6 || parts[2] == "iam" {
			return
		}
		arns++
		if parts[3] != region {
			t.Errorf("%s = %s: Region %q, want the stack's %s", where, str, parts[3], region)
		}
	}
	for k, v := range outputs {
		check("stack output "+k, v)
	}
	for k, v := range s.component.Outputs {
		check("breaker output "+k, v)
	}
	if arns < 4 {
		t.Errorf("only %d Regional ARNs among the outputs", arns)
	}
	if _, ok := s.component.Outputs["tableArn"]; !ok {
		t.Error("the breaker has no tableArn output")
	}
	b, err := json.Marshal(s.all)
	if err != nil {
		t.Fatal(err)
	}
	if region != "us-east-1" && strings.Contains(string(b), "us-east-1") {
		i := strings.Index(string(b), "us-east-1")
		t.Errorf("the state of a stack in %s names us-east-1: ...%s...", region, string(b)[max(0, i-200):min(len(b), i+60)])
	}
}
