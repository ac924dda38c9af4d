package circuit

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Per-key circuits (docs/per-key.md): one breaker keeps one circuit per key
// taken from the caller's input (a payment provider, a tenant), so that one
// failing key does not open the circuit for the others.
//
// The breaker's own item (keyed by the service name) stays the breaker-wide
// circuit: alarms, healthcheck verdicts and breaker-wide overrides write it,
// and it governs every key while it holds them. Each key has an item of its
// own, keyed ItemKey(service, key), holding that key's in-line trips, open
// durations and back-off, and half-open probes, and its named-key override.
// The request path reads both in one call and acts on the one Governing picks.

// KeySeparator joins a service name and a key into the key's item key. Service
// names never contain it (they are [A-Za-z0-9_-]), so no key's item can be
// another breaker's item, and every item of one breaker starts with
// "<service>" (the IAM grants' dynamodb:LeadingKeys ["<service>", "<service>#*"]).
const KeySeparator = "#"

// MaxItemKeyBytes is DynamoDB's limit on a partition key value (2048 bytes,
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html#limits-partition-sort-keys):
// a key whose item key is longer cannot be read or written at all.
const MaxItemKeyBytes = 2048

// KeyRule says what a valid key is, for error messages (docs/per-key.md, "What
// a key may be"). It is KeyChecks and MaxItemKeyBytes in words.
const KeyRule = "a non-empty JSON string without '#', '\\' or control characters, not starting or ending with a space, " +
	"whose item key (<service>#<key>) fits DynamoDB's 2048-byte partition key in UTF-8"

// KeyTest is a comparison of Amazon States Language's Choice rules (JSONPath)
// on the key, the form in which the state machine checks it.
type KeyTest string

const (
	KeyIsPresent     KeyTest = "IsPresent"
	KeyIsString      KeyTest = "IsString"
	KeyStringEquals  KeyTest = "StringEquals"  // Value: the string
	KeyStringMatches KeyTest = "StringMatches" // Value: the pattern (StringMatches)
)

// KeyRefusal is why a key is refused, as the state machine tells it: each
// refusal has a Fail state of its own.
type KeyRefusal string

const (
	KeyMissing   KeyRefusal = "missing"
	KeyNotString KeyRefusal = "not a string"
	KeyInvalid   KeyRefusal = "invalid"
)

// Says is the refusal in the state machine's cause: "The circuit key at
// <path> of the input <Says>: it must be <KeyRule>".
func (r KeyRefusal) Says() string {
	switch r {
	case KeyMissing:
		return "is missing"
	case KeyNotString:
		return "is not a string"
	}
	return "is empty, contains '#', a backslash or a control character, or starts or ends with a space"
}

// KeyCheck is one check of the key rule: the key is refused when Test (with
// Value) holds of it, or when it does not if Unless. Problem names what is
// wrong, in ValidateKey's error ("the circuit key "x" <Problem>: ...").
type KeyCheck struct {
	Test    KeyTest
	Value   string
	Unless  bool
	Problem string
}

// KeyRow refuses a key as Refusal when any of its checks does: one rule of
// the state machine's CheckCircuitKey Choice (an Or of its checks when it has
// several), in order, first refusal wins.
type KeyRow struct {
	Refusal KeyRefusal
	Checks  []KeyCheck
}

// KeyChecks is the key rule, declared once: ValidateKey evaluates it in Go
// (StringMatches), the state machine builder renders it to CheckCircuitKey
// (component/statemachine/perkey.go). What it cannot say, the length of the
// item key, is MaxItemKeyBytes: DynamoDB enforces it on AWS, ValidateKey in
// Go.
//
// JSONPath has no string length and no character classes, and StringMatches
// has one wildcard: a forbidden character c is "*c*". Whether '*' spans a
// line terminator is where matchers differ (the local executor's does not: a
// key with two newlines matched no "*<c>*"), so the content row first refuses
// whatever "*" alone does not match: with every line terminator among the
// refused controls, each check after it answers the same whichever way '*' is
// read. Keys are compared as DynamoDB compares them: byte for byte, case and
// Unicode normalisation included.
var KeyChecks = keyChecks()

func keyChecks() []KeyRow {
	content := []KeyCheck{{Test: KeyStringMatches, Value: "*", Unless: true, Problem: "contains a line terminator"}}
	for _, r := range KeyControls() {
		content = append(content, KeyCheck{Test: KeyStringMatches, Value: "*" + MatchLiteral(string(r)) + "*", Problem: fmt.Sprintf("contains the control character %U", r)})
	}
	content = append(content,
		KeyCheck{Test: KeyStringMatches, Value: "*" + MatchLiteral(KeySeparator) + "*", Problem: fmt.Sprintf("contains %q", KeySeparator)},
		KeyCheck{Test: KeyStringMatches, Value: "*" + MatchLiteral(KeyBackslash) + "*", Problem: "contains a backslash"},
		KeyCheck{Test: KeyStringMatches, Value: " *", Problem: "starts or ends with a space"},
		KeyCheck{Test: KeyStringMatches, Value: "* ", Problem: "starts or ends with a space"},
	)
	return []KeyRow{
		{KeyMissing, []KeyCheck{{Test: KeyIsPresent, Unless: true, Problem: "is missing"}}},
		{KeyNotString, []KeyCheck{{Test: KeyIsString, Unless: true, Problem: "is not a string"}}},
		{KeyInvalid, []KeyCheck{{Test: KeyStringEquals, Value: "", Problem: "is empty"}}},
		{KeyInvalid, content},
	}
}

// IsKeyControl reports whether r may not occur anywhere in a key: the C0
// controls (NUL, ESC, newline, tab, ...), DEL, the C1 controls (CSI, NEL, ...)
// and the Unicode line and paragraph separators. They make a key print as
// something else (a terminal escape, a forged line in a log or a table), and
// the line terminators among them are where pattern matchers disagree on what
// '*' spans (so KeyChecks stays exact only because every line terminator is
// refused).
func IsKeyControl(r rune) bool {
	return r < 0x20 || (r >= 0x7f && r <= 0x9f) || r == 0x2028 || r == 0x2029
}

// KeyControls lists the runes IsKeyControl refuses, in order (one check of
// KeyChecks each).
func KeyControls() []rune {
	var rs []rune
	for r := rune(0); r <= 0x2029; r++ {
		if IsKeyControl(r) {
			rs = append(rs, r)
		}
	}
	return rs
}

// KeyBackslash may not occur in a key. The state machine builds a key's item
// key with the intrinsic States.Format, whose string handling of '\' is an
// escape (Amazon States Language, intrinsic functions); the local executor
// removes every backslash from its result, which would put a key's writes on
// another item than its controller's. Refusing it keeps the item key the key.
const KeyBackslash = `\`

// holds reports whether c refuses key, a key read from JSON: a Go string is
// present and a string.
func (c KeyCheck) holds(key string) bool {
	var held bool
	switch c.Test {
	case KeyIsPresent, KeyIsString:
		held = true
	case KeyStringEquals:
		held = key == c.Value
	case KeyStringMatches:
		held = StringMatches(key, c.Value)
	default:
		panic("circuit: unknown key test " + string(c.Test))
	}
	return held != c.Unless
}

// ValidateKey checks a key of service's breaker against the key rule
// (KeyChecks, then MaxItemKeyBytes), naming the first check it fails. The
// key comes from JSON (the controller's request) or a command line; a Go
// string that is not UTF-8 cannot be a JSON string (nor a DynamoDB one), so
// it is refused first.
func ValidateKey(service, key string) error {
	if !utf8.ValidString(key) {
		return fmt.Errorf("the circuit key %.64q is not UTF-8: it must be %s", key, KeyRule)
	}
	for _, row := range KeyChecks {
		for _, c := range row.Checks {
			if !c.holds(key) {
				continue
			}
			if key == "" {
				return fmt.Errorf("the circuit key %s: it must be %s", c.Problem, KeyRule)
			}
			return fmt.Errorf("the circuit key %.64q %s: it must be %s", key, c.Problem, KeyRule)
		}
	}
	if len(ItemKey(service, key)) > MaxItemKeyBytes {
		return fmt.Errorf("the circuit key is %d bytes: with the service name and %q it must fit DynamoDB's %d-byte partition key", len(key), KeySeparator, MaxItemKeyBytes)
	}
	return nil
}

// MaxKeyBytes is the longest key of service's breaker, in bytes of UTF-8.
func MaxKeyBytes(service string) int { return MaxItemKeyBytes - len(service) - len(KeySeparator) }

// ItemKey is the item key of a key's circuit; an empty key is the breaker's
// own item.
func ItemKey(service, key string) string {
	if key == "" {
		return service
	}
	return service + KeySeparator + key
}

// SplitItemKey is ItemKey's inverse: the service name and the per-key
// circuit's key (empty for the breaker's own circuit) of an item's partition
// key, as the event publisher and the command-line tool read them.
func SplitItemKey(itemKey string) (service, key string) {
	service, key, _ = strings.Cut(itemKey, KeySeparator)
	return service, key
}

// Scope names which item governs a per-key request.
type Scope string

const (
	// ScopeKey: the key's own item (its in-line trips and probes).
	ScopeKey Scope = "key"
	// ScopeBreaker: the breaker-wide item (alarms, healthcheck, breaker-wide override).
	ScopeBreaker Scope = "breaker"
)

// Prunable reports whether a key's circuit (decoded from its item) holds
// nothing that deleting its item would change, beyond what the key's next
// success does: no override, CLOSED (or never set), no deadline, no probe or
// back-off count, no failure counted, no alarm or healthcheck record. The
// breaker's own item is never prunable: it holds the alarm sources and the
// healthcheck's record, which no per-key item has. Nor is an item holding a
// value the decoder could not read (Unreadable, read as its default): what
// it held is unknown, and the operator sees it first (circuitctl status,
// repair).
//
// Every key that ever failed keeps an item that nothing expires (the request
// path counts the first failure with an UpdateItem that creates it), so
// callers choosing keys can grow the table without bound; deleting prunable
// items, conditional on the version read (circuitstore.PruneKeys), is the
// remedy that cannot open, close or hold anything.
func Prunable(c Circuit) bool {
	if _, key := SplitItemKey(c.ServiceName); key == "" {
		return false
	}
	return c.Unreadable == "" && c.Override == NoOverride && c.Failures == 0 &&
		(c.State == Closed || c.State == "") &&
		c.OpenUntil.IsZero() && c.HalfOpenUntil.IsZero() &&
		c.Openings == 0 && c.Probes == 0 && c.Successes == 0 &&
		unset(c.Downstream) && unset(c.Healthcheck) && unset(c.SlowCalls) &&
		c.HealthcheckRuns.At.IsZero() && c.HealthcheckRuns.Unhealthy == 0
}

func unset(a AlarmStatus) bool { return a.State == "" && a.ChangedAt.IsZero() }
