package statemachine

import (
	"fmt"
	"regexp"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/lambdas/circuit"
)

// Per-key circuits (Config.CircuitKey, docs/per-key.md). The keyed definition
// differs from the plain one only before CheckCircuit and in which item the
// writes and the controller act on:
//
//	CheckCircuitKey -> ResolveCircuitKey -> ReadCircuit (batchGetItem: the
//	breaker's item and the key's, one call) -> SortCircuits -> Read* ->
//	SelectCircuit (circuit.GoverningRules) -> UseKeyCircuit | UseBreakerCircuit ->
//	CheckCircuit ... (UseNewKeyCircuit when nothing was read)
//
// From CheckCircuit on, the states are the plain definition's, reading $.Item
// (the governing item) and writing the item keyed $.Circuit.itemKey; the
// controller gets $.Circuit.key ("" for the breaker's own item).
const (
	// StateCheckCircuitKey rejects an input without a valid key
	// (circuit.KeyRule) before anything is read, written or invoked.
	StateCheckCircuitKey = "CheckCircuitKey"
	// StateResolveCircuitKey keeps the key and its item key, dropping the
	// caller's payload from the state (it is taken from $$.Execution.Input).
	StateResolveCircuitKey = "ResolveCircuitKey"
	// StateSortCircuits tells the two items of the read apart; the
	// StateRead* Pass states put them under $.Read.breaker and $.Read.key
	// ({} when absent).
	StateSortCircuits     = "SortCircuits"
	StateReadBreakerFirst = "ReadBreakerFirst"
	StateReadKeyFirst     = "ReadKeyFirst"
	StateReadBreakerOnly  = "ReadBreakerOnly"
	StateReadKeyOnly      = "ReadKeyOnly"
	// StateSelectCircuit is circuit.GoverningRules, rendered.
	StateSelectCircuit     = circuit.StepSelectCircuit
	StateUseKeyCircuit     = circuit.StepUseKeyCircuit
	StateUseBreakerCircuit = circuit.StepUseBreakerCircuit
	// StateUseNewKeyCircuit: the key has no item yet (closed), or the read
	// failed (fail open, counting against the key).
	StateUseNewKeyCircuit = "UseNewKeyCircuit"

	StateRejectCircuitKeyMissing   = "RejectCircuitKeyMissing"
	StateRejectCircuitKeyNotString = "RejectCircuitKeyNotString"
	StateRejectCircuitKeyInvalid   = "RejectCircuitKeyInvalid"
)

// ErrorInvalidCircuitKey fails an execution whose input has no valid circuit
// key: nothing was read, written or invoked. The caller's bug, not the
// downstream's, so it never runs the fallback either.
const ErrorInvalidCircuitKey = "InvalidCircuitKey"

// pathCircuit holds {key, itemKey} of the circuit a keyed execution acts on.
const pathCircuit = "$.Circuit"

// TransientDynamoDBSDKErrors are TransientDynamoDBErrors under the AWS SDK
// integration's names (arn:aws:states:::aws-sdk:dynamodb:*): "the service name
// and the error name, separated by a period, both in Pascal case", with the
// Exception suffix (https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html),
// the error names being the Java SDK v2's exception classes: DynamoDb.
// (DynamoDbException is the base class, what Step Functions' TestState reports
// for a code without a class of its own.) SdkClientException is that SDK's
// client-side class, named by the same rule.
func TransientDynamoDBSDKErrors() []string {
	return []string{
		"DynamoDb.ProvisionedThroughputExceededException",
		"DynamoDb.RequestLimitExceededException",
		"DynamoDb.InternalServerErrorException",
		"DynamoDb.SdkClientException",
	}
}

// circuitKeyPathRE is the JSONPath forms CircuitKey accepts: a field of the
// execution input, possibly nested ("$.provider", "$.payment.provider"). A
// Choice's Variable must be a reference path, and a plain dot path is one on
// AWS and in the local executor alike.
var circuitKeyPathRE = regexp.MustCompile(`^\$(\.[A-Za-z_][A-Za-z0-9_]{0,63}){1,8}$`)

// serviceNameKeyedRE: the service name is spliced into an intrinsic's string
// literal and into IAM's StringLike patterns, so it must need no escaping there
// (the component's names already are [A-Za-z0-9._:-]).
var serviceNameKeyedRE = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

// ValidCircuitKeyPath reports whether path is a CircuitKey the definition
// accepts, for the component's preview-time check.
func ValidCircuitKeyPath(path string) bool { return circuitKeyPathRE.MatchString(path) }

func (c Config) validateCircuitKey(bad func(field, format string, args ...any)) {
	if c.CircuitKey == "" {
		return
	}
	if !circuitKeyPathRE.MatchString(c.CircuitKey) {
		bad("CircuitKey", "%q is not a JSONPath to a field of the execution input: use $.field or $.field.subfield (letters, digits, '_'), e.g. $.provider", c.CircuitKey)
	}
	if !serviceNameKeyedRE.MatchString(c.ServiceName) {
		bad("ServiceName", "%q: with CircuitKey, a service name must be 1-128 characters of A-Z a-z 0-9 . _ : -", c.ServiceName)
	}
}

func (b *builder) keyed() bool { return b.cfg.CircuitKey != "" }

// itemKey is the key of the item the writes act on.
func (b *builder) itemKey() map[string]any {
	if b.keyed() {
		return map[string]any{"S.$": pathCircuit + ".itemKey"}
	}
	return map[string]any{"S": b.cfg.ServiceName}
}

// keyedRead replaces readCircuit in a keyed definition.
func (b *builder) keyedRead() {
	keyPath := b.cfg.CircuitKey
	svc := b.cfg.ServiceName
	invalid := func(why string) *state {
		return &state{
			Type:  "Fail",
			Error: ErrorInvalidCircuitKey,
			Cause: fmt.Sprintf("The circuit key at %s of the input %s: it must be %s. No circuit of %q was read or moved and the downstream was not invoked.",
				keyPath, why, circuit.KeyRule, svc),
		}
	}
	b.states[StateRejectCircuitKeyMissing] = invalid("is missing")
	b.states[StateRejectCircuitKeyNotString] = invalid("is not a string")
	b.states[StateRejectCircuitKeyInvalid] = invalid("is empty or contains '#'")
	b.states[StateCheckCircuitKey] = &state{
		Type:    "Choice",
		Comment: "The key rule (circuit.KeyRule), as far as JSONPath can check it; DynamoDB's 2048-byte key limit is the rest.",
		Choices: []rule{
			withNext(not(isPresent(keyPath)), StateRejectCircuitKeyMissing),
			withNext(not(rule{Variable: keyPath, IsString: ptr(true)}), StateRejectCircuitKeyNotString),
			withNext(rule{Variable: keyPath, StringEquals: ptr("")}, StateRejectCircuitKeyInvalid),
			withNext(rule{Variable: keyPath, StringMatches: ptr("*" + circuit.KeySeparator + "*")}, StateRejectCircuitKeyInvalid),
		},
		Default: StateResolveCircuitKey,
	}
	b.states[StateResolveCircuitKey] = &state{
		Type: "Pass",
		Parameters: map[string]any{"Circuit": map[string]any{
			"key.$":     keyPath,
			"itemKey.$": fmt.Sprintf("States.Format('%s%s{}', %s)", svc, circuit.KeySeparator, keyPath),
		}},
		Next: StateReadCircuit,
	}

	// BatchGetItem returns the items found in no particular order
	// (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchGetItem.html:
	// "DynamoDB does not return items in any particular order") and leaves an
	// absent item out, so SortCircuits tells the breaker's item from the key's
	// by its key. (A JSONPath filter in a ResultSelector would do it in the
	// read itself, but asl-validator's path grammar has no string filters.)
	// Responses has an entry for every table requested; an item left in
	// UnprocessedKeys (throttling) reads as absent, i.e. closed: fail open.
	items := fmt.Sprintf("$.Read.Responses['%s']", b.cfg.TableName)
	b.states[StateReadCircuit] = &state{
		Type:     "Task",
		Comment:  "Read the breaker's item and the key's in one call (BatchGetItem). No item means closed.",
		Resource: b.arn("aws-sdk:dynamodb", "batchGetItem"),
		Parameters: map[string]any{
			"RequestItems": map[string]any{
				b.cfg.TableName: map[string]any{
					"Keys": []any{
						map[string]any{circuit.KeyAttribute: attrS(svc)},
						map[string]any{circuit.KeyAttribute: map[string]any{"S.$": pathCircuit + ".itemKey"}},
					},
					// Eventually consistent, like the plain read (see readCircuit).
					"ConsistentRead": false,
				},
			},
		},
		ResultPath:     path("$.Read"),
		TimeoutSeconds: dynamoTimeoutSeconds,
		Retry:          []retrier{{ErrorEquals: TransientDynamoDBSDKErrors(), IntervalSeconds: readRetry.IntervalSeconds, MaxAttempts: readRetry.MaxAttempts, BackoffRate: readRetry.BackoffRate}},
		// FAIL OPEN, as the plain read: with no item read, the key's circuit
		// counts as closed, and a failure is counted against the key.
		Catch: []catcher{{ErrorEquals: []string{"States.ALL"}, ResultPath: path("$.ReadError"), Next: StateUseNewKeyCircuit}},
		Next:  StateSortCircuits,
	}
	b.failClosedOnReadError()

	item := func(i int) string { return fmt.Sprintf("%s[%d]", items, i) }
	isBreaker := func(i int) rule { return presentAndEquals(item(i)+"."+circuit.KeyAttribute+".S", svc) }
	sorted := func(breaker, key any) map[string]any {
		read := map[string]any{}
		for name, v := range map[string]any{"breaker": breaker, "key": key} {
			if p, ok := v.(string); ok {
				read[name+".$"] = p
			} else {
				read[name] = v // {}: no item, closed
			}
		}
		return map[string]any{"Circuit.$": pathCircuit, "Read": read}
	}
	none := map[string]any{}
	b.states[StateSortCircuits] = &state{
		Type:    "Choice",
		Comment: "Which item read is the breaker's and which the key's (BatchGetItem keeps no order).",
		Choices: []rule{
			withNext(and(isPresent(item(1)), isBreaker(0)), StateReadBreakerFirst),
			withNext(isPresent(item(1)), StateReadKeyFirst),
			withNext(isBreaker(0), StateReadBreakerOnly),
			withNext(isPresent(item(0)), StateReadKeyOnly),
		},
		Default: StateUseNewKeyCircuit,
	}
	for name, params := range map[string]map[string]any{
		StateReadBreakerFirst: sorted(item(0), item(1)),
		StateReadKeyFirst:     sorted(item(1), item(0)),
		StateReadBreakerOnly:  sorted(item(0), none),
		StateReadKeyOnly:      sorted(none, item(0)),
	} {
		b.states[name] = &state{Type: "Pass", Parameters: params, Next: StateSelectCircuit}
	}

	b.states[StateSelectCircuit] = choiceState(b, circuit.GoverningRules, nil, stepOf)
	b.states[StateUseKeyCircuit] = &state{
		Type:       "Pass",
		Parameters: map[string]any{"Item.$": "$.Read.key", "Circuit.$": pathCircuit},
		Next:       StateCheckCircuit,
	}
	b.states[StateUseBreakerCircuit] = &state{
		Type:       "Pass",
		Comment:    "The breaker-wide circuit decides for every key: its probes, elections and close act on the breaker's own item.",
		Parameters: map[string]any{"Item.$": "$.Read.breaker", "Circuit": map[string]any{"key": "", "itemKey": svc}},
		Next:       StateCheckCircuit,
	}
	b.states[StateUseNewKeyCircuit] = &state{
		Type:       "Pass",
		Parameters: map[string]any{"Circuit.$": pathCircuit},
		Next:       StateCheckCircuit,
	}
}
