package bench

import (
	"fmt"
	"math"
	"time"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/component"
)

// AWSTimings is what decides, on AWS, how long after the downstream recovers
// a circuit held by a healthcheck that saw the outage closes. The local run
// cannot measure it: its alarm periods are compressed and it has no
// CloudWatch. So it is computed, from the component's settings and the
// assumptions below, by replaying the schedule and the alarm's evaluation
// over every phase of the schedule against the period and every instant of
// the recovery within one interval.
type AWSTimings struct {
	// Interval is the schedule's (rate(1 minute): 60 s). EventBridge
	// Scheduler runs at the scheduled time with FlexibleTimeWindow OFF.
	Interval time.Duration
	// The healthcheck alarm: Errors, Sum >= 1 in DatapointsToAlarm of
	// EvaluationPeriods periods of Period, missing data notBreaching
	// (component.DefaultHealthcheckMonitoring).
	Period                               time.Duration
	EvaluationPeriods, DatapointsToAlarm int
	// MetricDelay: a period's datapoint reaches the alarm this long after the
	// period ends (CloudWatch's delay for Lambda metrics; see
	// component.MetricDelayAllowanceSeconds for the sources).
	MetricDelay time.Duration
	// EvaluationEvery: CloudWatch evaluates an alarm on a 60 s period once a
	// minute (CloudWatch User Guide, "Using Amazon CloudWatch alarms": "If
	// the alarm period is 10 seconds or 30 seconds, the alarm is evaluated
	// every 10 seconds", else every minute).
	EvaluationEvery time.Duration
	// Notify: SNS delivery plus the alarm handler's read and write.
	Notify time.Duration
	// Check: one run's invocation of the healthcheck, from its scheduled time
	// to the runner's write (Scheduler's delivery, the runner's and the
	// healthcheck's durations, one read and one write).
	Check time.Duration
}

// DefaultAWSTimings are the component's defaults with metricDelay.
func DefaultAWSTimings(metricDelay time.Duration) AWSTimings {
	m := component.DefaultHealthcheckMonitoring
	return AWSTimings{
		Interval:          time.Minute,
		Period:            time.Duration(m.Period) * time.Second,
		EvaluationPeriods: m.EvaluationPeriods,
		DatapointsToAlarm: m.DatapointsToAlarm,
		MetricDelay:       metricDelay,
		EvaluationEvery:   time.Minute,
		Notify:            time.Second,
		Check:             500 * time.Millisecond,
	}
}

// RecoveryFigures is the time from the recovery to closed, over every
// recovery instant and schedule phase: its mean and its worst case.
type RecoveryFigures struct{ Mean, Worst time.Duration }

func (f RecoveryFigures) String() string {
	return fmt.Sprintf("%.0f s (worst %.0f s)", f.Mean.Seconds(), f.Worst.Seconds())
}

// steps is the resolution of the replay: recovery instants and phases per
// interval / period.
const steps = 60

// ViaVerdict is the healthcheck runner's path: the first run after the
// recovery sees it and its verdict closes the circuit.
func (a AWSTimings) ViaVerdict() RecoveryFigures {
	var sum, worst time.Duration
	n := 0
	for i := 0; i < steps; i++ {
		// The recovery lands i/steps into the interval between two runs.
		wait := a.Interval - time.Duration(i)*a.Interval/steps
		d := wait + a.Check
		sum += d
		worst = max(worst, d)
		n++
	}
	return RecoveryFigures{Mean: sum / time.Duration(n), Worst: worst}
}

// ViaAlarm is the alarm path's: the circuit closes when the healthcheck alarm
// returns to OK (its OK closes a circuit its ALARM held), which it does at the
// first evaluation where fewer than DatapointsToAlarm of the last
// EvaluationPeriods datapoints it can see breach. A datapoint is the Sum of
// the errors of the runs that started in its period (Lambda dates a metric by
// the invocation's start); the runs before the recovery failed, those after
// succeed. This is the original's path too (its healthcheck alarm is the
// same, Errors >= 1 in 1 of 1, with an OK action).
func (a AWSTimings) ViaAlarm() RecoveryFigures {
	var sum, worst time.Duration
	n := 0
	for ph := 0; ph < steps; ph++ {
		// The runs' phase against the periods' boundaries (a rate schedule
		// counts from its creation, the periods from the minute).
		phase := time.Duration(ph) * a.Period / steps
		for i := 0; i < steps; i++ {
			// A run at phase + k*Interval; the recovery i/steps into the
			// interval before the run at k0.
			const k0 = 100
			firstGood := phase + k0*a.Interval
			recovery := firstGood - a.Interval + time.Duration(i+1)*a.Interval/steps
			breaching := func(periodStart time.Duration) bool {
				// Any run in [periodStart, periodStart+Period) before firstGood failed.
				k := int(math.Ceil(float64(periodStart-phase) / float64(a.Interval)))
				run := phase + time.Duration(k)*a.Interval
				return run < periodStart+a.Period && run < firstGood
			}
			// Evaluations from the recovery on, on the minute.
			e := (recovery/a.EvaluationEvery + 1) * a.EvaluationEvery
			for ; ; e += a.EvaluationEvery {
				// The newest period whose datapoint has arrived.
				last := ((e-a.MetricDelay)/a.Period)*a.Period - a.Period
				bad := 0
				for j := 0; j < a.EvaluationPeriods; j++ {
					if breaching(last - time.Duration(j)*a.Period) {
						bad++
					}
				}
				if bad < a.DatapointsToAlarm {
					break
				}
			}
			d := e + a.Notify - recovery
			sum += d
			worst = max(worst, d)
			n++
		}
	}
	return RecoveryFigures{Mean: sum / time.Duration(n), Worst: worst}
}

// RunnerMonthlyCost is what the healthcheck runner adds per month at one run
// a minute (30 days), in USD: one invocation of our 128 MB arm64 function
// that waits for the healthcheck (healthcheckMs) and reads the item
// (controllerMs), plus one write per run, healthy or not (every verdict
// records its run, so that an older, slower run finishing later is ignored:
// circuit ApplyVerdict). The healthcheck's own invocations were paid
// before too.
func RunnerMonthlyCost(p Prices, controllerMs, controllerMB, healthcheckMs float64) float64 {
	runs := 30 * 24 * 60.0
	perRun := p.LambdaRequest + controllerMB/1024*(healthcheckMs+controllerMs)/1000*p.LambdaArmGBSecond + p.DynamoRRU
	return runs * (perRun + p.DynamoWRU)
}
