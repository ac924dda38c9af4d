package statemachine

import (
	"fmt"
	"math"
	"slices"
)

// Step is one Task on a worst-case path and the longest it can take.
type Step struct {
	State   string
	Seconds float64
}

// WorstCase is how long executions of a definition can run, computed from the
// built states themselves (their TimeoutSeconds and Retry), so that what the
// component checks and what Step Functions runs cannot drift apart. A Task's
// worst is every attempt running to its TimeoutSeconds and every retry waiting
// its full interval; a path's is the sum over its Tasks (Choice, Pass and Fail
// states take no time to speak of).
type WorstCase struct {
	states map[string]*state
	start  string
	task   map[string]float64 // each Task's own worst
	toEnd  map[string]float64 // the longest from entering a state to the end
	next   map[string]string  // the successor on that longest path
}

// WorstCaseOf builds cfg's definition and measures it. It fails when a Task has
// no TimeoutSeconds (its worst case would be unbounded) or the states loop.
func WorstCaseOf(cfg Config) (*WorstCase, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	def := newBuilder(cfg).build()
	w := &WorstCase{states: def.States, start: def.StartAt,
		task: map[string]float64{}, toEnd: map[string]float64{}, next: map[string]string{}}
	for name, s := range def.States {
		if s.Type != "Task" {
			continue
		}
		if s.TimeoutSeconds <= 0 {
			return nil, fmt.Errorf("statemachine: state %s has no TimeoutSeconds, so its worst case is unbounded", name)
		}
		w.task[name] = taskWorst(s)
	}
	if _, err := w.longest(def.StartAt, map[string]bool{}); err != nil {
		return nil, err
	}
	return w, nil
}

// taskWorst is one Task's longest run. Each retrier keeps its own count, so
// errors matching different retriers can use up all of them.
func taskWorst(s *state) float64 {
	attempts := 1
	waits := 0.0
	for _, r := range s.Retry {
		attempts += r.MaxAttempts
		interval := float64(r.IntervalSeconds)
		for range r.MaxAttempts {
			d := interval
			if r.MaxDelaySeconds > 0 {
				d = math.Min(d, float64(r.MaxDelaySeconds))
			}
			waits += d
			interval *= r.BackoffRate
		}
	}
	return float64(attempts*s.TimeoutSeconds) + waits
}

// successors are the states a state can hand over to: Next, a Choice's
// branches and default, and every Catch.
func successors(s *state) []string {
	var out []string
	add := func(n string) {
		if n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	add(s.Next)
	for _, c := range s.Choices {
		add(c.Next)
	}
	add(s.Default)
	for _, c := range s.Catch {
		add(c.Next)
	}
	slices.Sort(out) // ties broken the same way on every run
	return out
}

func (w *WorstCase) longest(name string, onPath map[string]bool) (float64, error) {
	if d, ok := w.toEnd[name]; ok {
		return d, nil
	}
	if onPath[name] {
		return 0, fmt.Errorf("statemachine: the states loop through %s, so no worst case exists", name)
	}
	s, ok := w.states[name]
	if !ok {
		return 0, fmt.Errorf("statemachine: a transition leads to a missing state %s", name)
	}
	onPath[name] = true
	defer delete(onPath, name)
	best, bestNext := 0.0, ""
	for _, n := range successors(s) {
		d, err := w.longest(n, onPath)
		if err != nil {
			return 0, err
		}
		if d > best || bestNext == "" {
			best, bestNext = d, n
		}
	}
	w.toEnd[name] = w.task[name] + best
	w.next[name] = bestNext
	return w.toEnd[name], nil
}

// Seconds is the longest any execution can run, rounded up to a whole second.
func (w *WorstCase) Seconds() int { return ceil(w.toEnd[w.start]) }

// Path is the Tasks of the longest execution, in order.
func (w *WorstCase) Path() []Step { return w.pathFrom(w.start) }

func (w *WorstCase) pathFrom(name string) []Step {
	var steps []Step
	for ; name != ""; name = w.next[name] {
		if d, ok := w.task[name]; ok {
			steps = append(steps, Step{State: name, Seconds: d})
		}
	}
	return steps
}

// Through is the longest path from the start that passes through the state
// (0 when the definition has no such state), with its Tasks. For
// StateElectProbe it is the longest a probe's execution can take, counted from
// the execution's start, which the election takes as the half-open period's.
func (w *WorstCase) Through(target string) (int, []Step) {
	if _, ok := w.states[target]; !ok {
		return 0, nil
	}
	// The longest path from the start to target, by depth-first search: the
	// graph is small and, as WorstCaseOf checked, free of loops.
	var best []string
	bestSeconds := -1.0
	var walk func(name string, path []string, seconds float64)
	walk = func(name string, path []string, seconds float64) {
		path = append(path, name)
		if name == target {
			if seconds > bestSeconds {
				bestSeconds, best = seconds, slices.Clone(path)
			}
			return
		}
		seconds += w.task[name]
		for _, n := range successors(w.states[name]) {
			walk(n, path, seconds)
		}
	}
	walk(w.start, nil, 0)
	if best == nil {
		return 0, nil
	}
	var steps []Step
	for _, name := range best[:len(best)-1] {
		if d, ok := w.task[name]; ok {
			steps = append(steps, Step{State: name, Seconds: d})
		}
	}
	steps = append(steps, w.pathFrom(target)...)
	return ceil(bestSeconds + w.toEnd[target]), steps
}

// InvokesDownstream reports whether the state invokes the downstream (rather
// than the fallback, the controller or DynamoDB), so that a caller can say
// which input a worst-case path is long because of.
func InvokesDownstream(state string) bool {
	switch state {
	case StateInvokeDownstream, StateInvokeDownstreamAfterFailures, StateInvokeForcedClosed, StateInvokeProbe, StateInvokeWouldReject:
		return true
	}
	return false
}

func ceil(f float64) int { return int(math.Ceil(f - 1e-9)) }
