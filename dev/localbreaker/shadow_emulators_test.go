//go:build emulators

package localbreaker

import (
	"context"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/component"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/testlambdas/outage"
)

// The demo's shadow mode (make demo SHADOW=1): the breaker the component
// builds with enforce: false trips as TestSmoke's does, the call it would
// have failed fast is invoked and recorded as a would-reject, circuitctl's
// count reads it, and the chart draws it.
func TestShadowSmoke(t *testing.T) {
	threshold, enforce := 2, false
	b := Start(t, Options{
		Args:           component.Args{ServiceName: "smoke", FailureThreshold: &threshold, Enforce: &enforce},
		Outages:        []outage.Window{{After: 0, For: time.Hour}},
		DownstreamEnvs: 1, ControllerEnvs: 1,
		Lead: time.Millisecond,
	})
	if !b.Config.Shadow {
		t.Fatal("enforce: false did not reach the definition")
	}
	ctx := context.Background()
	var calls []Call
	for range 3 {
		c, err := b.Call(ctx, map[string]any{"order": 1})
		if err != nil {
			t.Fatal(err)
		}
		calls = append(calls, c)
	}
	if calls[0].Path != PathFailing || calls[1].Path != PathTrip || calls[2].Path != PathWouldReject || !calls[2].WouldReject() {
		t.Fatalf("paths %v %v %v, want failing, trip, would-reject", calls[0].Path, calls[1].Path, calls[2].Path)
	}
	if calls[2].Rejected() || calls[2].downstreamCalls(b.DownstreamArn) != 1 || len(calls[2].Result.Metrics) != 1 {
		t.Fatalf("the would-reject: %s", calls[2].Result)
	}
	if c, err := b.Circuit(ctx); err != nil || c.State != circuit.Open || c.Openings != 1 {
		t.Fatalf("circuit %+v %v: the would-reject's failure must not count", c, err)
	}

	file := filepath.Join(t.TempDir(), "shadow.png")
	if err := WriteChart(file, ChartInput{Breaker: b, Calls: calls, Events: b.Events(), End: time.Now(), Title: "shadow smoke"}); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	blue := 0
	r0, g0, b0, _ := colWouldReject.RGBA()
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
			if r, g, bb, _ := img.At(x, y).RGBA(); r == r0 && g == g0 && bb == b0 {
				blue++
			}
		}
	}
	// The legend's swatch is 14 x 14; a bar adds more.
	if blue <= 14*14 {
		t.Fatalf("%d pixels of the would-reject colour: no bar drawn", blue)
	}
}
