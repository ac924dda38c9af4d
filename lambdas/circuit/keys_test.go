package circuit_test

import (
	"strings"
	"testing"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/lambdas/circuit"
)

// GoverningCases are the combinations of a breaker's item and a key's item,
// with the scope that governs; component/statemachine's execution tests run
// the same table through the definition's SelectCircuit.
func TestGoverning(t *testing.T) {
	alarm := circuit.AlarmStatus{State: circuit.AlarmStateAlarm}
	cases := []struct {
		name         string
		breaker, key circuit.Circuit
		want         circuit.Scope
	}{
		{"both absent: the key's (closed) circuit", circuit.Circuit{}, circuit.Circuit{}, circuit.ScopeKey},
		{"key open, breaker closed: the key's", circuit.Circuit{State: circuit.Closed}, circuit.Circuit{State: circuit.Open}, circuit.ScopeKey},
		{"breaker opened by an alarm holds every key", circuit.Circuit{State: circuit.Open}, circuit.Circuit{}, circuit.ScopeBreaker},
		{"breaker half-open: its probes decide for every key", circuit.Circuit{State: circuit.HalfOpen}, circuit.Circuit{State: circuit.Open}, circuit.ScopeBreaker},
		{"healthcheck alarm holds every key", circuit.Circuit{Healthcheck: alarm}, circuit.Circuit{}, circuit.ScopeBreaker},
		{"breaker-wide override", circuit.Circuit{Override: circuit.ForcedOpen}, circuit.Circuit{State: circuit.Open}, circuit.ScopeBreaker},
		{"a named key's override wins over the breaker", circuit.Circuit{Override: circuit.ForcedOpen}, circuit.Circuit{Override: circuit.ForcedClosed}, circuit.ScopeKey},
		{"a named key's override wins over an alarm", circuit.Circuit{State: circuit.Open}, circuit.Circuit{Override: circuit.ForcedOpen}, circuit.ScopeKey},
		// Issue 14 item 22: as SelectCircuit, which compares with the two
		// known values only.
		{"a key's unknown override is none", circuit.Circuit{State: circuit.Open}, circuit.Circuit{Override: "forced_open"}, circuit.ScopeBreaker},
		{"the breaker's unknown override is none", circuit.Circuit{Override: "MAINTENANCE"}, circuit.Circuit{State: circuit.Open}, circuit.ScopeKey},
	}
	for _, c := range cases {
		if got := circuit.Governing(c.breaker, c.key); got != c.want {
			t.Errorf("%s: Governing = %s, want %s", c.name, got, c.want)
		}
	}
}

func TestValidateKey(t *testing.T) {
	for _, ok := range []string{"stripe", "a", "eu-west-1:acme.payments_v2", "with space", strings.Repeat("k", 2048-len("svc#"))} {
		if err := circuit.ValidateKey("svc", ok); err != nil {
			t.Errorf("ValidateKey(%.20q) = %v, want nil", ok, err)
		}
	}
	for _, bad := range []struct{ key, want string }{
		{"", "empty"},
		{"a#b", `contains "#"`},
		{strings.Repeat("k", 2048-len("svc#")+1), "2048-byte partition key"},
	} {
		err := circuit.ValidateKey("svc", bad.key)
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("ValidateKey(%.20q) = %v, want an error saying %q", bad.key, err, bad.want)
		}
	}
	if got := circuit.ItemKey("svc", "stripe"); got != "svc#stripe" {
		t.Errorf("ItemKey = %q", got)
	}
	if got := circuit.ItemKey("svc", ""); got != "svc" {
		t.Errorf("ItemKey of no key = %q, want the breaker's own item", got)
	}
}
