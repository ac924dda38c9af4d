//go:build emulators

package statemachine

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/testenv"
)

// Each write, rendered to DynamoDB's expressions and sent to DynamoDB
// (dynalite), leaves the item circuit.Update.ApplyItem computes, and is
// refused exactly when its condition does not hold: one spec, two
// interpreters. The semantics both follow are AWS's: a comparison with an
// absent attribute is false, NOT, AND and OR nest as written
// (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.OperatorsAndFunctions.html),
// ADD to an absent number starts from 0
// (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.UpdateExpressions.html#Expressions.UpdateExpressions.ADD),
// and UpdateItem on no item creates it.
func TestWritesAgreeWithDynamoDB(t *testing.T) {
	db := testenv.DynamoClient(t, dynaliteEndpoint(t))
	table := testenv.CreateCircuitTable(t, db)
	ctx := context.Background()
	period := circuit.FormatTime(now)
	minute := circuit.ElectionMinute(now)
	params := circuit.Params{
		circuit.ParamPeriod: circuit.S(period), circuit.ParamHalfOpenMaxCalls: circuit.N(2),
		circuit.ParamNow: circuit.TimeValue(now.Add(time.Second)), circuit.ParamReason: circuit.S("probe succeeded"),
		circuit.ParamMinute: circuit.S(minute), circuit.ParamReadVersion: circuit.N(1),
	}
	absent := "\x00absent"
	n := 0
	check := func(raw map[string]string, u circuit.Update) {
		t.Helper()
		attrs := map[string]string{}
		for k, v := range raw {
			if v != absent {
				attrs[k] = v
			}
		}
		for _, exists := range []bool{true, false} {
			if !exists && len(attrs) > 0 {
				continue
			}
			n++
			key := "w" + strconv.Itoa(n)
			var pre circuit.Item
			if exists {
				pre = itemOf(attrs)
				putItem(t, db, table, key, pre)
			}
			want, ok, err := u.ApplyItem(pre, params)
			if err != nil {
				t.Fatal(err)
			}
			err = updateItem(ctx, db, table, key, u, params)
			var refused *types.ConditionalCheckFailedException
			switch {
			case err != nil && !errors.As(err, &refused):
				t.Fatalf("%s on %v: %v", u.Name, attrs, err)
			case (err == nil) != ok:
				t.Fatalf("%s on %v (item exists: %t): DynamoDB applied it: %t, ApplyItem: %t", u.Name, attrs, exists, err == nil, ok)
			}
			got := readItem(t, db, table, key)
			if ok && !sameItem(got, want) {
				t.Fatalf("%s on %v: DynamoDB left %v, ApplyItem %v", u.Name, attrs, got, want)
			}
		}
	}
	for _, st := range []string{absent, string(circuit.Closed), string(circuit.Open), string(circuit.HalfOpen)} {
		for _, hu := range []string{absent, period, circuit.FormatTime(now.Add(time.Minute))} {
			for _, probes := range []string{absent, "0", "1", "2"} {
				for _, failures := range []string{absent, "0", "3"} {
					for _, u := range circuit.Writes {
						check(map[string]string{circuit.AttrState: st, circuit.AttrHalfOpenUntil: hu, circuit.AttrProbes: probes, circuit.AttrFailures: failures}, u)
					}
				}
			}
		}
	}
	// The election's claim: claimed this minute, another minute, or not; on
	// the version read, another, or none.
	for _, claim := range []string{absent, minute, "2026-06-01T11:59"} {
		for _, version := range []string{absent, "1", "2"} {
			for _, u := range []circuit.Update{circuit.Claim, circuit.ClaimUnversioned, circuit.ReleaseClaim} {
				check(map[string]string{circuit.AttrState: string(circuit.Open), circuit.AttrElectionClaim: claim, circuit.AttrVersion: version}, u)
			}
		}
	}
	t.Logf("%d writes compared", n)
}

func putItem(t *testing.T, db *dynamodb.Client, table, key string, it circuit.Item) {
	t.Helper()
	item := map[string]types.AttributeValue{circuit.KeyAttribute: &types.AttributeValueMemberS{Value: key}}
	for k, v := range it {
		item[k] = attributeValue(v)
	}
	if _, err := db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(table), Item: item}); err != nil {
		t.Fatal(err)
	}
}

func attributeValue(v circuit.Value) types.AttributeValue {
	if v.Kind == circuit.KindN {
		return &types.AttributeValueMemberN{Value: v.Text}
	}
	return &types.AttributeValueMemberS{Value: v.Text}
}

// updateItem sends u as the definition's Task does, its parameters bound to
// literals.
func updateItem(ctx context.Context, db *dynamodb.Client, table, key string, u circuit.Update, p circuit.Params) error {
	x, err := u.Expressions()
	if err != nil {
		return err
	}
	values := map[string]types.AttributeValue{}
	for name, o := range x.Values {
		v, err := literal(o, p)
		if err != nil {
			return err
		}
		values[name] = attributeValue(v)
	}
	_, err = db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(table),
		Key:                       map[string]types.AttributeValue{circuit.KeyAttribute: &types.AttributeValueMemberS{Value: key}},
		UpdateExpression:          aws.String(x.Update),
		ConditionExpression:       aws.String(x.Condition),
		ExpressionAttributeNames:  x.Names,
		ExpressionAttributeValues: values,
	})
	return err
}

func readItem(t *testing.T, db *dynamodb.Client, table, key string) circuit.Item {
	t.Helper()
	raw := testenv.CircuitItem(t, db, table, key)
	it := circuit.Item{}
	for k, v := range raw {
		switch v := v.(type) {
		case *types.AttributeValueMemberS:
			if k != circuit.KeyAttribute {
				it[k] = circuit.S(v.Value)
			}
		case *types.AttributeValueMemberN:
			it[k] = circuit.Value{Kind: circuit.KindN, Text: v.Value}
		}
	}
	return it
}

func sameItem(a, b circuit.Item) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w.Kind != v.Kind || w.Text != v.Text {
			return false
		}
	}
	return true
}
