package handler

import (
	"io"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit/circuitmetric"
)

// emitState writes c's CircuitState datapoint (circuit/circuitmetric).
func (h *Handler) emitState(c circuit.Circuit) {
	circuitmetric.Write(h.metrics, c, h.cfg.ServiceName, h.now())
}

// WithMetrics sends the CircuitState lines to w instead of stdout (tests).
func (h *Handler) WithMetrics(w io.Writer) *Handler {
	h.metrics = w
	return h
}
