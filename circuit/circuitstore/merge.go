package circuitstore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
)

// Merge says how a change may be written when it loses the version race: as
// a write of only the attributes it changes, conditioned on the attributes
// it was decided on instead of on the whole item's version.
//
// Why: the request path writes the item on every counted call (ADD failures,
// probes, version). On a busy circuit the version moves every millisecond,
// so a read-modify-write conditioned on it loses nearly every race, and a
// writer that must land (an alarm notice) gives up after its attempts. Those
// writes only touch counters that no merged change reads; a change decided
// on the state, the alarm sources and the openings is still right after
// them, so it needs only those to be unchanged.
type Merge struct {
	// Guard names the attributes the change was decided on: the merged write
	// is conditioned on each still holding the value read (or still being
	// absent). A concurrent change of any of them fails the write, and the
	// change is decided again on a fresh read.
	Guard []string
	// Reset names attributes the merged write sets (or removes) from the
	// changed circuit even where the value read already matched: counters the
	// change resets, which the request path may have ADDed to since the read.
	Reset []string
}

// Writes counts an update's DynamoDB calls, for logs and load tests.
type Writes struct {
	Reads     int  // strongly consistent reads
	Writes    int  // conditional writes, either kind
	LostRaces int  // of those, the ones whose condition failed
	Merged    bool // the change landed as a merged write
}

// UpdateMerging is Update for a change that must land however busy the item
// is. Each attempt reads, applies fn, and writes conditioned on the version
// read; when that write loses, it writes at once again as the Merge fn
// returned (nil: no merge, as Update). Only when the merged write loses too
// (an attribute of its Guard changed) does it read again, so its attempts
// are bounded by the changes of the guarded attributes, which are rare (a
// transition, another alarm notice), not by the request path's traffic.
func (s *Store) UpdateMerging(ctx context.Context, service string, fn func(circuit.Circuit) (circuit.Circuit, bool, *Merge, error)) (circuit.Circuit, Writes, error) {
	var w Writes
	attempts := s.MaxAttempts
	if attempts <= 0 {
		attempts = DefaultMaxAttempts
	}
	for attempt := 1; ; attempt++ {
		current, raw, err := s.getRaw(ctx, service)
		w.Reads++
		if err != nil {
			return circuit.Circuit{}, w, err
		}
		next, changed, merge, err := fn(current)
		if err != nil || !changed {
			return current, w, err
		}
		next.ServiceName = service
		next.Version = current.Version + 1
		w.Writes++
		err = s.write(ctx, service, next, raw[circuit.AttrVersion])
		if err == nil {
			return next, w, nil
		}
		if !lostRace(err) {
			return current, w, fmt.Errorf("writing circuit %q to table %s: %w", service, s.Table, err)
		}
		w.LostRaces++
		if merge != nil {
			w.Writes++
			version, err := s.merge(ctx, service, raw, current, next, *merge)
			if err == nil {
				next.Version = version
				w.Merged = true
				return next, w, nil
			}
			if !lostRace(err) {
				return current, w, fmt.Errorf("writing circuit %q to table %s (merged): %w", service, s.Table, err)
			}
			w.LostRaces++
		}
		if attempt >= attempts {
			return current, w, fmt.Errorf("circuit %q in table %s: %w (%d attempts)", service, s.Table, ErrConflict, attempts)
		}
		pause := time.Duration(rand.Int64N(int64(5*time.Millisecond)<<min(attempt, 6))) + time.Millisecond
		select {
		case <-ctx.Done():
			return current, w, ctx.Err()
		case <-time.After(pause):
		}
	}
}

func lostRace(err error) bool {
	var lost *types.ConditionalCheckFailedException
	return errors.As(err, &lost)
}

// getRaw is get, also returning the item as read (nil when absent), whose
// values the merged write's guard compares with.
func (s *Store) getRaw(ctx context.Context, service string) (circuit.Circuit, Item, error) {
	if service == "" {
		return circuit.Circuit{}, nil, errors.New("circuitstore: empty service name")
	}
	out, err := s.Client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.Table),
		Key:            s.key(service),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return circuit.Circuit{}, nil, fmt.Errorf("reading circuit %q from table %s: %w", service, s.Table, err)
	}
	c, err := Decode(service, out.Item)
	if err != nil {
		return circuit.Circuit{}, nil, err
	}
	return c, out.Item, nil
}

// merge writes the attributes where next differs from current (both as
// Encode renders them, so that an absent counter and a 0 are the same), and
// those of m.Reset, conditioned on m.Guard as read in raw, ADDing 1 to the
// version so that every versioned writer still sees the change. It returns
// the version written. ADD on an absent version starts it at the value
// added, and ReturnValues UPDATED_NEW returns the attributes the update
// wrote, the version among them (DynamoDB API reference, UpdateItem:
// UpdateExpression's ADD action, ReturnValues).
func (s *Store) merge(ctx context.Context, service string, raw Item, current, next circuit.Circuit, m Merge) (int64, error) {
	expr, names, values := MergeExpression(current, next, m)
	cond, condNames, condValues := guardCondition(raw, m.Guard)
	for k, v := range condNames {
		names[k] = v
	}
	for k, v := range condValues {
		values[k] = v
	}
	in := &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.Table),
		Key:                       s.key(service),
		UpdateExpression:          aws.String(expr),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
		ReturnValues:              types.ReturnValueUpdatedNew,
	}
	if cond != "" {
		in.ConditionExpression = aws.String(cond)
	}
	out, err := s.Client.UpdateItem(ctx, in)
	if err != nil {
		return 0, err
	}
	version, _ := Decode(service, out.Attributes)
	return version.Version, nil
}

// MergeExpression is the merged write's update expression: SET and REMOVE of
// the changed (and reset) attributes, ADD 1 to the version (always, so that
// the write is never empty). Exported for the tests that reason about what a
// merge may overwrite.
func MergeExpression(current, next circuit.Circuit, m Merge) (expr string, names map[string]string, values map[string]types.AttributeValue) {
	setNext, removeNext := Encode(next)
	setCur, _ := Encode(current)
	names = map[string]string{}
	values = map[string]types.AttributeValue{}

	var set, remove []string
	for a, v := range setNext {
		if a == circuit.AttrVersion {
			continue
		}
		if slices.Contains(m.Reset, a) || !reflect.DeepEqual(setCur[a], v) {
			set = append(set, a)
		}
	}
	for _, a := range removeNext {
		if _, had := setCur[a]; had || slices.Contains(m.Reset, a) {
			remove = append(remove, a)
		}
	}
	sort.Strings(set)
	sort.Strings(remove)
	expr += setRemove(set, setNext, remove, names, values)
	names["#version"] = circuit.AttrVersion
	values[":one"] = &types.AttributeValueMemberN{Value: "1"}
	expr = strings.TrimSpace(expr + " ADD #version :one")
	return expr, names, values
}

// guardCondition requires each guarded attribute to hold its raw value as
// read, or to be absent still.
func guardCondition(raw Item, guard []string) (string, map[string]string, map[string]types.AttributeValue) {
	names := map[string]string{}
	values := map[string]types.AttributeValue{}
	cond := ""
	for i, a := range guard {
		n := fmt.Sprintf("#g%d", i)
		names[n] = a
		if cond != "" {
			cond += " AND "
		}
		if v, ok := raw[a]; ok {
			val := fmt.Sprintf(":g%d", i)
			values[val] = v
			cond += n + " = " + val
		} else {
			cond += "attribute_not_exists(" + n + ")"
		}
	}
	return cond, names, values
}
