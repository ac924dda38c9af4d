package handler

import (
	"io"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/lambdas/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/lambdas/circuitmetric"
)

// emitState writes c's CircuitState datapoint (lambdas/circuitmetric).
func (h *Handler) emitState(c circuit.Circuit) {
	circuitmetric.Write(h.metrics, c, h.cfg.ServiceName, h.now())
}

// WithMetrics sends the CircuitState lines to w instead of stdout (tests).
func (h *Handler) WithMetrics(w io.Writer) *Handler {
	h.metrics = w
	return h
}
