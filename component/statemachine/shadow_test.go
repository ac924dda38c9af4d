package statemachine

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// Shadow mode's definition is the enforcing one with every rejection sent to
// CountWouldReject, and nothing else changed: for each configuration of
// validatorConfigs, every state of the enforcing definition that is not a
// rejection (a CircuitOpen or CircuitUnavailable Fail state, the fallback)
// is in the shadow definition, identical once its transitions
// to a rejection are read as transitions to CountWouldReject; the shadow
// definition adds only CountWouldReject and InvokeWouldReject.
func TestShadowDefinitionIsEnforcingWithRejectionsRedirected(t *testing.T) {
	for name, cfg := range validatorConfigs() {
		if cfg.Shadow {
			continue
		}
		t.Run(name, func(t *testing.T) {
			enforcing, shadow := states(t, cfg), states(t, shadowOf(cfg))
			rejections := map[string]bool{}
			for n, s := range enforcing {
				var st struct{ Type, Error string }
				if err := json.Unmarshal(s, &st); err != nil {
					t.Fatal(err)
				}
				if st.Type == "Fail" && (st.Error == ErrorCircuitOpen || st.Error == ErrorCircuitUnavailable) ||
					n == StateInvokeFallback {
					rejections[n] = true
				}
			}
			if len(rejections) == 0 {
				t.Fatal("no rejection found")
			}
			for n, s := range enforcing {
				if rejections[n] {
					if _, ok := shadow[n]; ok {
						t.Errorf("the rejection %s is still in the shadow definition", n)
					}
					continue
				}
				want := redirect(t, s, rejections)
				got, ok := shadow[n]
				if !ok {
					t.Errorf("%s is missing from the shadow definition", n)
					continue
				}
				var g any
				if err := json.Unmarshal(got, &g); err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(g, want) {
					t.Errorf("%s differs beyond its rejections:\n enforcing, redirected %v\n shadow                %v", n, want, g)
				}
			}
			for n := range shadow {
				if _, ok := enforcing[n]; !ok && n != StateCountWouldReject && n != StateInvokeWouldReject {
					t.Errorf("the shadow definition adds %s", n)
				}
			}
			for _, n := range []string{StateCountWouldReject, StateInvokeWouldReject} {
				if _, ok := shadow[n]; !ok {
					t.Errorf("the shadow definition has no %s", n)
				}
			}
		})
	}
}

func states(t *testing.T, cfg Config) map[string]json.RawMessage {
	t.Helper()
	def, err := Definition(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var d struct{ States map[string]json.RawMessage }
	if err := json.Unmarshal([]byte(def), &d); err != nil {
		t.Fatal(err)
	}
	return d.States
}

// redirect is the state with every "Next" and "Default" naming a rejection
// replaced by CountWouldReject, at any depth (Choices, Catch).
func redirect(t *testing.T, raw json.RawMessage, rejections map[string]bool) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	var walk func(any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if s, ok := e.(string); ok && (k == "Next" || k == "Default") && rejections[s] {
					x[k] = StateCountWouldReject
					continue
				}
				x[k] = walk(e)
			}
		case []any:
			for i := range x {
				x[i] = walk(x[i])
			}
		}
		return v
	}
	return walk(v)
}

// Shadow mode's worst case is enforcing mode's (the EXPRESS 300 s check at
// preview applies to it as is): its longest would-reject path (an election
// whose controller call fails, the claim's release, the count, the
// downstream) is shorter than the probe's path that bounds both (an election,
// the probe, the controller's reopen).
func TestShadowWorstCase(t *testing.T) {
	for name, cfg := range validatorConfigs() {
		if cfg.Shadow {
			continue
		}
		e, err := WorstCaseOf(cfg)
		if err != nil {
			t.Fatal(err)
		}
		s, err := WorstCaseOf(shadowOf(cfg))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		through, _ := s.Through(StateInvokeWouldReject)
		t.Logf("%s: worst case %d s enforcing, %d s in shadow mode (%s); through a would-reject %d s", name, e.Seconds(), s.Seconds(), pathNames(s.Path()), through)
		if s.Seconds() != e.Seconds() {
			t.Errorf("%s: shadow mode's worst case %d s, enforcing %d s", name, s.Seconds(), e.Seconds())
		}
		if through > s.Seconds() {
			t.Errorf("%s: through %s %d s, more than the worst case %d s", name, StateInvokeWouldReject, through, s.Seconds())
		}
	}
}

func pathNames(steps []Step) string {
	var names []string
	for _, s := range steps {
		names = append(names, s.State)
	}
	return strings.Join(names, ",")
}
