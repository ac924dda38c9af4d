package circuit

import (
	"errors"
	"fmt"
)

// Row is one rule of a first-match Table: when When holds, the answer is
// Then, and the state machine goes on to the state Step.
type Row[T any] struct {
	When Cond
	Then T
	Step string
	// Says is the row for people: the docs and the comments of this package.
	Says string
}

// Table is a first-match decision: the first row whose condition holds
// decides, Default when none does. The state machine builder renders it as
// one Choice state, named Name, with Comment (a row whose When is an Or
// becomes one Choice rule per operand, in order: the same first match).
type Table[T any] struct {
	Name    string
	Comment string
	Rows    []Row[T]
	Default Row[T]
	// Params are the parameters its conditions may use; each interpreter
	// binds them (Decide from its arguments, the builder from the Config).
	Params []string
}

// Eval is the row that decides on env.
func (t Table[T]) Eval(env Env) (Row[T], error) {
	for i, r := range t.Rows {
		ok, err := r.When.Eval(env)
		if err != nil {
			return Row[T]{}, fmt.Errorf("%s row %d: %w", t.Name, i+1, err)
		}
		if ok {
			return r, nil
		}
	}
	return t.Default, nil
}

// Check reports every malformed condition: an attribute the item does not
// have, or a parameter the table does not declare.
func (t Table[T]) Check() error {
	var errs []error
	for i, r := range t.Rows {
		if r.When.Op == OpAlways {
			errs = append(errs, fmt.Errorf("%s row %d: no condition (only the default has none)", t.Name, i+1))
		}
		if r.Step == "" {
			errs = append(errs, fmt.Errorf("%s row %d: no step", t.Name, i+1))
		}
		if err := r.When.Check(t.Params...); err != nil {
			errs = append(errs, fmt.Errorf("%s row %d: %w", t.Name, i+1, err))
		}
	}
	if t.Default.Step == "" {
		errs = append(errs, fmt.Errorf("%s: the default has no step", t.Name))
	}
	return errors.Join(errs...)
}

// mustEval is Eval for the tables of this package, whose Check passes (a test
// runs it) and whose every parameter the caller binds: an error is a bug here.
func mustEval[T any](t Table[T], env Env) Row[T] {
	r, err := t.Eval(env)
	if err != nil {
		panic("circuit: " + err.Error())
	}
	return r
}
