package bench

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// The alarm path closes at the first evaluation that sees the first healthy
// period's datapoint: after the wait for the next run (at most one interval),
// the rest of that run's period, CloudWatch's delay, the evaluation's minute
// tick and the notification. Worked by hand for the default alarm (1 of 1,
// 60 s) and a 3 minute delay: a recovery just after a run at the start of a
// period waits 60 s for the next run, whose period ends 60 s later; its
// datapoint arrives 180 s after that and is evaluated on the next minute:
// 300 s, plus 1 s of notification.
func TestViaAlarmWorstCaseByHand(t *testing.T) {
	a := DefaultAWSTimings(3 * time.Minute)
	got := a.ViaAlarm()
	assert.InDelta(t, (301 * time.Second).Seconds(), got.Worst.Seconds(), 1.1)
	assert.Greater(t, got.Mean, a.MetricDelay+a.Period, "never sooner than one period plus the delay")
	assert.Less(t, got.Mean, got.Worst)
}

func TestViaVerdictIsOneInterval(t *testing.T) {
	a := DefaultAWSTimings(3 * time.Minute)
	got := a.ViaVerdict()
	assert.Equal(t, a.Interval+a.Check, got.Worst, "at most one interval, plus the check")
	assert.InDelta(t, (a.Interval / 2).Seconds(), got.Mean.Seconds(), 1.1)
}

// More evaluation periods hold the alarm, and the circuit, longer: each
// breaching datapoint beyond DatapointsToAlarm-1 must age out.
func TestViaAlarmGrowsWithEvaluationPeriods(t *testing.T) {
	one := DefaultAWSTimings(time.Minute)
	three := one
	three.EvaluationPeriods, three.DatapointsToAlarm = 3, 1
	assert.InDelta(t, (2 * time.Minute).Seconds(), (three.ViaAlarm().Mean - one.ViaAlarm().Mean).Seconds(), 1.1)
	// The verdict path does not depend on the alarm at all.
	assert.Equal(t, one.ViaVerdict(), three.ViaVerdict())
}

func TestRunnerMonthlyCost(t *testing.T) {
	// 43,200 runs: $0.00864 of requests, 0.125 GB x 0.12 s x 43,200 x
	// $0.0000133334 = $0.00864 of duration, $0.0054 of reads, and one write
	// each, $0.027.
	assert.InDelta(t, 0.00864+0.00864+0.0054+43200*0.625/1e6, RunnerMonthlyCost(ListPrices, 20, 128, 100), 1e-4)
}
