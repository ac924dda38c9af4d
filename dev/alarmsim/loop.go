package alarmsim

import (
	"context"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// Watched is one alarm the loop evaluates, and which of its changes it
// publishes.
type Watched struct {
	Alarm   *Alarm
	Actions Actions
}

// Loop drives alarms and a schedule on the wall clock: it evaluates each alarm
// shortly after each of its periods ends, publishes the changes its actions
// cover to the topic's subscriber, and stands in for EventBridge Scheduler by
// calling Target every Every.
type Loop struct {
	Alarms []Watched
	Topic  Topic
	// Deliver hands one notification to the topic's subscriber (the alarm
	// handler). An error is retried twice, as Lambda retries a failed
	// asynchronous invocation (immediately here; minutes apart on AWS).
	Deliver func(ctx context.Context, ev events.SNSEvent) error
	// Observe, when set, sees every change: published or not, and the
	// delivery's final error.
	Observe func(a *Alarm, c Change, published bool, err error)

	// Target runs at Origin + Offset + k*Every (k >= 0) while the loop runs;
	// nil or Every 0: no schedule.
	Target func(ctx context.Context, at time.Time)
	Origin time.Time
	Every  time.Duration
	Offset time.Duration

	// Lag is how long after a period's end its alarm is evaluated, so that
	// requests started within the period have reported their outcome. CloudWatch's
	// own lag (about a minute for Lambda metrics) is not simulated.
	Lag time.Duration
}

// Run loops until ctx is done.
func (l *Loop) Run(ctx context.Context) {
	nextEval := make([]time.Time, len(l.Alarms))
	now := time.Now()
	for i, w := range l.Alarms {
		nextEval[i] = w.Alarm.PeriodStart(w.Alarm.PeriodOf(now) + 1).Add(l.Lag)
	}
	var nextTick time.Time
	if l.Target != nil && l.Every > 0 {
		nextTick = l.Origin.Add(l.Offset)
		for nextTick.Before(now) {
			nextTick = nextTick.Add(l.Every)
		}
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		next := nextTick
		for _, t := range nextEval {
			if next.IsZero() || t.Before(next) {
				next = t
			}
		}
		timer.Reset(time.Until(next))
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		if !nextTick.IsZero() && !time.Now().Before(nextTick) {
			l.Target(ctx, nextTick)
			nextTick = nextTick.Add(l.Every)
		}
		for i, w := range l.Alarms {
			if time.Now().Before(nextEval[i]) {
				continue
			}
			// Evaluated as of the period's end, which is when CloudWatch would
			// have the datapoint, not as of the lagged instant.
			at := nextEval[i].Add(-l.Lag)
			nextEval[i] = nextEval[i].Add(w.Alarm.Rule.Period)
			c, changed := w.Alarm.Evaluate(at)
			if !changed {
				continue
			}
			publish := w.Actions.Notifies(c.New)
			var err error
			if publish && l.Deliver != nil {
				ev := Notification(w.Alarm, w.Actions, c, l.Topic)
				for attempt := 0; attempt < 3; attempt++ {
					if err = l.Deliver(ctx, ev); err == nil || ctx.Err() != nil {
						break
					}
				}
			}
			if l.Observe != nil {
				l.Observe(w.Alarm, c, publish, err)
			}
		}
	}
}
