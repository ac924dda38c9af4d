package localbreaker

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"
)

// Traffic is an open-loop stream of requests, as independent callers send them:
// each at its time, whatever the previous ones are doing, so a slow or failing
// downstream does not slow the stream down (a closed loop would hide the very
// load a breaker exists to shed).
type Traffic struct {
	mu    sync.Mutex
	calls []Call
	errs  []error
	wg    sync.WaitGroup
	done  chan struct{}
}

// Send starts n requests at rate per second from the schedule's epoch; input
// gives each request's payload.
func (b *Breaker) Send(ctx context.Context, rate float64, n int, input func(i int) any) *Traffic {
	t := &Traffic{done: make(chan struct{})}
	interval := time.Duration(float64(time.Second) / rate)
	go func() {
		defer close(t.done)
		for i := 0; i < n && ctx.Err() == nil; i++ {
			time.Sleep(time.Until(b.Schedule.Epoch.Add(time.Duration(i) * interval)))
			t.wg.Add(1)
			go func(i int) {
				defer t.wg.Done()
				c, err := b.Call(ctx, input(i))
				t.mu.Lock()
				defer t.mu.Unlock()
				if err != nil {
					t.errs = append(t.errs, err)
					return
				}
				t.calls = append(t.calls, c)
			}(i)
		}
		t.wg.Wait()
	}()
	return t
}

// Calls is what has completed so far.
func (t *Traffic) Calls() []Call {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]Call(nil), t.calls...)
}

// Wait returns every call in start order, once all have completed, or the first
// failure of the local executor itself (not of the breaker, which is a result).
func (t *Traffic) Wait() ([]Call, error) {
	<-t.done
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.errs) > 0 {
		return nil, fmt.Errorf("the local executor failed %d requests, first: %w", len(t.errs), t.errs[0])
	}
	calls := append([]Call(nil), t.calls...)
	sort.Slice(calls, func(i, j int) bool { return calls[i].Start.Before(calls[j].Start) })
	return calls, nil
}
