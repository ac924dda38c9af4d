package circuit

// MetricValue is a circuit's CircuitState metric value (MetricRules): 0
// closed, 1 half-open, 2 open. It is the state callers get, not the stored
// State: FORCED_OPEN and a held circuit are 2, FORCED_CLOSED is 0.
func (c Circuit) MetricValue() int {
	return mustEval(MetricRules, Env{Items: map[Role]Item{RoleCircuit: c.Item()}}).Then
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
