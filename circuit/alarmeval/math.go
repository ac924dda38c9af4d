package alarmeval

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// Expr is a parsed metric-math expression (the subset in the package doc).
type Expr struct {
	op   string // "num", "id", "neg", "+", "-", "*", "/", ">", ">=", "<", "<=", "==", "!=", "IF"
	num  float64
	id   string
	args []*Expr
}

// Parse parses a metric-math expression.
func Parse(s string) (*Expr, error) {
	p := &parser{src: s}
	p.lex()
	if p.err != nil {
		return nil, p.err
	}
	e := p.cmp()
	if p.err == nil && p.pos < len(p.toks) {
		p.fail("unexpected %q", p.toks[p.pos])
	}
	if p.err != nil {
		return nil, fmt.Errorf("metric math %q: %w", s, p.err)
	}
	return e, nil
}

// IDs are the query ids e reads, sorted.
func (e *Expr) IDs() []string {
	var ids []string
	var walk func(*Expr)
	walk = func(e *Expr) {
		if e.op == "id" && !slices.Contains(ids, e.id) {
			ids = append(ids, e.id)
		}
		for _, a := range e.args {
			walk(a)
		}
	}
	walk(e)
	slices.Sort(ids)
	return ids
}

// Eval is e's value for one period, given each id's value in it; ok is false
// when the result is missing: an input it needs is missing, a division by
// zero, or IF without a false branch whose condition is false.
func (e *Expr) Eval(value func(id string) (float64, bool)) (float64, bool) {
	switch e.op {
	case "num":
		return e.num, true
	case "id":
		return value(e.id)
	case "neg":
		v, ok := e.args[0].Eval(value)
		return -v, ok
	case "IF":
		c, ok := e.args[0].Eval(value)
		if !ok {
			return 0, false
		}
		if c != 0 {
			return e.args[1].Eval(value)
		}
		if len(e.args) < 3 {
			return 0, false
		}
		return e.args[2].Eval(value)
	}
	a, ok := e.args[0].Eval(value)
	if !ok {
		return 0, false
	}
	b, ok := e.args[1].Eval(value)
	if !ok {
		return 0, false
	}
	bool01 := func(t bool) (float64, bool) {
		if t {
			return 1, true
		}
		return 0, true
	}
	switch e.op {
	case "+":
		return a + b, true
	case "-":
		return a - b, true
	case "*":
		return a * b, true
	case "/":
		if b == 0 {
			return 0, false
		}
		return a / b, true
	case ">":
		return bool01(a > b)
	case ">=":
		return bool01(a >= b)
	case "<":
		return bool01(a < b)
	case "<=":
		return bool01(a <= b)
	case "==":
		return bool01(a == b)
	case "!=":
		return bool01(a != b)
	}
	return 0, false
}

type parser struct {
	src  string
	toks []string
	pos  int
	err  error
}

func (p *parser) fail(format string, args ...any) {
	if p.err == nil {
		p.err = fmt.Errorf(format, args...)
	}
}

func (p *parser) lex() {
	s := p.src
	for i := 0; i < len(s); {
		c := rune(s[i])
		switch {
		case unicode.IsSpace(c):
			i++
		case strings.ContainsRune("+-*/(),", c):
			p.toks = append(p.toks, string(c))
			i++
		case strings.ContainsRune("<>=!", c):
			if i+1 < len(s) && s[i+1] == '=' {
				p.toks = append(p.toks, s[i:i+2])
				i += 2
			} else if c == '<' || c == '>' {
				p.toks = append(p.toks, string(c))
				i++
			} else {
				p.fail("unexpected %q", string(c))
				return
			}
		case unicode.IsDigit(c) || c == '.':
			j := i
			for j < len(s) && (unicode.IsDigit(rune(s[j])) || s[j] == '.') {
				j++
			}
			p.toks = append(p.toks, s[i:j])
			i = j
		case unicode.IsLetter(c) || c == '_':
			j := i
			for j < len(s) && (unicode.IsLetter(rune(s[j])) || unicode.IsDigit(rune(s[j])) || s[j] == '_') {
				j++
			}
			p.toks = append(p.toks, s[i:j])
			i = j
		default:
			p.fail("unexpected %q", string(c))
			return
		}
	}
}

func (p *parser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return ""
}

func (p *parser) next() string {
	t := p.peek()
	if t == "" {
		p.fail("unexpected end")
		return ""
	}
	p.pos++
	return t
}

func (p *parser) expect(t string) {
	if got := p.next(); got != t && p.err == nil {
		p.fail("want %q, got %q", t, got)
	}
}

func (p *parser) cmp() *Expr {
	l := p.add()
	switch op := p.peek(); op {
	case ">", ">=", "<", "<=", "==", "!=":
		p.pos++
		return &Expr{op: op, args: []*Expr{l, p.add()}}
	}
	return l
}

func (p *parser) add() *Expr {
	l := p.mul()
	for p.err == nil && (p.peek() == "+" || p.peek() == "-") {
		op := p.next()
		l = &Expr{op: op, args: []*Expr{l, p.mul()}}
	}
	return l
}

func (p *parser) mul() *Expr {
	l := p.unary()
	for p.err == nil && (p.peek() == "*" || p.peek() == "/") {
		op := p.next()
		l = &Expr{op: op, args: []*Expr{l, p.unary()}}
	}
	return l
}

func (p *parser) unary() *Expr {
	if p.peek() == "-" {
		p.pos++
		return &Expr{op: "neg", args: []*Expr{p.unary()}}
	}
	return p.primary()
}

func (p *parser) primary() *Expr {
	t := p.next()
	switch {
	case p.err != nil:
		return &Expr{op: "num"}
	case t == "(":
		e := p.cmp()
		p.expect(")")
		return e
	case unicode.IsDigit(rune(t[0])) || t[0] == '.':
		f, err := strconv.ParseFloat(t, 64)
		if err != nil {
			p.fail("bad number %q", t)
		}
		return &Expr{op: "num", num: f}
	case unicode.IsLetter(rune(t[0])) || t[0] == '_':
		if p.peek() != "(" {
			return &Expr{op: "id", id: t}
		}
		p.pos++
		var args []*Expr
		for p.err == nil {
			args = append(args, p.cmp())
			if p.peek() == "," {
				p.pos++
				continue
			}
			p.expect(")")
			break
		}
		if t != "IF" {
			p.fail("function %s is not evaluated (only IF)", t)
		} else if len(args) != 2 && len(args) != 3 {
			p.fail("IF takes 2 or 3 arguments, got %d", len(args))
		}
		return &Expr{op: "IF", args: args}
	}
	p.fail("unexpected %q", t)
	return &Expr{op: "num"}
}

// Guard is N when e is IF(id >= N, ...): the minimum of id under which the
// expression does not pass its value on (the component's minimum
// throughput).
func (e *Expr) Guard(id string) (float64, bool) {
	if e.op != "IF" {
		return 0, false
	}
	c := e.args[0]
	if c.op == ">=" && c.args[0].op == "id" && c.args[0].id == id && c.args[1].op == "num" {
		return c.args[1].num, true
	}
	return 0, false
}
