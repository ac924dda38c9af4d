package circuit

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The rules' condition language: what a table's row or a write's condition
// says about the item, as data. Eval is its meaning in Go; the state machine
// builder renders the same Cond to a Choice rule (component/statemachine) and
// Expressions renders it to a DynamoDB condition expression. Each operator
// means in Go exactly what its rendering means on AWS, so the two interpreters
// of one rule cannot disagree.

// Role names whose attributes a Ref reads.
type Role string

const (
	// RoleCircuit is the item the request acts on (the state machine's
	// $.Item, the item a write changes).
	RoleCircuit Role = ""
	// RoleBreaker and RoleKey are a per-key request's two items: the
	// breaker's own and the key's (Governing).
	RoleBreaker Role = "breaker"
	RoleKey     Role = "key"
	// RoleWritten is what a write returned: the attributes it set, as numbers
	// (the state machine's $.Recorded).
	RoleWritten Role = "written"
)

// Ref is one attribute of one role's item.
type Ref struct {
	Of   Role
	Name string
}

// Attr is the circuit's own attribute name.
func Attr(name string) Ref { return Ref{Name: name} }

// Attr is the attribute name of role r's item.
func (r Role) Attr(name string) Ref { return Ref{Of: r, Name: name} }

func (r Ref) String() string {
	if r.Of == RoleCircuit {
		return r.Name
	}
	return string(r.Of) + "." + r.Name
}

// Operand is a value in a condition or a write: a constant, or a parameter
// that each interpreter binds (Go from its arguments, the state machine from
// the execution's data or the configuration). Name is its placeholder in
// DynamoDB expressions, ":" and a name.
type Operand struct {
	Name  string
	Const *Value // nil for a parameter
}

// Const is a constant operand.
func Const(name string, v Value) Operand { return Operand{Name: name, Const: &v} }

// Param is a parameter operand.
func Param(name string) Operand { return Operand{Name: name} }

// Params binds parameters by Name.
type Params map[string]Value

func (o Operand) value(p Params) (Value, error) {
	if o.Const != nil {
		return *o.Const, nil
	}
	v, ok := p[o.Name]
	if !ok {
		return Value{}, fmt.Errorf("parameter %s is not bound", o.Name)
	}
	return v, nil
}

func (o Operand) String() string {
	if o.Const != nil {
		return o.Const.Text
	}
	return o.Name
}

// Op is a condition's operator.
type Op string

const (
	// OpAlways holds always: the zero Cond (a write without a condition).
	OpAlways Op = ""
	// OpPresent: the item holds the attribute.
	OpPresent Op = "present"
	// OpEquals: present, of the operand's type, and equal (numbers by value).
	OpEquals Op = "equals"
	// OpLess, OpGreater, OpAtLeast: present, of the operand's type, and
	// less, greater, or greater or equal (numbers by value, strings by their
	// UTF-8 bytes, as DynamoDB compares them).
	OpLess    Op = "less"
	OpGreater Op = "greater"
	OpAtLeast Op = "atLeast"
	// OpNotEquals: present and not equal (a value of another type is not
	// equal), as DynamoDB's "<>"; an absent attribute is neither equal nor
	// not equal. Writes' conditions only: a Choice has no such rule.
	OpNotEquals Op = "notEquals"
	// OpAfter: a time attribute that is a timestamp later than now.
	OpAfter Op = "after"
	// OpNonZero: a number attribute whose text is not "0". DynamoDB trims
	// numbers' leading and trailing zeros
	// (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html#HowItWorks.DataTypes.Number),
	// so for the counters the writers keep (never negative) it is "above
	// zero", and it is what a Choice can test on DynamoDB JSON, where a number
	// is a string.
	OpNonZero Op = "nonZero"
	OpAnd     Op = "and"
	OpOr      Op = "or"
	OpNot     Op = "not"
)

// Cond is a condition over the items a rule reads, "now", and parameters.
type Cond struct {
	Op   Op
	Ref  Ref     // the attribute compared (leaf operators)
	Arg  Operand // what it is compared with (OpEquals, OpLess, OpGreater, OpAtLeast)
	Subs []Cond  // OpAnd, OpOr: the operands; OpNot: the one negated
}

// Present holds when the item has the attribute.
func Present(r Ref) Cond { return Cond{Op: OpPresent, Ref: r} }

// Absent holds when the item lacks the attribute.
func Absent(r Ref) Cond { return Not(Present(r)) }

// Equals holds when the attribute equals o.
func Equals(r Ref, o Operand) Cond { return Cond{Op: OpEquals, Ref: r, Arg: o} }

// NotEquals holds when the item holds the attribute and it is not o.
func NotEquals(r Ref, o Operand) Cond { return Cond{Op: OpNotEquals, Ref: r, Arg: o} }

// Less holds when the attribute is below o.
func Less(r Ref, o Operand) Cond { return Cond{Op: OpLess, Ref: r, Arg: o} }

// Greater holds when the attribute is above o.
func Greater(r Ref, o Operand) Cond { return Cond{Op: OpGreater, Ref: r, Arg: o} }

// AtLeast holds when the attribute is o or more.
func AtLeast(r Ref, o Operand) Cond { return Cond{Op: OpAtLeast, Ref: r, Arg: o} }

// After holds when the time attribute is later than now. A value that is not
// a timestamp never is: a malformed deadline counts as passed.
func After(r Ref) Cond { return Cond{Op: OpAfter, Ref: r} }

// NonZero holds when the number attribute is present and not 0.
func NonZero(r Ref) Cond { return Cond{Op: OpNonZero, Ref: r} }

// And holds when every c does.
func And(c ...Cond) Cond { return Cond{Op: OpAnd, Subs: c} }

// Or holds when one c does.
func Or(c ...Cond) Cond { return Cond{Op: OpOr, Subs: c} }

// Not holds when c does not.
func Not(c Cond) Cond { return Cond{Op: OpNot, Subs: []Cond{c}} }

// Env is what a condition reads: the items by role (a role absent from Items
// has no item: every attribute absent), when now is, and the parameters.
type Env struct {
	Items  map[Role]Item
	Now    time.Time
	Params Params
}

// Eval is the condition's meaning. It fails only on a malformed condition or
// an unbound parameter, never on the items' contents.
func (c Cond) Eval(env Env) (bool, error) {
	switch c.Op {
	case OpAlways:
		return true, nil
	case OpAnd, OpOr:
		for _, s := range c.Subs {
			ok, err := s.Eval(env)
			if err != nil {
				return false, err
			}
			if ok == (c.Op == OpOr) {
				return ok, nil
			}
		}
		return c.Op == OpAnd, nil
	case OpNot:
		if len(c.Subs) != 1 {
			return false, fmt.Errorf("not takes one condition, got %d", len(c.Subs))
		}
		ok, err := c.Subs[0].Eval(env)
		return !ok, err
	}
	if _, ok := KindOf(c.Ref.Name); !ok {
		return false, fmt.Errorf("%s: the item has no attribute %q", c.Op, c.Ref.Name)
	}
	v, present := env.Items[c.Ref.Of][c.Ref.Name]
	switch c.Op {
	case OpPresent:
		return present, nil
	case OpAfter:
		if !present || v.Kind != KindS {
			return false, nil
		}
		t, err := ParseTime(v.Text)
		return err == nil && t.After(env.Now), nil
	case OpNonZero:
		return present && v.Kind == KindN && v.Text != "0", nil
	case OpEquals, OpLess, OpGreater, OpAtLeast, OpNotEquals:
		arg, err := c.Arg.value(env.Params)
		if err != nil {
			return false, err
		}
		if c.Op == OpNotEquals {
			cmp, ok := compare(v, arg)
			return present && (v.Kind != arg.Kind || !ok || cmp != 0), nil
		}
		if !present || v.Kind != arg.Kind {
			return false, nil
		}
		cmp, ok := compare(v, arg)
		if !ok {
			return false, nil
		}
		switch c.Op {
		case OpEquals:
			return cmp == 0, nil
		case OpLess:
			return cmp < 0, nil
		case OpGreater:
			return cmp > 0, nil
		default:
			return cmp >= 0, nil
		}
	}
	return false, fmt.Errorf("unknown operator %q", c.Op)
}

// compare orders two values of one type: numbers by value, strings by bytes.
// A number that does not parse compares with nothing.
func compare(a, b Value) (int, bool) {
	if a.Kind == KindN {
		x, okA := a.number()
		y, okB := b.number()
		if !okA || !okB {
			return 0, false
		}
		return x.Cmp(y), true
	}
	return strings.Compare(a.Text, b.Text), true
}

// Check reports the first reference to an attribute the item does not have,
// or a parameter not in params: what would make Eval or a rendering fail.
func (c Cond) Check(params ...string) error {
	var errs []error
	c.walk(func(n Cond) {
		switch n.Op {
		case OpAlways, OpAnd, OpOr:
		case OpNot:
			if len(n.Subs) != 1 {
				errs = append(errs, fmt.Errorf("not takes one condition, got %d", len(n.Subs)))
			}
		case OpPresent, OpAfter, OpNonZero, OpEquals, OpLess, OpGreater, OpAtLeast:
			if _, ok := KindOf(n.Ref.Name); !ok {
				errs = append(errs, fmt.Errorf("%s: the item has no attribute %q", n.Op, n.Ref.Name))
			}
		default:
			errs = append(errs, fmt.Errorf("unknown operator %q", n.Op))
		}
		switch n.Op {
		case OpEquals, OpLess, OpGreater, OpAtLeast:
			if n.Arg.Const == nil && !slices.Contains(params, n.Arg.Name) {
				errs = append(errs, fmt.Errorf("%s %s: parameter %s is not one of %q", n.Ref, n.Op, n.Arg.Name, params))
			}
		}
	})
	return errors.Join(errs...)
}

func (c Cond) walk(f func(Cond)) {
	f(c)
	for _, s := range c.Subs {
		s.walk(f)
	}
}

// String is the condition for people (the docs' tables).
func (c Cond) String() string {
	switch c.Op {
	case OpAlways:
		return "always"
	case OpPresent:
		return c.Ref.String() + " is set"
	case OpEquals:
		return c.Ref.String() + " = " + c.Arg.String()
	case OpLess:
		return c.Ref.String() + " < " + c.Arg.String()
	case OpGreater:
		return c.Ref.String() + " > " + c.Arg.String()
	case OpAtLeast:
		return c.Ref.String() + " >= " + c.Arg.String()
	case OpAfter:
		return c.Ref.String() + " is after now"
	case OpNonZero:
		return c.Ref.String() + " is set and not 0"
	case OpNot:
		if len(c.Subs) == 1 {
			switch s := c.Subs[0]; s.Op {
			case OpPresent:
				return s.Ref.String() + " is not set"
			case OpAfter:
				return s.Ref.String() + " is not after now (or not set)"
			}
			return "not (" + c.Subs[0].String() + ")"
		}
	case OpAnd, OpOr:
		parts := make([]string, len(c.Subs))
		for i, s := range c.Subs {
			parts[i] = s.String()
			if (s.Op == OpAnd || s.Op == OpOr) && s.Op != c.Op {
				parts[i] = "(" + parts[i] + ")"
			}
		}
		return strings.Join(parts, " "+string(c.Op)+" ")
	}
	return fmt.Sprintf("%s(%s)", c.Op, c.Ref)
}
