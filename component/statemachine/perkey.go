package statemachine

import (
	"fmt"
	"regexp"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
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
// A read that fails (after its retries) or comes back partial (UnprocessedKeys)
// is a read error, and the breaker's own item must still govern: CheckReadError
// turns DynamoDB's refusal of a too long key into InvalidCircuitKey, and
// otherwise ReadBreakerItem reads the breaker's item alone (getItem);
// CheckBreakerItem lets it decide if it holds every key (circuit.Governing's
// rule 2: UseBreakerItem), else the store error is handled as the user chose
// (Config.FailClosed: RejectCircuitUnavailable; failing open: UseNewKeyCircuit,
// the key's circuit counted as closed). The healthy path never goes there: one
// call to DynamoDB, as before.
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
	// failed and the breaker's item does not hold every key (fail open,
	// counting against the key).
	StateUseNewKeyCircuit = "UseNewKeyCircuit"

	// StateCheckReadError tells DynamoDB's refusal of a too long key (an
	// invalid key) from any other error of the keyed read.
	StateCheckReadError = "CheckReadError"
	// StateReadBreakerItem reads the breaker's own item alone after the keyed
	// read failed or came back partial; StateCheckBreakerItem is
	// circuit.Governing's rule 2 on it, and StateUseBreakerItem acts on it.
	StateReadBreakerItem  = "ReadBreakerItem"
	StateCheckBreakerItem = "CheckBreakerItem"
	StateUseBreakerItem   = "UseBreakerItem"

	StateRejectCircuitKeyMissing   = "RejectCircuitKeyMissing"
	StateRejectCircuitKeyNotString = "RejectCircuitKeyNotString"
	StateRejectCircuitKeyInvalid   = "RejectCircuitKeyInvalid"
	StateRejectCircuitKeyTooLong   = "RejectCircuitKeyTooLong"
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
//
// ThrottlingException has a class here, unlike under the optimized
// integration: DynamoDB's model lists it among the errors of BatchGetItem and
// GetItem (botocore's data/dynamodb/2012-08-10/service-2.json) and the SDKs
// model it as a class since 2025-08-14 (aws-sdk-go-v2 service/dynamodb
// v1.48.0: "Explicitly models ThrottlingException as a class in statically
// typed languages"), after the Java SDK v1 had stopped taking model updates
// (dev/sfn/dynamodb-exception-classes.json, sdkV2OnlyClassByErrorCode).
func TransientDynamoDBSDKErrors() []string {
	return []string{
		"DynamoDb.ProvisionedThroughputExceededException",
		"DynamoDb.RequestLimitExceededException",
		"DynamoDb.ThrottlingException",
		"DynamoDb.InternalServerErrorException",
		"DynamoDb.SdkClientException",
	}
}

// sdkReadRetry is readRetry under the AWS SDK integration's names.
var sdkReadRetry = retrier{ErrorEquals: TransientDynamoDBSDKErrors(), IntervalSeconds: readRetry.IntervalSeconds, MaxAttempts: readRetry.MaxAttempts, BackoffRate: readRetry.BackoffRate}

// ErrorDynamoDBSDKBase is the AWS SDK integration's name for a DynamoDB error
// code without a class of its own, ValidationException among them (recorded on
// AWS: LocalStack's error_handling/test_aws_sdk.snapshot.json).
const ErrorDynamoDBSDKBase = "DynamoDb.DynamoDbException"

// keyTooLongMessage is the start of DynamoDB's ValidationException for a
// partition key over 2048 bytes: "One or more parameter values were invalid:
// Size of hashkey has exceeded the maximum size limit of2048 bytes" (sic, no
// space: moto's HashKeyTooLong, moto/dynamodb/exceptions.py, and its
// tests/test_dynamodb/exceptions/test_key_length_exceptions.py; refused on
// reads as on writes: ScyllaDB's DynamoDB-verified test/alternator/
// test_limits.py, test_limit_partition_key_len_2048). Matching stops before
// the number, so that a space there would not matter; a message worded
// otherwise only makes the read an ordinary read error, which still never
// bypasses the breaker's own item.
const keyTooLongMessage = "Size of hashkey has exceeded the maximum size limit of"

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
	refusedBy := map[circuit.KeyRefusal]string{
		circuit.KeyMissing:   StateRejectCircuitKeyMissing,
		circuit.KeyNotString: StateRejectCircuitKeyNotString,
		circuit.KeyInvalid:   StateRejectCircuitKeyInvalid,
	}
	for refusal, name := range refusedBy {
		b.states[name] = invalid(refusal.Says())
	}
	b.states[StateRejectCircuitKeyTooLong] = invalid(fmt.Sprintf("is too long (DynamoDB refused the item key %s#<key>, over %d bytes of UTF-8: the key may have %d)",
		svc, circuit.MaxItemKeyBytes, circuit.MaxKeyBytes(svc)))

	// The key rule (circuit.KeyChecks), rendered: one Choice rule per row.
	var choices []rule
	for _, row := range circuit.KeyChecks {
		var rs []rule
		for _, c := range row.Checks {
			r, err := keyCheckRule(keyPath, c)
			if err != nil {
				b.fail(err)
			}
			rs = append(rs, r)
		}
		r := rule{Or: rs}
		if len(rs) == 1 {
			r = rs[0]
		}
		next, ok := refusedBy[row.Refusal]
		if !ok {
			b.fail(fmt.Errorf("circuit.KeyChecks: no state refuses a key as %q", row.Refusal))
		}
		choices = append(choices, withNext(r, next))
	}
	b.states[StateCheckCircuitKey] = &state{
		Type:    "Choice",
		Comment: "The key rule (circuit.KeyRule): present, a string, not empty, no '#', backslash or control character, no space at either end; DynamoDB's 2048-byte limit on the item key is checked by DynamoDB (CheckReadError).",
		Choices: choices,
		Default: StateResolveCircuitKey,
	}
	// Only the key: its item key is built where it is used, so that a key as
	// long as the input quota allows (256 KiB) is never held twice in the
	// state, which would end the execution with States.DataLimitExceeded
	// before DynamoDB could refuse it.
	b.states[StateResolveCircuitKey] = &state{
		Type:       "Pass",
		Parameters: map[string]any{"Circuit": map[string]any{"key.$": keyPath}},
		Next:       StateReadCircuit,
	}
	itemKey := fmt.Sprintf("States.Format('%s%s{}', %s.key)", svc, circuit.KeySeparator, pathCircuit)
	keyCircuit := map[string]any{"key.$": pathCircuit + ".key", "itemKey.$": itemKey}

	// BatchGetItem returns the items found in no particular order
	// (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchGetItem.html:
	// "DynamoDB does not return items in any particular order") and leaves an
	// absent item out, so SortCircuits tells the breaker's item from the key's
	// by its key. (A JSONPath filter in a ResultSelector would do it in the
	// read itself, but asl-validator's path grammar has no string filters.)
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
						map[string]any{circuit.KeyAttribute: map[string]any{"S.$": itemKey}},
					},
					// Eventually consistent, like the plain read (see readCircuit).
					"ConsistentRead": false,
				},
			},
		},
		ResultPath:     path("$.Read"),
		TimeoutSeconds: dynamoTimeoutSeconds,
		Retry:          []retrier{sdkReadRetry},
		Catch:          []catcher{{ErrorEquals: []string{"States.ALL"}, ResultPath: path("$.ReadError"), Next: StateCheckReadError}},
		Next:           StateSortCircuits,
	}

	storeError := StateUseNewKeyCircuit
	if b.cfg.FailClosed {
		storeError = b.storeUnavailable()
	}
	readError := "$.ReadError"
	b.states[StateCheckReadError] = &state{
		Type:    "Choice",
		Comment: "DynamoDB's refusal of an item key over 2048 bytes is an invalid key; any other error leaves the breaker's own item to read alone.",
		Choices: []rule{withNext(and(
			presentAndEquals(readError+".Error", ErrorDynamoDBSDKBase),
			isPresent(readError+".Cause"),
			rule{Variable: readError + ".Cause", IsString: ptr(true)},
			contains(readError+".Cause", keyTooLongMessage),
		), StateRejectCircuitKeyTooLong)},
		Default: StateReadBreakerItem,
	}
	// A partial read ("If DynamoDB returns any unprocessed items, you should
	// retry the batch operation on those items", BatchGetItem API reference:
	// throughput exceeded or an internal failure) is a read error too. The
	// breaker's item is the hot one (every keyed call reads it), so it is the
	// one most likely left unread; it is read again alone, with the read's
	// retries, and decides if it holds every key. The getItem is the AWS SDK
	// integration's, whose retries can name ThrottlingException.
	b.states[StateReadBreakerItem] = &state{
		Type:     "Task",
		Comment:  "The keyed read failed or was partial: read the breaker's own item alone, so that a breaker-wide hold still holds.",
		Resource: b.arn("aws-sdk:dynamodb", "getItem"),
		Parameters: map[string]any{
			"TableName":      b.cfg.TableName,
			"Key":            map[string]any{circuit.KeyAttribute: attrS(svc)},
			"ConsistentRead": false,
		},
		ResultPath:     path("$.Read"),
		TimeoutSeconds: dynamoTimeoutSeconds,
		Retry:          []retrier{sdkReadRetry},
		Catch:          []catcher{{ErrorEquals: []string{"States.ALL"}, ResultPath: path("$.ReadError"), Next: storeError}},
		Next:           StateCheckBreakerItem,
	}
	b.states[StateCheckBreakerItem] = &state{
		Type:    "Choice",
		Comment: "circuit.Governing's rule 2 on the breaker's item alone: it decides if it holds every key; otherwise the key's circuit is unknown, a store error.",
		Choices: b.breakerHolds(StateUseBreakerItem),
		Default: storeError,
	}
	b.states[StateUseBreakerItem] = &state{
		Type:       "Pass",
		Parameters: map[string]any{"Item.$": "$.Read.Item", "Circuit": map[string]any{"key": "", "itemKey": svc}},
		Next:       StateCheckCircuit,
	}

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
		return map[string]any{"Circuit": keyCircuit, "Read": read}
	}
	none := map[string]any{}
	unprocessed := fmt.Sprintf("$.Read.UnprocessedKeys['%s'].Keys[0]", b.cfg.TableName)
	b.states[StateSortCircuits] = &state{
		Type:    "Choice",
		Comment: "A partial read is a read error; otherwise, which item read is the breaker's and which the key's (BatchGetItem keeps no order).",
		Choices: []rule{
			withNext(isPresent(unprocessed), StateReadBreakerItem),
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
		Parameters: map[string]any{"Circuit": keyCircuit},
		Next:       StateCheckCircuit,
	}
}

// keyCheckRule is one check of the key rule as a Choice rule on the key at
// keyPath.
func keyCheckRule(keyPath string, c circuit.KeyCheck) (rule, error) {
	r := rule{Variable: keyPath}
	switch c.Test {
	case circuit.KeyIsPresent:
		r.IsPresent = ptr(true)
	case circuit.KeyIsString:
		r.IsString = ptr(true)
	case circuit.KeyStringEquals:
		r.StringEquals = ptr(c.Value)
	case circuit.KeyStringMatches:
		r.StringMatches = ptr(c.Value)
	default:
		return rule{}, fmt.Errorf("circuit.KeyChecks: %q is not a Choice comparison this builder renders", c.Test)
	}
	if c.Unless {
		return not(r), nil
	}
	return r, nil
}

// breakerHolds is circuit.GoverningRules' rows that make the breaker's item
// govern (rule 2: an override, its healthcheck alarm in ALARM, OPEN or
// HALF_OPEN), rendered on the breaker's item read alone ($.Read.Item), each
// going to next.
func (b *builder) breakerHolds(next string) []rule {
	b.breakerAt = "$.Read.Item."
	defer func() { b.breakerAt = "" }()
	var out []rule
	for i, row := range circuit.GoverningRules.Rows {
		if row.Then != circuit.ScopeBreaker {
			continue
		}
		conds := []circuit.Cond{row.When}
		if row.When.Op == circuit.OpOr {
			conds = row.When.Subs
		}
		for _, c := range conds {
			r, err := b.choiceRule(c, nil)
			if err != nil {
				b.fail(fmt.Errorf("%s row %d: %w", circuit.GoverningRules.Name, i+1, err))
				continue
			}
			out = append(out, withNext(r, next))
		}
	}
	return out
}
