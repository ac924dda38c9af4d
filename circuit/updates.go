package circuit

import (
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// Writes as data. An Effect is what a write does to the item (SET, REMOVE,
// ADD, in DynamoDB's terms); an Update is a conditional write: an Effect and
// the condition the item must meet. The Go rules apply them to a Circuit
// (Apply) or to an item (ApplyItem); the state machine builder renders the
// same Update to a dynamodb:updateItem Task (Expressions). Every write adds 1
// to the item's version, the Lambdas' optimistic-concurrency token.

// Assign is one attribute and the operand a write gives it.
type Assign struct {
	Attr  string
	Value Operand
}

// Effect is what a write does: SET each of Set (in order), REMOVE each of
// Remove, ADD each of Add (a number added to the attribute, which an absent
// attribute starts at 0).
type Effect struct {
	Set    []Assign
	Remove []string
	Add    []Assign
}

// With is e followed by d, as one write.
func (e Effect) With(d Effect) Effect {
	return Effect{
		Set:    append(append([]Assign(nil), e.Set...), d.Set...),
		Remove: append(append([]string(nil), e.Remove...), d.Remove...),
		Add:    append(append([]Assign(nil), e.Add...), d.Add...),
	}
}

// Update is one conditional write of the request path.
type Update struct {
	// Name is the rule's name; Step the state machine's state that makes it.
	Name, Step string
	// Comment is the state's comment in the definition.
	Comment string
	Effect
	// If is the condition on the item before the write; the zero Cond always
	// holds. When it does not, nothing is written (DynamoDB's
	// ConditionalCheckFailedException).
	If Cond
}

// versionBump is every write's last ADD.
var versionBump = Assign{AttrVersion, opOne}

// Apply is u in Go: when u.If holds on c (as its Item), c after the change
// with Version bumped by one, and true; else c and false. The error is a
// malformed rule or an unbound parameter.
func (u Update) Apply(c Circuit, p Params) (Circuit, bool, error) {
	ok, err := u.If.Eval(Env{Items: map[Role]Item{RoleCircuit: c.Item()}, Params: p})
	if err != nil || !ok {
		return c, false, err
	}
	next, err := u.Effect.Apply(c, p)
	if err != nil {
		return c, false, err
	}
	next.Version++
	return next, true, nil
}

// ApplyItem is u as DynamoDB applies it to an item (nil: no item yet): the
// item after the write and true, or the item unchanged and false when u.If
// does not hold.
func (u Update) ApplyItem(it Item, p Params) (Item, bool, error) {
	ok, err := u.If.Eval(Env{Items: map[Role]Item{RoleCircuit: it}, Params: p})
	if err != nil || !ok {
		return it, false, err
	}
	next, err := u.Effect.With(Effect{Add: []Assign{versionBump}}).ApplyItem(it, p)
	if err != nil {
		return it, false, err
	}
	return next, true, nil
}

// Apply is the change made to c's fields, nothing else: the funnels that
// move a Circuit (open, close) are these changes. It does not bump Version:
// a rule bumps once per write, however many changes make it up.
func (e Effect) Apply(circ Circuit, p Params) (Circuit, error) {
	for _, s := range e.Set {
		a, v, err := e.operand(s, p)
		if err != nil {
			return circ, err
		}
		if err := a.decode(&circ, v); err != nil {
			return circ, err
		}
	}
	for _, name := range e.Remove {
		a, ok := attributeByName[name]
		if !ok {
			return circ, fmt.Errorf("REMOVE %s: the item has no such attribute", name)
		}
		// Absent is the field's zero (CLOSED for the state), as DecodeItem reads it.
		zero := S("")
		if a.kind == KindN {
			zero = N(0)
		}
		if err := a.set(&circ, zero); err != nil {
			return circ, err
		}
	}
	for _, add := range e.Add {
		a, v, err := e.operand(add, p)
		if err != nil {
			return circ, err
		}
		cur, _ := a.get(&circ)
		sum, err := addNumbers(a.name, cur, v)
		if err != nil {
			return circ, err
		}
		if err := a.decode(&circ, sum); err != nil {
			return circ, err
		}
	}
	return circ, nil
}

// ApplyItem is the change as DynamoDB makes it to an item.
func (e Effect) ApplyItem(it Item, p Params) (Item, error) {
	next := make(Item, len(it)+len(e.Set))
	for k, v := range it {
		next[k] = v
	}
	for _, s := range e.Set {
		_, v, err := e.operand(s, p)
		if err != nil {
			return it, err
		}
		next[s.Attr] = v
	}
	for _, name := range e.Remove {
		delete(next, name)
	}
	for _, add := range e.Add {
		_, v, err := e.operand(add, p)
		if err != nil {
			return it, err
		}
		cur, ok := next[add.Attr]
		if !ok {
			cur = N(0) // DynamoDB: ADD to an absent number starts from 0
		}
		sum, err := addNumbers(add.Attr, cur, v)
		if err != nil {
			return it, err
		}
		next[add.Attr] = sum
	}
	return next, nil
}

func (e Effect) operand(a Assign, p Params) (*attribute, Value, error) {
	attr, ok := attributeByName[a.Attr]
	if !ok {
		return nil, Value{}, fmt.Errorf("%s: the item has no such attribute", a.Attr)
	}
	v, err := a.Value.value(p)
	if err != nil {
		return nil, Value{}, fmt.Errorf("%s: %w", a.Attr, err)
	}
	return attr, v, nil
}

// addNumbers is ADD on numbers; DynamoDB refuses ADD on another type
// (ValidationException: an operand of the wrong data type).
func addNumbers(attr string, a, b Value) (Value, error) {
	x, okA := a.number()
	y, okB := b.number()
	if !okA || !okB {
		return Value{}, fmt.Errorf("ADD %s: %s + %s is not a sum of numbers", attr, a, b)
	}
	sum := new(big.Rat).Add(x, y)
	if sum.IsInt() {
		return Value{Kind: KindN, Text: sum.Num().String()}, nil
	}
	return Value{Kind: KindN, Text: strings.TrimRight(strings.TrimRight(sum.FloatString(38), "0"), ".")}, nil
}

// Expressions is an Update in DynamoDB's expression syntax: UpdateItem's
// UpdateExpression, ConditionExpression (empty: unconditional),
// ExpressionAttributeNames, and the operands behind its value placeholders.
type Expressions struct {
	Update, Condition string
	Names             map[string]string
	Values            map[string]Operand
}

// placeholders are the attribute placeholders that are not "#" and the
// attribute's name: the election's claim is "#claim", as the definition has
// always written it.
var placeholders = map[string]string{AttrElectionClaim: "#claim"}

// Expressions renders u. Attribute #placeholders are the attribute names;
// value placeholders are the operands' names, one per name, so that two
// operands sharing a name must be the same.
func (u Update) Expressions() (Expressions, error) {
	x := Expressions{Names: map[string]string{}, Values: map[string]Operand{}}
	var errs []error
	name := func(attr string) string {
		if _, ok := attributeByName[attr]; !ok {
			errs = append(errs, fmt.Errorf("the item has no attribute %q", attr))
		}
		ph := "#" + attr
		if short, ok := placeholders[attr]; ok {
			ph = short
		}
		x.Names[ph] = attr
		return ph
	}
	value := func(o Operand) string {
		if prev, ok := x.Values[o.Name]; ok && !sameOperand(prev, o) {
			errs = append(errs, fmt.Errorf("placeholder %s stands for both %s and %s", o.Name, prev, o))
		}
		if !strings.HasPrefix(o.Name, ":") || len(o.Name) < 2 {
			errs = append(errs, fmt.Errorf("value placeholder %q must be ':' and a name", o.Name))
		}
		x.Values[o.Name] = o
		return o.Name
	}
	var clauses []string
	if len(u.Set) > 0 {
		parts := make([]string, len(u.Set))
		for i, s := range u.Set {
			parts[i] = name(s.Attr) + " = " + value(s.Value)
		}
		clauses = append(clauses, "SET "+strings.Join(parts, ", "))
	}
	if len(u.Remove) > 0 {
		parts := make([]string, len(u.Remove))
		for i, r := range u.Remove {
			parts[i] = name(r)
		}
		clauses = append(clauses, "REMOVE "+strings.Join(parts, ", "))
	}
	adds := append(append([]Assign(nil), u.Add...), versionBump)
	parts := make([]string, len(adds))
	for i, a := range adds {
		parts[i] = name(a.Attr) + " " + value(a.Value)
	}
	clauses = append(clauses, "ADD "+strings.Join(parts, ", "))
	x.Update = strings.Join(clauses, " ")
	if u.If.Op != OpAlways {
		cond, err := conditionExpression(u.If, u.If.Op, name, value)
		if err != nil {
			errs = append(errs, err)
		}
		x.Condition = cond
	}
	if err := errors.Join(errs...); err != nil {
		return Expressions{}, fmt.Errorf("update %s: %w", u.Name, err)
	}
	return x, nil
}

func sameOperand(a, b Operand) bool {
	if (a.Const == nil) != (b.Const == nil) {
		return false
	}
	return a.Const == nil || (a.Const.Kind == b.Const.Kind && a.Const.Text == b.Const.Text)
}

// conditionExpression renders c inside a parent operator: nested ANDs (ORs)
// flatten into their parent's list, a different compound is parenthesised.
func conditionExpression(c Cond, parent Op, name func(string) string, value func(Operand) string) (string, error) {
	leaf := func(op string) (string, error) {
		if c.Ref.Of != RoleCircuit {
			return "", fmt.Errorf("%s: a write's condition reads the item written, not %s", c.Ref, c.Ref.Of)
		}
		return name(c.Ref.Name) + " " + op + " " + value(c.Arg), nil
	}
	switch c.Op {
	case OpPresent:
		return "attribute_exists(" + name(c.Ref.Name) + ")", nil
	case OpEquals:
		return leaf("=")
	case OpNotEquals:
		return leaf("<>")
	case OpLess:
		return leaf("<")
	case OpGreater:
		return leaf(">")
	case OpAtLeast:
		return leaf(">=")
	case OpNot:
		if len(c.Subs) == 1 && c.Subs[0].Op == OpPresent {
			return "attribute_not_exists(" + name(c.Subs[0].Ref.Name) + ")", nil
		}
		if len(c.Subs) != 1 {
			return "", fmt.Errorf("not takes one condition, got %d", len(c.Subs))
		}
		s, err := conditionExpression(c.Subs[0], OpNot, name, value)
		return "NOT (" + s + ")", err
	case OpAnd, OpOr:
		parts := make([]string, len(c.Subs))
		for i, s := range c.Subs {
			p, err := conditionExpression(s, c.Op, name, value)
			if err != nil {
				return "", err
			}
			parts[i] = p
		}
		s := strings.Join(parts, " "+strings.ToUpper(string(c.Op))+" ")
		if parent != c.Op && (parent == OpAnd || parent == OpOr) {
			s = "(" + s + ")"
		}
		return s, nil
	}
	return "", fmt.Errorf("%s has no DynamoDB condition expression", c.Op)
}
