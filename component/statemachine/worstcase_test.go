package statemachine

import (
	"encoding/json"
	"math"
	"reflect"
	"slices"
	"testing"
)

// The worst case is measured on the definition itself: here it is recomputed
// from the emitted ASL document alone (each Task's TimeoutSeconds and Retry,
// every transition), independently of WorstCaseOf's own walk over the built
// states, and the two must agree for every configuration the validator tests
// use. Issue 7, item 5.
func TestWorstCaseIsTheDefinitionsOwnRetryAndTimeouts(t *testing.T) {
	for name, cfg := range validatorConfigs() {
		t.Run(name, func(t *testing.T) {
			w, err := WorstCaseOf(cfg)
			if err != nil {
				t.Fatal(err)
			}
			def, err := Definition(cfg)
			if err != nil {
				t.Fatal(err)
			}
			var doc struct {
				StartAt string
				States  map[string]aslState
			}
			if err := json.Unmarshal([]byte(def), &doc); err != nil {
				t.Fatal(err)
			}
			for n, s := range doc.States {
				if s.Type == "Task" && s.TimeoutSeconds <= 0 {
					t.Errorf("Task %s has no TimeoutSeconds: its worst case is unbounded", n)
				}
			}

			// The longest path through the document, recomputed.
			want := longestInDocument(doc.StartAt, doc.States)
			if got := w.Seconds(); got != int(math.Ceil(want)) {
				t.Errorf("WorstCaseOf says %d s, the document's own Retry and TimeoutSeconds say %g s", got, want)
			}

			// Path is a path of the document, and its steps add up to Seconds.
			sum := 0.0
			from := doc.StartAt
			for i, step := range w.Path() {
				if !reachableWithoutTasks(from, step.State, doc.States, i == 0) {
					t.Fatalf("step %d (%s) does not follow %s in the document", i, step.State, from)
				}
				if d := documentTaskSeconds(doc.States[step.State]); step.Seconds != d {
					t.Errorf("step %s: %g s, the document says %g s", step.State, step.Seconds, d)
				}
				sum += step.Seconds
				from = step.State
			}
			if int(math.Ceil(sum)) != w.Seconds() {
				t.Errorf("the path's steps add up to %g s, Seconds is %d", sum, w.Seconds())
			}
		})
	}
}

// The arithmetic for the test configuration (downstream 10 s with the default
// 3 retries), by hand: ReadCircuit 3 x 5 s + 1 + 2 s of waits = 18;
// ClaimElection 5 (one attempt: a lost or throttled claim is rejected);
// ElectProbe 2 x 10 + 1 = 21 (one retry: see electRetry); InvokeProbe
// 4 x 10 + 1 + 2 + 4 = 47; Reopen 3 x 10 + 3 = 33.
func TestWorstCaseByHand(t *testing.T) {
	w, err := WorstCaseOf(validConfig())
	if err != nil {
		t.Fatal(err)
	}
	want := []Step{{StateReadCircuit, 18}, {StateClaimElection, 5}, {StateElectProbe, 21}, {StateInvokeProbe, 47}, {StateReopen, 33}}
	if got := w.Path(); !reflect.DeepEqual(got, want) || w.Seconds() != 124 {
		t.Errorf("worst path %v (%d s), want %v (124 s)", got, w.Seconds(), want)
	}
	if s, path := w.Through(StateElectProbe); s != 124 || !reflect.DeepEqual(path, want) {
		t.Errorf("through the election: %d s %v", s, path)
	}
	// The closed path: read, downstream, count the failure, trip.
	if s, path := w.Through(StateTrip); s != 18+47+18+33 || len(path) != 4 || path[2].State != StateRecordFailure {
		t.Errorf("through the trip: %d s %v", s, path)
	}
	if s, path := w.Through("NoSuchState"); s != 0 || path != nil {
		t.Errorf("through a missing state: %d %v", s, path)
	}

	// The fallback counts, with its own timeout: 3 x 300 s + 1 + 2 s after a
	// failed election (18 + 5 + 21 s, and 5 to release the claim) outlasts
	// every other path.
	cfg := validConfig()
	cfg.FallbackArn = "arn:aws:lambda:us-east-1:123456789012:function:orders-fallback"
	cfg.FallbackTimeoutSeconds = 300
	w, err = WorstCaseOf(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if w.Seconds() != 18+5+21+5+903 {
		t.Errorf("with a 300 s fallback: %d s %v", w.Seconds(), w.Path())
	}
	if s, _ := w.Through(StateInvokeFallback); s != w.Seconds() {
		t.Errorf("through the fallback: %d s", s)
	}
}

type aslState struct {
	Type           string
	Next, Default  string
	TimeoutSeconds int
	Retry          []struct {
		IntervalSeconds, MaxAttempts, MaxDelaySeconds int
		BackoffRate                                   float64
	}
	Choices, Catch []struct{ Next string }
}

func documentTaskSeconds(s aslState) float64 {
	if s.Type != "Task" {
		return 0
	}
	total := float64(s.TimeoutSeconds)
	for _, r := range s.Retry {
		for i := range r.MaxAttempts {
			wait := float64(r.IntervalSeconds) * math.Pow(r.BackoffRate, float64(i))
			if r.MaxDelaySeconds > 0 && wait > float64(r.MaxDelaySeconds) {
				wait = float64(r.MaxDelaySeconds)
			}
			total += float64(s.TimeoutSeconds) + wait
		}
	}
	return total
}

func nextStates(s aslState) []string {
	var out []string
	for _, n := range []string{s.Next, s.Default} {
		if n != "" {
			out = append(out, n)
		}
	}
	for _, c := range s.Choices {
		out = append(out, c.Next)
	}
	for _, c := range s.Catch {
		out = append(out, c.Next)
	}
	return out
}

func longestInDocument(name string, states map[string]aslState) float64 {
	best := 0.0
	for _, n := range nextStates(states[name]) {
		best = math.Max(best, longestInDocument(n, states))
	}
	return documentTaskSeconds(states[name]) + best
}

// reachableWithoutTasks: to is from itself (the first step, from StartAt), or
// follows it through states that are not Tasks.
func reachableWithoutTasks(from, to string, states map[string]aslState, first bool) bool {
	if first && from == to {
		return true
	}
	queue := slices.Clone(nextStates(states[from]))
	seen := map[string]bool{}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		if n == to {
			return true
		}
		if seen[n] || states[n].Type == "Task" {
			continue
		}
		seen[n] = true
		queue = append(queue, nextStates(states[n])...)
	}
	return false
}
