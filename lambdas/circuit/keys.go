package circuit

import (
	"fmt"
	"strings"
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

// KeyRule says what a valid key is, for error messages. It is what the request
// path can check in Amazon States Language (JSONPath has no length and no
// character classes: docs/per-key.md), so that the controller accepts exactly
// the keys the state machine lets through.
const KeyRule = "a non-empty JSON string without '#'"

// ValidateKey checks a key of service's breaker against KeyRule and DynamoDB's
// limit on the item key.
func ValidateKey(service, key string) error {
	switch {
	case key == "":
		return fmt.Errorf("the circuit key is empty: it must be %s", KeyRule)
	case strings.Contains(key, KeySeparator):
		return fmt.Errorf("the circuit key %.64q contains %q: it must be %s", key, KeySeparator, KeyRule)
	case len(ItemKey(service, key)) > MaxItemKeyBytes:
		return fmt.Errorf("the circuit key is %d bytes: with the service name and %q it must fit DynamoDB's %d-byte partition key", len(key), KeySeparator, MaxItemKeyBytes)
	}
	return nil
}

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
