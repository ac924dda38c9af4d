package statemachine

import (
	"context"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/testenv"
)

// No rule is written by hand in this package: no DynamoDB expression in a
// string, and no Choice rule over the circuit's attributes outside the
// renderer. The rules are package circuit's (circuit/rulebook.go).
func TestNoRuleWrittenByHand(t *testing.T) {
	expression := regexp.MustCompile(`(^|\s)(SET|ADD|REMOVE) #|attribute_(not_)?exists\(|#\w+ (=|<>|<|<=|>|>=) :\w+`)
	ruleHelpers := map[string]bool{"isPresent": true, "stringEquals": true, "presentAndEquals": true, "atLeast": true, "after": true, "rule": true}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") || name == "render.go" || name == "asl.go" {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.BasicLit:
				if s, err := strconv.Unquote(n.Value); err == nil && n.Kind == token.STRING && expression.MatchString(s) {
					t.Errorf("%s: a DynamoDB expression written by hand: %q (make it a circuit.Update)", fset.Position(n.Pos()), s)
				}
			case *ast.CallExpr, *ast.CompositeLit:
				var fn ast.Expr
				if c, ok := n.(*ast.CallExpr); ok {
					fn = c.Fun
				} else {
					fn = n.(*ast.CompositeLit).Type
				}
				if id, ok := fn.(*ast.Ident); ok && ruleHelpers[id.Name] && mentionsAttribute(n) {
					t.Errorf("%s: a Choice rule over the circuit's attributes written by hand (make it a row of a circuit.Table)", fset.Position(n.Pos()))
					return false
				}
			}
			return true
		})
	}
}

// mentionsAttribute reports whether n names one of the item's attributes
// (circuit.Attr...).
func mentionsAttribute(n ast.Node) bool {
	found := false
	ast.Inspect(n, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if pkg, ok := sel.X.(*ast.Ident); ok && pkg.Name == "circuit" && strings.HasPrefix(sel.Sel.Name, "Attr") {
				found = true
			}
		}
		return !found
	})
	return found
}

// Each operator renders to the Choice rule that means on AWS what Eval means
// in Go; what a Choice cannot say is refused, never approximated.
func TestChoiceRules(t *testing.T) {
	b := newBuilder(validConfig())
	params := circuit.Params{":three": circuit.N(3)}
	for _, tc := range []struct {
		c    circuit.Cond
		want string
	}{
		{circuit.Present(circuit.Attr(circuit.AttrOverride)), `{"Variable":"$.Item.override.S","IsPresent":true}`},
		{circuit.Absent(circuit.RoleKey.Attr(circuit.AttrState)), `{"Not":{"Variable":"$.Read.key.state.S","IsPresent":true}}`},
		{circuit.Equals(circuit.Attr(circuit.AttrProbes), circuit.Param(":three")),
			`{"And":[{"Variable":"$.Item.probes.N","IsPresent":true},{"Variable":"$.Item.probes.N","StringEquals":"3"}]}`},
		{circuit.AtLeast(circuit.RoleWritten.Attr(circuit.AttrFailures), circuit.Param(":three")),
			`{"And":[{"Variable":"$.Recorded.failures","IsPresent":true},{"Variable":"$.Recorded.failures","IsNumeric":true},{"Variable":"$.Recorded.failures","NumericGreaterThanEquals":3}]}`},
		{circuit.After(circuit.RoleBreaker.Attr(circuit.AttrOpenUntil)),
			`{"And":[{"Variable":"$.Read.breaker.openUntil.S","IsPresent":true},{"Variable":"$.Read.breaker.openUntil.S","IsTimestamp":true},{"Variable":"$.Read.breaker.openUntil.S","TimestampGreaterThanPath":"$$.Execution.StartTime"}]}`},
		{circuit.NonZero(circuit.Attr(circuit.AttrFailures)),
			`{"And":[{"Variable":"$.Item.failures.N","IsPresent":true},{"Variable":"$.Item.failures.N","IsString":true},{"Not":{"Variable":"$.Item.failures.N","StringEquals":"0"}}]}`},
		{circuit.Or(circuit.Present(circuit.Attr(circuit.AttrState)), circuit.And(circuit.Present(circuit.Attr(circuit.AttrProbes)), circuit.Present(circuit.Attr(circuit.AttrFailures)))),
			`{"Or":[{"Variable":"$.Item.state.S","IsPresent":true},{"And":[{"Variable":"$.Item.probes.N","IsPresent":true},{"Variable":"$.Item.failures.N","IsPresent":true}]}]}`},
	} {
		r, err := b.choiceRule(tc.c, params)
		if err != nil {
			t.Errorf("%s: %v", tc.c, err)
			continue
		}
		assertJSON(t, tc.c.String(), jsonOf(t, mustJSON(r)), tc.want)
	}
	for _, bad := range []circuit.Cond{
		circuit.Less(circuit.Attr(circuit.AttrProbes), circuit.Param(":three")),    // a string in DynamoDB JSON
		circuit.AtLeast(circuit.Attr(circuit.AttrProbes), circuit.Param(":three")), // the same
		circuit.After(circuit.RoleWritten.Attr(circuit.AttrOpenUntil)),             // a number there
		circuit.Equals(circuit.Attr(circuit.AttrState), circuit.Param(":unbound")),
		circuit.Present(circuit.Attr("nope")),
	} {
		if _, err := b.choiceRule(bad, params); err == nil {
			t.Errorf("%s rendered", bad)
		}
	}
}

// Every parameter of a write is bound by the definition, and nothing else.
func TestUpdateTaskBindsItsParameters(t *testing.T) {
	b := newBuilder(validConfig())
	b.updateTask(circuit.JoinProbe, map[string]any{circuit.ParamPeriod: attrS("x")})
	if err := b.err(); err == nil || !strings.Contains(err.Error(), ":max is not bound") {
		t.Errorf("an unbound parameter: %v", err)
	}
	b = newBuilder(validConfig())
	b.updateTask(circuit.CountFailure, map[string]any{circuit.ParamPeriod: attrS("x")})
	if err := b.err(); err == nil || !strings.Contains(err.Error(), "has no parameters") {
		t.Errorf("a parameter the write does not have: %v", err)
	}
	b = newBuilder(validConfig())
	choiceState(b, circuit.Table[bool]{Name: "T", Rows: []circuit.Row[bool]{{When: circuit.Less(circuit.Attr(circuit.AttrProbes), circuit.Param(":x")), Step: "S"}}}, nil, stepOf)
	if err := b.err(); err == nil || !strings.Contains(err.Error(), "T row 1") {
		t.Errorf("a row a Choice cannot say: %v", err)
	}
}

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
