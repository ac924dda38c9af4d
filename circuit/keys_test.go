package circuit_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
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
	for _, ok := range []string{"stripe", "a", "eu-west-1:acme.payments_v2", "with space", "Acme", "café", "cafe\u0301", "😃", "*", "?", "[a]", "$.x",
		strings.Repeat("k", 2048-len("svc#")), strings.Repeat("é", (2048-len("svc#"))/2)} {
		if err := circuit.ValidateKey("svc", ok); err != nil {
			t.Errorf("ValidateKey(%.20q) = %v, want nil", ok, err)
		}
	}
	for _, bad := range []struct{ key, want string }{
		{"", "empty"},
		{"a#b", `contains "#"`},
		{`a\b`, "backslash"},
		{"a\x00b", "U+0000"},
		{"\x1b[31m", "U+001B"},
		{"a\nb", "U+000A"},
		{"a\x7f", "U+007F"},
		{"a\u009b", "U+009B"},
		{"a\u2028", "U+2028"},
		{" a", "starts or ends with a space"},
		{"a ", "starts or ends with a space"},
		{"a\xffb", "not UTF-8"},
		{strings.Repeat("k", 2048-len("svc#")+1), "2048-byte partition key"},
		{strings.Repeat("é", (2048-len("svc#"))/2) + "k", "2048-byte partition key"},
	} {
		err := circuit.ValidateKey("svc", bad.key)
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("ValidateKey(%.20q) = %v, want an error saying %q", bad.key, err, bad.want)
		}
	}
	if got := circuit.MaxKeyBytes("svc"); got != 2044 {
		t.Errorf("MaxKeyBytes = %d", got)
	}
	if got := circuit.ItemKey("svc", "stripe"); got != "svc#stripe" {
		t.Errorf("ItemKey = %q", got)
	}
	if got := circuit.ItemKey("svc", ""); got != "svc" {
		t.Errorf("ItemKey of no key = %q, want the breaker's own item", got)
	}
}

// KeyControls is what the state machine refuses with one StringMatches each:
// exactly the runes IsKeyControl refuses, every line terminator among them
// (ECMAScript's and Java's: '*' may not span them in a matcher).
func TestKeyControls(t *testing.T) {
	rs := circuit.KeyControls()
	if len(rs) != 32+1+32+2 {
		t.Errorf("%d controls: %U", len(rs), rs)
	}
	for _, r := range []rune{'\n', '\r', 0x85, 0x2028, 0x2029, 0, 0x1b, 0x7f, 0x9b} {
		if !circuit.IsKeyControl(r) {
			t.Errorf("%U is not refused", r)
		}
	}
	for _, r := range []rune{' ', 'a', 0xa0, 0xff, 0x200b, 0xfeff, '😃'} {
		if circuit.IsKeyControl(r) {
			t.Errorf("%U is refused", r)
		}
	}
}

// ValidateKey reads a key from a caller's JSON or a command line: it never
// panics, what it accepts is a valid DynamoDB string that fits and that
// satisfies the rule's invariants (read here without StringMatches), and
// what it refuses it refuses naming the rule or the limit. The seeds are the
// hostile keys of component/statemachine's TestPerKeyHostileKeys.
func FuzzValidateKey(f *testing.F) {
	for _, s := range []string{"acme", "", "a#b", "a\x00", "\xff", strings.Repeat("é", 1100), " a", "a\u2028",
		"\x1b[31macme", "acme\nforged row", "a\n#b", "acme\r", "ac\tme", "acme\x7f", "acme\u009b31m", "acme\u0085",
		"\u2029acme", "acme ", " ", "#", `a\b`, `\`, "acme corp", "AcMe", "cafe\u0301", "*", "?", "[a]", "$.provider", "😃",
		`*\*`, "\\*", strings.Repeat("k", circuit.MaxKeyBytes("orders")), strings.Repeat("k", circuit.MaxKeyBytes("orders")+1),
		strings.Repeat("😃", circuit.MaxKeyBytes("orders")/4) + "k", "\u00a0", "\u200b", "\ufeff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		err := circuit.ValidateKey("orders", key)
		if err != nil {
			if msg := err.Error(); !strings.Contains(msg, circuit.KeyRule) && !strings.Contains(msg, "2048-byte partition key") {
				t.Errorf("ValidateKey(%q) = %v: names neither the rule nor the limit", key, err)
			}
			return
		}
		if !utf8.ValidString(key) || len(circuit.ItemKey("orders", key)) > circuit.MaxItemKeyBytes || key == "" ||
			strings.ContainsAny(key, "#\\") || strings.IndexFunc(key, circuit.IsKeyControl) >= 0 ||
			strings.HasPrefix(key, " ") || strings.HasSuffix(key, " ") {
			t.Errorf("ValidateKey accepted %q", key)
		}
		if svc, k := circuit.SplitItemKey(circuit.ItemKey("orders", key)); svc != "orders" || k != key {
			t.Errorf("the item key of %q splits into %q, %q", key, svc, k)
		}
	})
}
