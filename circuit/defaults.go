package circuit

import "fmt"

// The circuit's settings, each default and each range declared once: the
// component's inputs (component/args.go, settings.go), statemachine.Config
// and the Lambdas' configuration read them here. (The component's own
// settings, schedules, logging, concurrency, are in component/defaults.go.)

// Defaults. gobreaker, Powertools and the Lambda circuit breaker libraries
// trip after about five consecutive failures, and gobreaker and Powertools
// probe with one call that closes on success. The open duration is the
// original module's, doubled at each consecutive opening up to ten times it.
const (
	DefaultFailureThreshold       = 5
	DefaultHalfOpenMaxCalls       = 1
	DefaultSuccessThreshold       = 1
	DefaultOpenDurationSeconds    = 60
	DefaultMaxOpenDurationSeconds = 600
	DefaultOpenBackoffMultiplier  = 2.0
	// One failed run opens, like the healthcheck alarm's default (Errors >= 1
	// in 1 of 1 period) and the original's: a healthcheck is a deliberate
	// probe, so one failure is a signal, not noise, and a wrong opening costs
	// at most one interval, since the next successful run closes it again.
	DefaultHealthcheckUnhealthyThreshold = 1
)

// Range is the whole numbers from Min to Max.
type Range struct{ Min, Max int }

// Contains reports whether n is in r.
func (r Range) Contains(n int) bool { return n >= r.Min && n <= r.Max }

func (r Range) String() string { return fmt.Sprintf("%d to %d", r.Min, r.Max) }

// Ranges. The upper bounds catch typos: more than 1,000 consecutive failures
// or 100 probes in one period is no breaker, and 100 unhealthy runs is more
// than a day at rate(15 minutes).
var (
	FailureThresholdRange              = Range{1, 1000}
	HalfOpenMaxCallsRange              = Range{1, 100}
	HealthcheckUnhealthyThresholdRange = Range{1, 100}
)

// SuccessThresholdRange is 1 to halfOpenMaxCalls: a half-open period admits
// no more probes than that, so more successes could never be reached.
func SuccessThresholdRange(halfOpenMaxCalls int) Range { return Range{1, halfOpenMaxCalls} }

// The alarms' defaults: component/defaults.go builds the component's alarm
// settings from them, and `circuitctl replay` proposes them when a flag is
// not given. The downstream alarm keeps the original module's thresholds
// (Errors Sum > 1 in 3 of 3 one-minute periods); missing data (a minute
// without invocations, or an open circuit that invokes nothing) is not
// breaching, so that a quiet or open downstream never alarms.
const (
	DefaultAlarmPeriodSeconds          = 60
	DefaultAlarmTreatMissingData       = "notBreaching"
	DefaultDownstreamAlarmComparison   = "GreaterThanThreshold"
	DefaultDownstreamAlarmThreshold    = 1.0
	DefaultDownstreamEvaluationPeriods = 3
	DefaultDownstreamDatapointsToAlarm = 3
	// DefaultMinimumInvocations: below about ten calls a period, one error is
	// already 10%: a rate says little, so quieter periods do not breach. The
	// slow-call alarm's minimum too: a p99 of fewer than ten calls is their
	// maximum, one slow call is the whole statistic.
	DefaultMinimumInvocations = 10
	// The slow-call alarm: the p99 of three one-minute periods, all three
	// breaching, like the error alarm's 3 of 3. Its threshold has no default.
	DefaultSlowCallPercentile        = "p99"
	DefaultSlowCallEvaluationPeriods = 3
	DefaultSlowCallDatapointsToAlarm = 3
)
