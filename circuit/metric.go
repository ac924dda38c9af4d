package circuit

// MetricValue is a circuit's CircuitState metric value: 0 closed, 1 half-open,
// 2 open. It is the state callers get, not the stored State: an operator's
// override and a healthcheck hold decide before State does (Decide's rules 1
// and 2), so FORCED_OPEN and a held circuit are 2, FORCED_CLOSED is 0.
// An OPEN circuit whose open duration is over is still 2: it stays open until
// a caller is elected as its probe.
func (c Circuit) MetricValue() int {
	switch c.Override {
	case ForcedOpen:
		return MetricOpen
	case ForcedClosed:
		return MetricClosed
	}
	if c.Healthcheck.State == AlarmStateAlarm {
		return MetricOpen
	}
	switch c.State {
	case Open:
		return MetricOpen
	case HalfOpen:
		return MetricHalfOpen
	}
	return MetricClosed
}

// The CircuitState metric: its namespace, name and one dimension, whose value
// is the circuit's service name. The alarm handler publishes it; the
// component graphs it and documents it.
const (
	MetricNamespace = "CircuitBreaker"
	MetricName      = "CircuitState"
	MetricDimension = "ServiceName"
)

// CircuitState metric values.
const (
	MetricClosed   = 0
	MetricHalfOpen = 1
	MetricOpen     = 2
)
