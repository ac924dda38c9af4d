package statemachine

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
)

// No rule is written by hand in this package: no DynamoDB expression in a
// string, no Choice rule over the circuit's attributes outside the renderer,
// and no string pattern or comparison literal in a Choice rule (the key rule
// is circuit.KeyChecks, rendered by keyCheckRule). The rules are package
// circuit's (circuit/rulebook.go, circuit/keys.go).
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
				if lit, ok := n.(*ast.CompositeLit); ok {
					if id, ok := lit.Type.(*ast.Ident); ok && id.Name == "rule" {
						for _, field := range comparedLiterally(lit) {
							t.Errorf("%s: a Choice rule's %s written by hand (make it a check of circuit.KeyChecks, or go through asl.go's helpers)", fset.Position(n.Pos()), field)
						}
					}
				}
				if id, ok := fn.(*ast.Ident); ok && ruleHelpers[id.Name] && mentionsKeyRule(n) {
					t.Errorf("%s: a Choice rule over the key rule's characters written by hand (make it a check of circuit.KeyChecks)", fset.Position(n.Pos()))
					return false
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

// comparedLiterally lists the string comparisons of a rule literal whose
// value is, or is built from, a string literal: `StringMatches: ptr(" *")`.
func comparedLiterally(lit *ast.CompositeLit) []string {
	var fields []string
	for _, e := range lit.Elts {
		kv, ok := e.(*ast.KeyValueExpr)
		if !ok {
			continue
		}
		key, ok := kv.Key.(*ast.Ident)
		if !ok || !strings.HasPrefix(key.Name, "String") || strings.HasSuffix(key.Name, "Path") {
			continue
		}
		literal := false
		ast.Inspect(kv.Value, func(n ast.Node) bool {
			if b, ok := n.(*ast.BasicLit); ok && b.Kind == token.STRING {
				literal = true
			}
			return !literal
		})
		if literal {
			fields = append(fields, key.Name)
		}
	}
	return fields
}

var keyRuleParts = map[string]bool{"KeySeparator": true, "KeyBackslash": true, "KeyControls": true, "IsKeyControl": true, "MaxItemKeyBytes": true}

// mentionsKeyRule reports whether n names what the key rule is made of
// (circuit.KeySeparator, KeyBackslash, KeyControls, IsKeyControl).
func mentionsKeyRule(n ast.Node) bool {
	found := false
	ast.Inspect(n, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if pkg, ok := sel.X.(*ast.Ident); ok && pkg.Name == "circuit" && keyRuleParts[sel.Sel.Name] {
				found = true
			}
		}
		return !found
	})
	return found
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
