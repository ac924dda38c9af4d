package component_test

import (
	"testing"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/component"
)

// The checks added for issue 14 read strings that come from outside (the
// user's inputs, the engine's URNs, ARNs): none may panic, whatever they get.

func FuzzCheckPercentile(f *testing.F) {
	for _, s := range []string{"p99", "p99.999", "p100.0", "p050", "p", "", "p1e3", "p99.9.9", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		why := component.CheckPercentile(s)
		if why == "" && (len(s) < 2 || s[0] != 'p') {
			t.Errorf("%q accepted as a percentile", s)
		}
	})
}

func FuzzCreatedByBreaker(f *testing.F) {
	for _, s := range []string{"urn:pulumi:s::p::circuitbreaker:index:CircuitBreaker$aws:dynamodb/table:Table::a-table",
		"urn:pulumi:s::p::aws:dynamodb/table:Table::t", "urn:pulumi:::::", "urn:pulumi:s::p::$::", "", "::", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { _, _ = component.CreatedByBreaker(s) })
}

func FuzzCheckEventBusRegion(f *testing.F) {
	for _, s := range []string{"arn:aws:events:eu-west-1:210987654321:event-bus/ops", "ops", "arn:", "arn:::::", ""} {
		f.Add(s, "us-east-1")
	}
	f.Fuzz(func(t *testing.T, bus, region string) { _ = component.CheckEventBusRegion(bus, region) })
}

func FuzzCheckTags(f *testing.F) {
	f.Add("team", "checkout", "aws:x", "")
	f.Add("\xff", "\xfe", "", "AWS:")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		_ = component.CheckTags(map[string]string{k1: v1, k2: v2})
	})
}
