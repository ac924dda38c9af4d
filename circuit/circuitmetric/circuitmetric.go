// Package circuitmetric writes the CircuitState metric as CloudWatch embedded
// metric format (EMF) log lines, for every Lambda of ours that writes a
// circuit: no PutMetricData call, so no permission and no request on any path.
// CloudWatch Logs extracts the metric from the function's log group.
//
// Specification: Amazon CloudWatch User Guide, "Specification: Embedded metric
// format" (root member _aws with Timestamp in epoch milliseconds and
// CloudWatchMetrics, a list of {Namespace, Dimensions: [[names]], Metrics:
// [{Name, Unit}]}; each dimension and metric named there is a root member of
// the same line; other members are allowed). Our functions log JSON
// (LoggingConfig LogFormat JSON), and a JSON line without a recognised "level"
// passes Lambda's INFO filter as INFO (Lambda Developer Guide, "Log-level
// filtering"); "level" is set anyway.
package circuitmetric

import (
	"encoding/json"
	"io"
	"time"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
)

const unit = "None"

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

// Line is the EMF line of circuit c's CircuitState (circuit.Circuit.MetricValue)
// at time at.
func Line(c circuit.Circuit, service string, at time.Time) []byte {
	b, err := json.Marshal(emfLine{
		AWS: emfMeta{Timestamp: at.UnixMilli(), CloudWatchMetrics: []emfDirective{{
			Namespace:  circuit.MetricNamespace,
			Dimensions: [][]string{{circuit.MetricDimension}},
			Metrics:    []emfMetric{{Name: circuit.MetricName, Unit: unit}},
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

// Write writes c's datapoint to w (nil: nowhere). A failed write loses one
// datapoint, never the transition it reports.
func Write(w io.Writer, c circuit.Circuit, service string, at time.Time) {
	if w == nil {
		return
	}
	_, _ = w.Write(Line(c, service, at))
}
