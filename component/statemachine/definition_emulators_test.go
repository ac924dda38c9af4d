//go:build emulators

package statemachine

import (
	"strings"
	"testing"
)

func TestASLValidator(t *testing.T) {
	bin := aslValidator(t)
	for name, cfg := range validatorConfigs() {
		t.Run(name, func(t *testing.T) {
			def, err := Definition(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if out, err := validate(t, bin, def); err != nil {
				t.Fatalf("asl-validator rejected the definition (%v):\n%s\n%s", err, out, def)
			}
		})
	}
	// The validator must be able to fail, or the checks above prove nothing.
	t.Run("negative control", func(t *testing.T) {
		def, _ := Definition(validConfig())
		broken := strings.Replace(def, `"Next": "CheckCircuit"`, `"Next": "NoSuchState"`, 1)
		if broken == def {
			t.Fatal("the negative control did not change the definition")
		}
		if out, err := validate(t, bin, broken); err == nil {
			t.Fatalf("asl-validator accepted a transition to a missing state:\n%s", out)
		}
	})
}
