package handler

import (
	"encoding/json"
	"io"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/lambdas/circuit"
)

// The CircuitState metric, published without a PutMetricData call (and so
// without a permission or a request on any path): the handler writes one
// CloudWatch embedded metric format (EMF) line to stdout, and CloudWatch Logs
// extracts the metric from the function's log group. Specification: Amazon
// CloudWatch User Guide, "Specification: Embedded metric format" (root member
// _aws with Timestamp in epoch milliseconds and CloudWatchMetrics, a list of
// {Namespace, Dimensions: [[names]], Metrics: [{Name, Unit}]}; each dimension
// and metric named there is a root member of the same line; other members are
// allowed). The function logs JSON (LoggingConfig LogFormat JSON), and a JSON
// line without a recognised "level" passes Lambda's INFO filter as INFO (Lambda
// Developer Guide, "Log-level filtering"); "level" is set anyway.
const circuitStateUnits = "None"

type emfMetric struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}

type emfDirective struct {
	Namespace  string      `json:"Namespace"`
	Dimensions [][]string  `json:"Dimensions"`
	Metrics    []emfMetric `json:"Metrics"`
}

type emfMeta struct {
	Timestamp         int64          `json:"Timestamp"`
	CloudWatchMetrics []emfDirective `json:"CloudWatchMetrics"`
}

type emfLine struct {
	AWS          emfMeta `json:"_aws"`
	Level        string  `json:"level"`
	Msg          string  `json:"msg"`
	ServiceName  string  `json:"ServiceName"`
	CircuitState int     `json:"CircuitState"`
}

// CircuitStateLine is the EMF line for circuit c at the handler's clock.
func CircuitStateLine(c circuit.Circuit, service string, atMillis int64) []byte {
	b, err := json.Marshal(emfLine{
		AWS: emfMeta{Timestamp: atMillis, CloudWatchMetrics: []emfDirective{{
			Namespace:  circuit.MetricNamespace,
			Dimensions: [][]string{{circuit.MetricDimension}},
			Metrics:    []emfMetric{{Name: circuit.MetricName, Unit: circuitStateUnits}},
		}}},
		Level:        "INFO",
		Msg:          "circuit state metric",
		ServiceName:  service,
		CircuitState: c.MetricValue(),
	})
	if err != nil {
		panic(err) // strings and numbers only
	}
	return append(b, '\n')
}

// emitState writes c's CircuitState datapoint. A failed write to stdout loses
// one datapoint, never the transition.
func (h *Handler) emitState(c circuit.Circuit) {
	if h.metrics == nil {
		return
	}
	_, _ = h.metrics.Write(CircuitStateLine(c, h.cfg.ServiceName, h.now().UnixMilli()))
}

// WithMetrics sends the EMF lines to w instead of stdout (tests).
func (h *Handler) WithMetrics(w io.Writer) *Handler {
	h.metrics = w
	return h
}
