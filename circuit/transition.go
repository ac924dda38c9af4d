package circuit

import "time"

// Change is one transition of a circuit, as the table's stream shows it: what
// the circuit's item was before a write and after it. The event publisher
// (functions/eventpublisher) turns each into one event.
type Change struct {
	From, To State
	Reason   string
	At       time.Time
	// Version is the version of the write that made the transition (the
	// version before it for a deleted item, which has none): with the item's
	// key it names the transition uniquely, whichever writer made it.
	Version int64
	// Deleted is true when the item was removed (a circuit with no item is
	// closed).
	Deleted bool
}

// ReasonItemDeleted and ReasonUnrecorded are the reasons of changes no writer
// recorded: an operator deleted the item, or edited it by hand without the
// transition attributes.
const (
	ReasonItemDeleted = "item deleted: a circuit with no item is closed"
	ReasonUnrecorded  = "item changed without a recorded transition"
)

// TransitionBetween is the rule of what a transition is, for every writer at
// once (the state machine's own UpdateItem tasks, the controller, the alarm
// handler, the command-line tool): old and new are the item before and after
// one write (zero Circuit and exists false for no item), at is when the write
// happened (the stream record's time), used only when no writer recorded one.
//
// A write is a transition when
//
//  1. it recorded a new transition (transitionAt, transitionTo or
//     transitionFrom differ): every writer records one when it moves the
//     circuit, including a re-elected half-open period (HALF_OPEN to
//     HALF_OPEN) and an operator's override, or
//  2. the effective state (Effective: the override in force, else the state)
//     differs, though no transition was recorded: a deleted item, or a hand
//     edit.
//
// Anything else, a counter (a failure, a probe slot, a probe's success) or an
// alarm source's state recorded without a move, is not a transition.
func TransitionBetween(old Circuit, oldExists bool, next Circuit, nextExists bool, at time.Time) (Change, bool) {
	if !nextExists {
		if !oldExists || old.Effective() == Closed {
			return Change{}, false
		}
		return Change{From: old.Effective(), To: Closed, Reason: ReasonItemDeleted, At: at, Version: old.Version, Deleted: true}, true
	}
	was := old.LastTransition
	if !oldExists {
		was = Transition{}
	}
	now := next.LastTransition
	if recorded(now) && (!now.At.Equal(was.At) || now.To != was.To || now.From != was.From) {
		return Change{From: now.From, To: now.To, Reason: now.Reason, At: now.At, Version: next.Version}, true
	}
	from := Closed // no item is a closed circuit
	if oldExists {
		from = old.Effective()
	}
	if to := next.Effective(); to != from {
		return Change{From: from, To: to, Reason: ReasonUnrecorded, At: at, Version: next.Version}, true
	}
	return Change{}, false
}

func recorded(t Transition) bool { return !t.At.IsZero() || t.To != "" }
