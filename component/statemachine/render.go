package statemachine

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
)

// The rules are package circuit's (circuit/rulebook.go); this file
// renders them: a circuit.Table to a Choice state, a circuit.Cond to a Choice
// rule, a circuit.Update to a dynamodb:updateItem Task. What it adds is only
// where each value sits in the execution's data.

// where is the JSONPath of an attribute a condition reads, and whether it is
// a JSON number there. The items read (getItem, batchGetItem) are DynamoDB
// JSON, where a number is its decimal text ({"N": "3"}); what a write
// returned is converted to numbers ($.Recorded, by States.StringToJson).
func (b *builder) where(r circuit.Ref) (jsonPath string, number bool, err error) {
	kind, ok := circuit.KindOf(r.Name)
	if !ok {
		return "", false, fmt.Errorf("the item has no attribute %q", r.Name)
	}
	switch r.Of {
	case circuit.RoleCircuit:
		return "$.Item." + r.Name + "." + string(kind), false, nil
	case circuit.RoleBreaker, circuit.RoleKey:
		if r.Of == circuit.RoleBreaker && b.breakerAt != "" {
			return b.breakerAt + r.Name + "." + string(kind), false, nil
		}
		return "$.Read." + string(r.Of) + "." + r.Name + "." + string(kind), false, nil
	case circuit.RoleWritten:
		return pathRecorded + "." + r.Name, true, nil
	}
	return "", false, fmt.Errorf("no JSONPath for the items of %q", r.Of)
}

// choiceRule renders c. Its operands must be constants, or parameters bound
// in params: a Choice compares with literals only.
func (b *builder) choiceRule(c circuit.Cond, params circuit.Params) (rule, error) {
	switch c.Op {
	case circuit.OpAnd, circuit.OpOr:
		rules := make([]rule, len(c.Subs))
		for i, s := range c.Subs {
			r, err := b.choiceRule(s, params)
			if err != nil {
				return rule{}, err
			}
			rules[i] = r
		}
		if c.Op == circuit.OpAnd {
			return and(rules...), nil
		}
		return rule{Or: rules}, nil
	case circuit.OpNot:
		if len(c.Subs) != 1 {
			return rule{}, fmt.Errorf("not takes one condition, got %d", len(c.Subs))
		}
		r, err := b.choiceRule(c.Subs[0], params)
		return not(r), err
	}
	variable, number, err := b.where(c.Ref)
	if err != nil {
		return rule{}, err
	}
	unsupported := fmt.Errorf("%s on %s: no Choice rule compares a %s that way", c.Op, variable, map[bool]string{true: "JSON number", false: "DynamoDB JSON value"}[number])
	switch c.Op {
	case circuit.OpPresent:
		return isPresent(variable), nil
	case circuit.OpAfter:
		if number {
			return rule{}, unsupported
		}
		return after(variable), nil
	case circuit.OpNonZero:
		if number {
			return rule{}, unsupported
		}
		return and(isPresent(variable), rule{Variable: variable, IsString: ptr(true)}, not(stringEquals(variable, "0"))), nil
	case circuit.OpEquals, circuit.OpAtLeast:
		v, err := literal(c.Arg, params)
		if err != nil {
			return rule{}, err
		}
		switch {
		case c.Op == circuit.OpEquals && !number && v.Kind == kindPath:
			return and(isPresent(variable), rule{Variable: variable, StringEqualsPath: v.Text}), nil
		case c.Op == circuit.OpEquals && !number:
			// DynamoDB trims numbers' leading and trailing zeros (see
			// circuit.OpNonZero), so equal numbers have equal text.
			return presentAndEquals(variable, v.Text), nil
		case c.Op == circuit.OpAtLeast && number:
			n, err := strconv.Atoi(v.Text)
			if err != nil {
				return rule{}, fmt.Errorf("%s: %s is not an integer", variable, v)
			}
			return atLeast(variable, n), nil
		}
	}
	return rule{}, unsupported
}

// kindPath binds a parameter to a string at a JSONPath of the execution's
// data, which a Choice compares with by StringEqualsPath.
const kindPath circuit.Kind = "path"

// atPath is a parameter bound to the string at jsonPath.
func atPath(jsonPath string) circuit.Value { return circuit.Value{Kind: kindPath, Text: jsonPath} }

func literal(o circuit.Operand, params circuit.Params) (circuit.Value, error) {
	if o.Const != nil {
		return *o.Const, nil
	}
	v, ok := params[o.Name]
	if !ok {
		return circuit.Value{}, fmt.Errorf("parameter %s is not bound", o.Name)
	}
	return v, nil
}

// choiceState renders t as one Choice state, each row going to next(row). A
// row whose condition is an Or is one rule per operand (the same first match,
// and each rule reads as one fact in the console).
func choiceState[T any](b *builder, t circuit.Table[T], params circuit.Params, next func(circuit.Row[T]) string) *state {
	s := &state{Type: "Choice", Comment: t.Comment, Default: next(t.Default)}
	for i, row := range t.Rows {
		conds := []circuit.Cond{row.When}
		if row.When.Op == circuit.OpOr {
			conds = row.When.Subs
		}
		for _, c := range conds {
			r, err := b.choiceRule(c, params)
			if err != nil {
				b.fail(fmt.Errorf("%s row %d: %w", t.Name, i+1, err))
				continue
			}
			s.Choices = append(s.Choices, withNext(r, next(row)))
		}
	}
	return s
}

// stepOf is a row's own step.
func stepOf[T any](r circuit.Row[T]) string { return r.Step }

// updateTask renders u as a dynamodb:updateItem Task on the circuit's item.
// bind gives each of u's parameters its DynamoDB JSON value: a literal, or
// {"S.$": path} into the execution's data.
func (b *builder) updateTask(u circuit.Update, bind map[string]any) *state {
	x, err := u.Expressions()
	if err != nil {
		b.fail(err)
		return &state{}
	}
	values := map[string]any{}
	for name, o := range x.Values {
		if o.Const != nil {
			values[name] = dynamoJSON(*o.Const)
			continue
		}
		v, ok := bind[name]
		if !ok {
			b.fail(fmt.Errorf("update %s: parameter %s is not bound", u.Name, name))
			continue
		}
		values[name] = v
	}
	var unused []string
	for name := range bind {
		if _, ok := x.Values[name]; !ok {
			unused = append(unused, name)
		}
	}
	if len(unused) > 0 {
		sort.Strings(unused)
		b.fail(fmt.Errorf("update %s has no parameters %q", u.Name, unused))
	}
	s := b.update(u.Comment, x.Update, x.Condition, x.Names, values)
	if x.Condition == "" {
		delete(s.Parameters, "ConditionExpression")
	}
	return s
}

// dynamoJSON is a constant as DynamoDB JSON.
func dynamoJSON(v circuit.Value) map[string]any { return map[string]any{string(v.Kind): v.Text} }

// fail keeps a rendering error for Definition to return: a rule this
// renderer cannot express, never the user's configuration (Validate has
// checked it).
func (b *builder) fail(err error) {
	if !slices.ContainsFunc(b.errs, func(e error) bool { return e.Error() == err.Error() }) {
		b.errs = append(b.errs, err)
	}
}

func (b *builder) err() error {
	if len(b.errs) == 0 {
		return nil
	}
	return fmt.Errorf("statemachine: rendering the rules: %w", errors.Join(b.errs...))
}
