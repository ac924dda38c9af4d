// Package circuitstore keeps circuits in DynamoDB, one item per circuit keyed by
// its service name (circuit.KeyAttribute).
//
// Writes are read-modify-write made safe by optimistic concurrency: every write
// is conditional on the version it read, so when two writers race (two alarm
// notifications delivered at once, or an alarm and the state machine), the loser
// re-reads and re-applies its change on top of the winner's instead of
// overwriting it. It needs only GetItem and UpdateItem, which is all the alarm
// handler's role is granted.
package circuitstore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
)

// API is the part of the DynamoDB client the store uses.
type API interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
}

// DefaultMaxAttempts bounds Update's retries on a lost race. Each lost race means
// another writer succeeded, so a handful is plenty for the few writers a circuit
// has; the bound turns a pathological livelock into an error the caller sees
// (and Lambda retries) instead of a hung invocation.
const DefaultMaxAttempts = 8

// ErrConflict is returned (wrapped) when every attempt lost its race.
var ErrConflict = errors.New("circuit item kept changing under a conditional update")

// Store reads and writes circuits in one table.
type Store struct {
	Client API
	Table  string
	// MaxAttempts overrides DefaultMaxAttempts when > 0.
	MaxAttempts int
}

// New returns a store on table.
func New(client API, table string) *Store {
	return &Store{Client: client, Table: table}
}

func (s *Store) key(service string) Item {
	return Item{circuit.KeyAttribute: &types.AttributeValueMemberS{Value: service}}
}

// Get reads the circuit of service, strongly consistent: the alarm path must
// see the latest write before deciding anything. A missing item is a CLOSED
// circuit with Version 0.
func (s *Store) Get(ctx context.Context, service string) (circuit.Circuit, error) {
	c, _, err := s.get(ctx, service)
	return c, err
}

// get also returns the item's version attribute as stored (nil when absent),
// which is the write's condition.
func (s *Store) get(ctx context.Context, service string) (circuit.Circuit, types.AttributeValue, error) {
	if service == "" {
		return circuit.Circuit{}, nil, errors.New("circuitstore: empty service name")
	}
	out, err := s.Client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.Table),
		Key:            s.key(service),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return circuit.Circuit{}, nil, fmt.Errorf("reading circuit %s from table %s: %w", circuit.Quote(service), s.Table, err)
	}
	c, err := Decode(service, out.Item)
	if err != nil {
		return circuit.Circuit{}, nil, err
	}
	return c, out.Item[circuit.AttrVersion], nil
}

// Update applies fn to the current circuit of service and writes the result if
// fn says it changed, conditional on nobody having written in between; on a
// lost race it re-reads and calls fn again (so fn must be a pure function of its
// argument), at most MaxAttempts times. It returns the circuit as written, or as
// read when fn changed nothing or failed.
//
// The written Version is always the read Version + 1, whatever fn set: the
// version is the store's concurrency token, and a writer that skipped or
// doubled it would defeat other writers' conditions.
//
// Only the model's attributes are SET (or REMOVEd when zero-valued and
// optional); attributes the model does not know, written by operators or a
// newer release, are preserved.
func (s *Store) Update(ctx context.Context, service string, fn func(circuit.Circuit) (circuit.Circuit, bool, error)) (circuit.Circuit, error) {
	attempts := s.MaxAttempts
	if attempts <= 0 {
		attempts = DefaultMaxAttempts
	}
	for attempt := 1; ; attempt++ {
		current, version, err := s.get(ctx, service)
		if err != nil {
			return circuit.Circuit{}, err
		}
		next, changed, err := fn(current)
		if err != nil || !changed {
			return current, err
		}
		next.ServiceName = service
		next.Version = current.Version + 1
		if next.Version <= 0 {
			// A hand-written version at the int64 bound, or negative.
			next.Version = 1
		}
		next.Unreadable = ""
		err = s.write(ctx, service, next, version)
		if err == nil {
			return next, nil
		}
		var lost *types.ConditionalCheckFailedException
		if !errors.As(err, &lost) {
			return current, fmt.Errorf("writing circuit %s to table %s: %w", circuit.Quote(service), s.Table, err)
		}
		if attempt >= attempts {
			return current, fmt.Errorf("circuit %s in table %s: %w (%d attempts)", circuit.Quote(service), s.Table, ErrConflict, attempts)
		}
		// Jittered, growing pause so that racing writers stop colliding.
		pause := time.Duration(rand.Int64N(int64(5*time.Millisecond)<<min(attempt, 6))) + time.Millisecond
		select {
		case <-ctx.Done():
			return current, ctx.Err()
		case <-time.After(pause):
		}
	}
}

func (s *Store) write(ctx context.Context, service string, c circuit.Circuit, readVersion types.AttributeValue) error {
	set, remove := Encode(c)
	names := map[string]string{}
	values := map[string]types.AttributeValue{}

	// Sorted, so that the expression is the same for the same change (readable
	// in logs, and stable for tests).
	attrs := make([]string, 0, len(set))
	for a := range set {
		attrs = append(attrs, a)
	}
	sort.Strings(attrs)
	sort.Strings(remove)

	expr := setRemove(attrs, set, remove, names, values)

	// The version read is the condition. An item without a version (none yet, or
	// one written by something that does not version) must still lack it.
	names["#version"] = circuit.AttrVersion
	cond, condValues := versionCondition(readVersion)
	for k, v := range condValues {
		values[k] = v
	}
	_, err := s.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.Table),
		Key:                       s.key(service),
		UpdateExpression:          aws.String(expr),
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
	})
	return err
}

// versionCondition is the write's condition: the version attribute is still
// what was read. It compares the value as stored, whatever its type, not the
// decoded number: a hand-written version the decoder could not read ("1.5",
// a string) must not fail every conditional write, which would wedge the
// circuit for every writer (issue 14 item 22). Equality is defined for
// scalars (S, N, B) and BOOL; for the other types (NULL, lists, maps, sets,
// which "=" does not compare) the condition is the type: as exclusive as the
// write needs, since the write replaces the version with a number.
func versionCondition(read types.AttributeValue) (string, map[string]types.AttributeValue) {
	switch v := read.(type) {
	case nil:
		return "attribute_not_exists(#version)", nil
	case *types.AttributeValueMemberS, *types.AttributeValueMemberN, *types.AttributeValueMemberB, *types.AttributeValueMemberBOOL:
		return "#version = :readVersion", map[string]types.AttributeValue{":readVersion": v}
	default:
		return "attribute_type(#version, :readType)", map[string]types.AttributeValue{":readType": &types.AttributeValueMemberS{Value: attributeType(v)}}
	}
}

// attributeType is the type code attribute_type takes (Amazon DynamoDB
// Developer Guide, "Condition and filter expressions, operators, and
// functions": S, SS, N, NS, B, BS, BOOL, NULL, L, M).
func attributeType(v types.AttributeValue) string {
	switch v.(type) {
	case *types.AttributeValueMemberSS:
		return "SS"
	case *types.AttributeValueMemberNS:
		return "NS"
	case *types.AttributeValueMemberBS:
		return "BS"
	case *types.AttributeValueMemberNULL:
		return "NULL"
	case *types.AttributeValueMemberL:
		return "L"
	case *types.AttributeValueMemberM:
		return "M"
	}
	return "S"
}

// setRemove is the SET and REMOVE clauses writing set's values of attrs (in
// that order) and removing remove, with their placeholders added to names and
// values: the one way our writes spell an update.
func setRemove(attrs []string, set Item, remove []string, names map[string]string, values map[string]types.AttributeValue) string {
	expr := ""
	for i, a := range attrs {
		n, v := fmt.Sprintf("#s%d", i), fmt.Sprintf(":s%d", i)
		names[n], values[v] = a, set[a]
		if i == 0 {
			expr += "SET "
		} else {
			expr += ", "
		}
		expr += n + " = " + v
	}
	for i, a := range remove {
		n := fmt.Sprintf("#r%d", i)
		names[n] = a
		if i == 0 {
			expr += " REMOVE "
		} else {
			expr += ", "
		}
		expr += n
	}
	return expr
}
