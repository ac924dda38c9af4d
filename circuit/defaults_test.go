package circuit

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The circuit's defaults are declared in defaults.go and nowhere else: the
// component, statemachine.Config and the Lambdas read them from here.
func TestDefaultsAreDeclaredOnce(t *testing.T) {
	decl := regexp.MustCompile(`(?m)^\s*Default(FailureThreshold|HalfOpenMaxCalls|SuccessThreshold|OpenDurationSeconds|MaxOpenDurationSeconds|OpenBackoffMultiplier|HealthcheckUnhealthyThreshold)\s*(=|int|float64)`)
	root := ".."
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "sdk" || d.Name() == "node_modules" || d.Name() == "bin") && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || path == filepath.Join(root, "circuit", "defaults.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range decl.FindAllString(string(b), -1) {
			t.Errorf("%s declares %s: use circuit's (circuit/defaults.go)", path, strings.TrimSpace(m))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestRanges(t *testing.T) {
	r := Range{1, 100}
	if !r.Contains(1) || !r.Contains(100) || r.Contains(0) || r.Contains(101) || r.String() != "1 to 100" {
		t.Errorf("%s", r)
	}
	if (ProbePolicy{MaxCalls: HalfOpenMaxCallsRange.Max + 1, Timeout: 1}).Validate() == nil {
		t.Error("ProbePolicy accepts more probes than HalfOpenMaxCallsRange")
	}
	if (HealthcheckPolicy{UnhealthyThreshold: HealthcheckUnhealthyThresholdRange.Max + 1}).Validate() == nil {
		t.Error("HealthcheckPolicy accepts a threshold above HealthcheckUnhealthyThresholdRange")
	}
}
