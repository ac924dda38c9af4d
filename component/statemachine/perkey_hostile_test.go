//go:build emulators

package statemachine

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/sfnlocal"
)

// Issue 14, items 1 to 4: per-key circuits when the keyed read fails, comes
// back partial or is throttled, and when the caller's key is hostile. The
// breaker's own item must govern whatever the key is and whatever DynamoDB
// answers; executed through the real definition, the real controller and
// dynalite (which counts key sizes in UTF-8 bytes, as DynamoDB does:
// dev/emulators/dynalite-key-size.cjs).

// breakerHold is a breaker-wide hold on the breaker's own item, and the state
// that rejects a call under it.
type breakerHold struct {
	name     string
	item     map[string]string
	rejectBy string
}

func heldBy() []breakerHold {
	return []breakerHold{
		{"an operator's forced open", map[string]string{circuit.AttrOverride: string(circuit.ForcedOpen)}, StateRejectForcedOpen},
		{"a healthcheck hold", map[string]string{circuit.AttrHealthcheckAlarm: string(circuit.AlarmStateAlarm), circuit.AttrState: string(circuit.Open), circuit.AttrOpenUntil: ts(time.Hour)}, StateRejectHealthcheckAlarm},
		{"an OPEN breaker item", map[string]string{circuit.AttrState: string(circuit.Open), circuit.AttrOpenUntil: ts(time.Hour)}, StateRejectOpen},
	}
}

// failModes are the two answers to a store error (Config.FailClosed).
var failModes = []struct {
	name   string
	closed bool
}{{"fail open", false}, {"fail closed", true}}

func newKeyedEnvFailing(t *testing.T, failClosed bool) *env {
	t.Helper()
	return newEnv(t, func(c *Config) {
		c.CircuitKey = "$.provider"
		c.FailureThreshold = 1
		c.FailClosed = failClosed
	})
}

// tooLong asserts the key was refused as invalid after DynamoDB refused its
// item key: one read (refused: nothing read), nothing written or invoked.
func tooLong(t *testing.T, r sfnlocal.Result) {
	t.Helper()
	if r.Status != "FAILED" || r.Error != ErrorInvalidCircuitKey {
		t.Fatalf("want FAILED %s, got %s", ErrorInvalidCircuitKey, r)
	}
	if last := r.States[len(r.States)-1]; last != StateRejectCircuitKeyTooLong {
		t.Errorf("ended in %s, want %s: %s", last, StateRejectCircuitKeyTooLong, statesOf(r))
	}
	for _, want := range []string{"$.provider", "too long", "2048 bytes", circuit.KeyRule, "not invoked"} {
		if !strings.Contains(r.Cause, want) {
			t.Errorf("cause %q does not say %q", r.Cause, want)
		}
	}
	budget(t, r, 0, 0, 1, 0)
}

// Item 1. A key DynamoDB refuses (its item key over 2048 bytes of UTF-8) used
// to make the read fail, and the call then failed open without reading the
// breaker's own item: an operator's forced open, a healthcheck hold or an OPEN
// breaker item was ignored and the downstream invoked. It is an invalid key:
// InvalidCircuitKey, nothing invoked, whatever holds the breaker and however
// store errors are answered.
func TestPerKeyTooLongKeyNeverBypassesTheBreaker(t *testing.T) {
	svc := validConfig().ServiceName
	keys := map[string]string{
		"2048 bytes":                       strings.Repeat("k", 2048),
		"one byte over (ASCII)":            strings.Repeat("k", circuit.MaxKeyBytes(svc)+1),
		"one byte over (2-byte chars)":     strings.Repeat("é", (circuit.MaxKeyBytes(svc)+1)/2),
		"3 bytes over (4-byte emoji)":      strings.Repeat("😃", circuit.MaxKeyBytes(svc)/4+1),
		"200 KB, within the input's quota": strings.Repeat("k", 200_000),
	}
	for _, mode := range failModes {
		t.Run(mode.name, func(t *testing.T) {
			e := newKeyedEnvFailing(t, mode.closed)
			for _, hold := range append(heldBy(), breakerHold{name: "no hold"}) {
				e.setItem(t, hold.item)
				for name, key := range keys {
					r := e.run(t, call(key, false), sfnlocal.Exec{})
					if r.LambdaInvocations != 0 {
						t.Fatalf("%s, key of %s: the downstream was invoked: %s", hold.name, name, r)
					}
					tooLong(t, r)
				}
			}
		})
	}
}

// Item 1, any other read error (a denial, a KMS key disabled, the table
// being throttled through the retries): the breaker's own item is read alone
// and decides if it holds every key (circuit.Governing's rule 2); otherwise
// the store error is answered as configured.
func TestPerKeyReadErrorLeavesTheBreakerInCharge(t *testing.T) {
	denied := sfnlocal.Fault{Error: ErrorDynamoDBSDKBase, Cause: "User: arn:aws:sts::123456789012:assumed-role/sm/x is not authorized to perform: dynamodb:BatchGetItem (Service: DynamoDb, Status Code: 400, Request ID: x)"}
	throttled := sfnlocal.Fault{Error: "DynamoDb.ThrottlingException", Cause: "Throughput exceeds the current capacity of your table or index. (Service: DynamoDb, Status Code: 400, Request ID: x)"}
	faults := map[string][]sfnlocal.Fault{
		"denied":                          {denied},
		"throttled through every attempt": {throttled, throttled, throttled},
	}
	for _, mode := range failModes {
		t.Run(mode.name, func(t *testing.T) {
			e := newKeyedEnvFailing(t, mode.closed)
			// The key's own item is closed, or absent: the read error is
			// what matters.
			for name, fs := range faults {
				for _, hold := range heldBy() {
					e.setItem(t, hold.item)
					r := e.run(t, call("acme", false), sfnlocal.Exec{InjectDynamoDB: fs})
					rejected(t, e, r, hold.rejectBy)
					if !strings.Contains(statesOf(r), "ReadCircuit,CheckReadError,ReadBreakerItem,CheckBreakerItem,UseBreakerItem,CheckCircuit") {
						t.Errorf("%s under %s: %s", name, hold.name, statesOf(r))
					}
					budget(t, r, 0, 0, 1, 0) // the injected faults reach no emulator
				}
				e.setItem(t, map[string]string{circuit.AttrState: string(circuit.Closed)})
				r := e.run(t, call("acme", false), sfnlocal.Exec{InjectDynamoDB: fs})
				if mode.closed {
					unavailable(t, r)
					budget(t, r, 0, 0, 1, 0)
				} else {
					admitted(t, r, `{"echoed": {"provider": "acme"}}`)
					if !strings.Contains(statesOf(r), "ReadBreakerItem,CheckBreakerItem,UseNewKeyCircuit,CheckCircuit,InvokeDownstream") {
						t.Errorf("%s, no hold: %s", name, statesOf(r))
					}
				}
			}
			// The breaker's item cannot be read either: the store error.
			e.setItem(t, heldBy()[0].item)
			r := e.run(t, call("acme", false), sfnlocal.Exec{InjectDynamoDB: []sfnlocal.Fault{denied, denied}})
			if mode.closed {
				unavailable(t, r)
			} else if !r.Succeeded() || r.LambdaInvocations != 1 {
				t.Errorf("nothing readable, failing open: %s", r)
			}
		})
	}
}

// Item 2. BatchGetItem succeeds with unread keys in UnprocessedKeys under
// throttling or an internal failure (API reference); read as "absent, so
// closed", that ignored every breaker-wide hold, and failClosed invoked the
// downstream. A partial read is a read error: the breaker's item is read
// again alone (with the read's retries) and holds; otherwise the store error
// is answered as configured.
func TestPerKeyPartialReadIsAReadError(t *testing.T) {
	for _, mode := range failModes {
		t.Run(mode.name, func(t *testing.T) {
			e := newKeyedEnvFailing(t, mode.closed)
			keyItem := circuit.ItemKey(e.cfg.ServiceName, "acme")
			unread := map[string][]string{
				"the breaker's item unread": {e.cfg.ServiceName},
				"the key's item unread":     {keyItem},
				"both unread":               {"*"},
			}
			for what, keys := range unread {
				for _, hold := range heldBy() {
					e.setItem(t, hold.item)
					r := e.run(t, call("acme", false), sfnlocal.Exec{UnprocessedKeys: [][]string{keys}})
					rejected(t, e, r, hold.rejectBy)
					if !strings.Contains(statesOf(r), "ReadCircuit,SortCircuits,ReadBreakerItem,CheckBreakerItem,UseBreakerItem") {
						t.Errorf("%s under %s: %s", what, hold.name, statesOf(r))
					}
					budget(t, r, 0, 0, 2, 0)
				}
				// No hold: the key's circuit is unknown.
				e.setItem(t, nil)
				e.setItemAt(t, keyItem, map[string]string{circuit.AttrState: string(circuit.Open), circuit.AttrOpenUntil: ts(time.Hour)})
				r := e.run(t, call("acme", false), sfnlocal.Exec{UnprocessedKeys: [][]string{keys}})
				if mode.closed {
					unavailable(t, r)
					budget(t, r, 0, 0, 2, 0)
				} else {
					// Failing open: the key's circuit counts as closed, as
					// when the read fails (docs/per-key.md).
					succeeded(t, r, `{"echoed": {"provider": "acme"}}`)
					budget(t, r, 1, 0, 2, 0)
				}
				e.setItemAt(t, keyItem, nil)
			}
			// The breaker's item read alone is throttled too, and retried
			// (DynamoDb.ThrottlingException: item 3): the hold still holds.
			throttled := sfnlocal.Fault{Error: "DynamoDb.ThrottlingException"}
			e.setItem(t, heldBy()[0].item)
			r := e.run(t, call("acme", false), sfnlocal.Exec{InjectDynamoDB: []sfnlocal.Fault{throttled, throttled, throttled, throttled, throttled}})
			rejected(t, e, r, StateRejectForcedOpen)
			if r.InjectedFaults != 5 || r.DynamoReads != 1 {
				t.Errorf("the read and the breaker's read, each through its retries: %s", r)
			}
		})
	}
}

// Item 3. DynamoDb.ThrottlingException (modelled by the SDK since 2025-08) is
// retried by the keyed read like the other throttling errors: the read then
// decides, here rejecting by the key's own OPEN item.
func TestPerKeyReadRetriesThrottlingException(t *testing.T) {
	e := newKeyedEnvFailing(t, false)
	e.setItemAt(t, circuit.ItemKey(e.cfg.ServiceName, "acme"), map[string]string{circuit.AttrState: string(circuit.Open), circuit.AttrOpenUntil: ts(time.Minute)})
	throttled := sfnlocal.Fault{Error: "DynamoDb.ThrottlingException", Cause: "Throughput exceeds the current capacity of your table or index. (Service: DynamoDb, Status Code: 400, Request ID: x)"}
	r := e.run(t, call("acme", false), sfnlocal.Exec{InjectDynamoDB: []sfnlocal.Fault{throttled, throttled}})
	rejected(t, e, r, StateRejectOpen)
	if r.InjectedFaults != 2 || !strings.HasPrefix(statesOf(r), "CheckCircuitKey,ResolveCircuitKey,ReadCircuit,SortCircuits,") {
		t.Errorf("throttled twice, then read: %s", r)
	}
	if !strings.Contains(statesOf(r), StateUseKeyCircuit) {
		t.Errorf("not the key's own circuit: %s", statesOf(r))
	}
}

// Item 4, the hostile-key suite (docs/per-key.md, "What a key may be"). Each
// key either gets a circuit of its own, compared exactly as DynamoDB compares
// keys (byte for byte: case and Unicode normalisation make other keys), or
// fails with InvalidCircuitKey before anything is read or invoked (a key too
// long for DynamoDB: after DynamoDB refused the one read). None is invoked
// under a breaker-wide hold, and the controller accepts exactly the keys the
// state machine lets through (circuit.ValidateKey).
func TestPerKeyHostileKeys(t *testing.T) {
	e := newKeyedEnvFailing(t, false)
	svc := e.cfg.ServiceName
	max := circuit.MaxKeyBytes(svc) // 2041 for "orders"

	refused := map[string]any{
		"NUL":                   "acme\x00",
		"ESC (terminal escape)": "\x1b[31macme",
		"newline":               "acme\nforged row",
		"two newlines":          "a\nb\nc",
		"newline then #":        "a\n#b",
		"CR":                    "acme\r",
		"tab":                   "ac\tme",
		"DEL":                   "acme\x7f",
		"C1 CSI":                "acme\u009b31m",
		"C1 NEL":                "acme\u0085",
		"line separator":        "acme\u2028",
		"paragraph separator":   "\u2029acme",
		"leading space":         " acme",
		"trailing space":        "acme ",
		"a space alone":         " ",
		"#":                     "#",
		"# inside":              "acme#eu",
		"empty":                 "",
	}
	notString := map[string]any{"number": 7, "boolean": true, "null": nil, "object": map[string]any{"id": "acme"}, "array": []any{"acme"}}
	tooLongKeys := map[string]string{
		"max+1 ASCII":                   strings.Repeat("k", max+1),
		"multi-byte, 1 byte over":       strings.Repeat("é", max/2) + "kk",
		"emoji, 3 bytes over":           strings.Repeat("😃", max/4+1),
		"200 KB":                        strings.Repeat("k", 200_000),
		"2048 UTF-16 units, 4096 bytes": strings.Repeat("é", 2048),
		"1021 UTF-16 units, 2042 bytes": strings.Repeat("é", 1021),
	}
	own := map[string]string{
		"max ASCII":                 strings.Repeat("k", max),
		"multi-byte at the limit":   strings.Repeat("é", max/2) + "k",
		"emoji at the limit":        strings.Repeat("😃", max/4) + "k",
		"inner space":               "acme corp",
		"mixed case":                "AcMe",
		"lower case":                "acme",
		"NFC é":                     "caf\u00e9",
		"NFD é":                     "cafe\u0301",
		"StringMatches' wildcard *": "*",
		"?":                         "?",
		"brackets":                  "[a]",
		"a JSONPath":                "$.provider",
		"non-BMP":                   "😃",
	}
	for name, k := range own {
		if err := circuit.ValidateKey(svc, k); err != nil {
			t.Fatalf("%s: ValidateKey refuses a key the state machine accepts: %v", name, err)
		}
	}

	// Refused before anything is read, under no hold and under a hold.
	for _, hold := range []breakerHold{{name: "no hold"}, heldBy()[0]} {
		e.setItem(t, hold.item)
		for name, k := range refused {
			r := e.run(t, call(k.(string), false), sfnlocal.Exec{})
			if r.Error != ErrorInvalidCircuitKey || r.States[len(r.States)-1] != StateRejectCircuitKeyInvalid {
				t.Errorf("%s (%q), %s: want %s from %s, got %s", name, k, hold.name, ErrorInvalidCircuitKey, StateRejectCircuitKeyInvalid, r)
				continue
			}
			budget(t, r, 0, 0, 0, 0)
			if err := circuit.ValidateKey(svc, k.(string)); err == nil {
				t.Errorf("%s: ValidateKey accepts a key the state machine refuses", name)
			}
			if k == "" {
				continue // the controller's "no key": the breaker's own item
			}
			if msg, ok := e.controlRefused(t, k.(string)); !ok {
				t.Errorf("%s: the controller accepted the key: %s", name, msg)
			}
		}
		for name, k := range notString {
			r := e.run(t, map[string]any{"provider": k}, sfnlocal.Exec{})
			if r.Error != ErrorInvalidCircuitKey || r.States[len(r.States)-1] != StateRejectCircuitKeyNotString {
				t.Errorf("%s, %s: got %s", name, hold.name, r)
			}
			budget(t, r, 0, 0, 0, 0)
		}
		for name, k := range tooLongKeys {
			r := e.run(t, call(k, false), sfnlocal.Exec{})
			if r.LambdaInvocations != 0 {
				t.Fatalf("%s, %s: invoked: %s", name, hold.name, r)
			}
			tooLong(t, r)
			if err := circuit.ValidateKey(svc, k); err == nil {
				t.Errorf("%s: ValidateKey accepts a key DynamoDB refuses", name)
			}
		}
	}

	// Accepted keys: each trips a circuit of its own (threshold 1, through
	// the controller, which must accept the key), which holds that key only.
	e.setItem(t, nil)
	for name, k := range own {
		failedWith(t, e.run(t, call(k, true), sfnlocal.Exec{}), "DownstreamBoom", k+" is down")
		if c := e.keyCircuit(t, k); c.State != circuit.Open {
			t.Errorf("%s: the key's own circuit was not tripped: %+v", name, c)
		}
		rejected(t, e, e.run(t, call(k, false), sfnlocal.Exec{}), StateRejectOpen)
	}
	// Exact comparison: variants are other circuits, all open now; a key
	// never tripped is closed.
	for a, b := range map[string]string{"AcMe": "acme", "caf\u00e9": "cafe\u0301"} {
		if e.keyCircuit(t, a).OpenUntil.IsZero() || e.keyCircuit(t, b).OpenUntil.IsZero() {
			t.Errorf("%q and %q do not each have their own circuit", a, b)
		}
	}
	for _, k := range []string{"ACME", "Acme", "cafe"} {
		admitted(t, e.run(t, call(k, false), sfnlocal.Exec{}), fmt.Sprintf(`{"echoed": {"provider": %q}}`, k))
	}
	// A breaker-wide hold holds every accepted key, open or not.
	e.setItem(t, heldBy()[0].item)
	for _, k := range own {
		rejected(t, e, e.run(t, call(k, false), sfnlocal.Exec{}), StateRejectForcedOpen)
	}
	rejected(t, e, e.run(t, call("never seen", false), sfnlocal.Exec{}), StateRejectForcedOpen)
}

// controlRefused sends a trip for key to the controller and reports whether
// it was refused as a bad key.
func (e *env) controlRefused(t *testing.T, key string) (string, bool) {
	t.Helper()
	payload := fmt.Sprintf(`{"action":"trip","failures":1,"key":%s}`, mustJSON(key))
	resp, err := http.Post(e.controllerURL, "application/json", strings.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return string(raw), strings.Contains(string(raw), "errorType") && strings.Contains(string(raw), "key")
}

// The state machine's key rule (CheckCircuitKey, then DynamoDB's limit) and
// the controller's (circuit.ValidateKey) accept the same keys: random keys
// over an alphabet of the characters the rule is about, each executed.
func TestKeyRuleAgreesWithValidateKey(t *testing.T) {
	e := newKeyedEnvFailing(t, false)
	alphabet := []string{"a", "Z", " ", "#", `\`, "*", "?", "é", "😃", "\x00", "\x1b", "\n", "\r", "\t", "\x7f", "\u0085", "\u009b", "\u2028", "\u2029", "\u00a0", "\u200b"}
	rng := rand.New(rand.NewPCG(14, 4))
	keys := []string{strings.Repeat("é", circuit.MaxKeyBytes(e.cfg.ServiceName)/2), strings.Repeat("é", circuit.MaxKeyBytes(e.cfg.ServiceName)/2+1)}
	for range 300 {
		var b strings.Builder
		for range rng.IntN(5) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		keys = append(keys, b.String())
	}
	accepted := 0
	for _, k := range keys {
		r := e.run(t, call(k, false), sfnlocal.Exec{})
		smAccepts := r.Succeeded() && r.LambdaInvocations == 1
		if !smAccepts && r.Error != ErrorInvalidCircuitKey {
			t.Fatalf("%q: neither invoked nor refused as invalid: %s", k, r)
		}
		if goAccepts := circuit.ValidateKey(e.cfg.ServiceName, k) == nil; goAccepts != smAccepts {
			t.Errorf("%q: the state machine accepts it: %v, ValidateKey: %v", k, smAccepts, goAccepts)
		}
		if smAccepts {
			accepted++
		}
	}
	t.Logf("%d keys, %d accepted", len(keys), accepted)
}
