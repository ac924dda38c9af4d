package circuitctl

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit/alarmeval"
)

// The chart's colours are the demo's (dev/localbreaker/chart.go, the
// Okabe-Ito palette, which stays apart for the common colour-vision
// deficiencies); its chart draws one local run and cannot ship, so replay
// draws its own in the same style: invocations per period by outcome, each
// alarm's datapoints against its threshold and its state, and the circuit.
var (
	chartBackground = color.RGBA{255, 255, 255, 255}
	chartText       = color.RGBA{33, 33, 33, 255}
	chartMuted      = color.RGBA{110, 110, 110, 255}
	chartGrid       = color.RGBA{230, 230, 230, 255}
	chartSuccess    = color.RGBA{0, 158, 115, 255}
	chartFailed     = color.RGBA{213, 94, 0, 255}
	chartOK         = color.RGBA{166, 219, 201, 255}
	chartNoData     = color.RGBA{210, 210, 210, 255}
	chartLine       = color.RGBA{0, 114, 178, 255}
)

type chart struct {
	img                  *image.RGBA
	regular, small, bold font.Face
}

func (c *chart) rect(x0, y0, x1, y1 int, col color.Color) {
	draw.Draw(c.img, image.Rect(x0, y0, x1, y1), &image.Uniform{col}, image.Point{}, draw.Src)
}

func (c *chart) text(f font.Face, x, y int, align float64, col color.Color, s string) {
	d := &font.Drawer{Dst: c.img, Src: &image.Uniform{col}, Face: f}
	w := d.MeasureString(s).Round()
	d.Dot = fixed.P(x-int(math.Round(align*float64(w))), y)
	d.DrawString(s)
}

// writeReplayChart draws r as a PNG at path.
func writeReplayChart(path string, r *ReplayReport) error {
	const (
		width       = 1400
		left, right = 170, 1370
		barsTop     = 90
		barsBottom  = 330
		laneH       = 110
	)
	// basicfont's bitmap face: the demo's TrueType fonts would bring
	// golang.org/x/text and golang.org/x/sys into the tool (ships_test.go).
	regular, small, bold := basicfont.Face7x13, basicfont.Face7x13, basicfont.Face7x13
	height := barsBottom + 40 + laneH*len(r.Alarms) + 60 + 70
	c := &chart{img: image.NewRGBA(image.Rect(0, 0, width, height)), regular: regular, small: small, bold: bold}
	c.rect(0, 0, width, height, chartBackground)
	total := r.Until.Sub(r.From)
	xOf := func(t time.Time) int {
		return left + int(math.Round(float64(right-left)*float64(t.Sub(r.From))/float64(total)))
	}
	fn := r.Function
	if r.Qualifier != "" {
		fn += ":" + r.Qualifier
	}
	c.text(bold, left, 32, 0, chartText, fmt.Sprintf("circuitctl replay: %s, %s to %s UTC: %d openings", fn, r.From.Format(replayTime), r.Until.Format(replayTime), len(r.Openings)))
	c.text(small, left, 54, 0, chartMuted, "CloudWatch's own one-minute values (GetMetricData), evaluated by circuit/alarmeval; openings with package circuit's open durations and back-off.")
	c.text(small, left, 72, 0, chartMuted, "Not replayable from minute data: the in-line trip (consecutive failures within executions). A probe fails when half of its minute's calls failed.")

	// Invocations per bucket (at most one bar per pixel column), by outcome.
	buckets := max(1, (right-left)/3)
	bucket := max(trafficPeriod, (total / time.Duration(buckets)).Truncate(trafficPeriod))
	type bar struct{ ok, failed float64 }
	var bars []bar
	peak := 1.0
	for s := r.From; s.Before(r.Until); s = s.Add(bucket) {
		var b bar
		for m := s; m.Before(s.Add(bucket)) && m.Before(r.Until); m = m.Add(trafficPeriod) {
			inv, errs := r.traffic.at(m)
			b.ok += math.Max(0, inv-errs)
			b.failed += errs
		}
		bars = append(bars, b)
		peak = math.Max(peak, b.ok+b.failed)
	}
	yOf := func(v, top, bottom, max float64) int {
		return int(bottom) - int(math.Round((bottom-top)*v/max))
	}
	c.text(regular, 18, barsTop+14, 0, chartText, "invocations")
	c.text(small, 18, barsTop+32, 0, chartMuted, fmt.Sprintf("per %v", bucket))
	c.text(small, left-8, barsTop+5, 1, chartMuted, fmt.Sprintf("%g", peak))
	c.text(small, left-8, barsBottom+5, 1, chartMuted, "0")
	c.rect(left, barsTop, right, barsTop+1, chartGrid)
	for i, b := range bars {
		s := r.From.Add(time.Duration(i) * bucket)
		x0, x1 := xOf(s), max(xOf(s)+1, xOf(s.Add(bucket))-1)
		okTop := yOf(b.ok, barsTop, barsBottom, peak)
		c.rect(x0, okTop, x1, barsBottom, chartSuccess)
		c.rect(x0, yOf(b.ok+b.failed, barsTop, barsBottom, peak), x1, okTop, chartFailed)
	}
	c.rect(left, barsBottom, right, barsBottom+1, chartText)

	// One lane per alarm: its datapoints against the threshold, and its state.
	stateCol := map[string]color.Color{alarmeval.StateOK: chartOK, alarmeval.StateAlarm: chartFailed, alarmeval.StateInsufficientData: chartNoData}
	y := barsBottom + 40
	for _, a := range r.Alarms {
		top, bottom := y, y+laneH-44
		c.text(regular, 18, top+14, 0, chartText, a.Name)
		c.text(small, 18, top+32, 0, chartMuted, a.Kind)
		points := r.points[a.Name]
		// The scale reaches 2.5 times the threshold; higher values are drawn
		// at the top, so that the threshold stays readable.
		thr := a.threshold
		vmax := thr * 2.5
		if vmax <= 0 {
			vmax = 1
			if a.Highest != nil {
				vmax = math.Max(1, *a.Highest)
			}
		}
		c.rect(left, top, right, top+1, chartGrid)
		ty := yOf(thr, float64(top), float64(bottom), vmax)
		for x := left; x < right; x += 8 {
			c.rect(x, ty, x+4, ty+1, chartFailed)
		}
		c.text(small, left-8, ty+5, 1, chartFailed, fmt.Sprintf("%g", thr))
		for _, p := range points {
			if p.Missing {
				continue
			}
			x := xOf(p.Start)
			py := yOf(math.Min(p.Value, vmax), float64(top), float64(bottom), vmax)
			c.rect(x, py, max(x+1, xOf(p.Start.Add(time.Duration(a.period)*time.Second))), min(py+2, bottom), chartLine)
		}
		// State band.
		state, at := alarmeval.StateInsufficientData, r.From
		band := func(to time.Time) { c.rect(xOf(at), bottom+6, xOf(to), bottom+20, stateCol[state]) }
		for _, ch := range a.Changes {
			band(ch.At)
			state, at = ch.New, ch.At
		}
		band(r.Until)
		y += laneH
	}

	// The circuit: OPEN from each opening until its close.
	c.text(regular, 18, y+16, 0, chartText, "circuit")
	c.rect(left, y, right, y+24, chartOK)
	for _, op := range r.Openings {
		end := op.ClosedAt
		if end.IsZero() {
			end = r.Until
		}
		c.rect(xOf(op.At), y, max(xOf(op.At)+2, xOf(end)), y+24, chartFailed)
	}
	y += 44
	// Time axis: about ten ticks.
	step := niceStep(total / 10)
	c.rect(left, y, right, y+1, chartText)
	for t := r.From.Truncate(step).Add(step); t.Before(r.Until); t = t.Add(step) {
		x := xOf(t)
		c.rect(x, y, x+1, y+6, chartText)
		c.text(small, x, y+22, 0.5, chartText, t.Format("01-02 15:04"))
	}
	y += 48
	legend := []struct {
		col   color.Color
		label string
	}{{chartSuccess, "invocations that succeeded"}, {chartFailed, "errors / ALARM / OPEN"}, {chartLine, "alarm datapoint"}, {chartOK, "OK / CLOSED"}, {chartNoData, "INSUFFICIENT_DATA"}}
	x := left
	for _, l := range legend {
		c.rect(x, y-12, x+14, y+2, l.col)
		c.text(small, x+20, y, 0, chartText, l.label)
		d := &font.Drawer{Face: small}
		x += 20 + d.MeasureString(l.label).Round() + 26
	}
	c.text(small, x, y, 0, chartMuted, "dashed: the alarm's threshold")

	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, c.img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// niceStep is d rounded up to a readable axis step.
func niceStep(d time.Duration) time.Duration {
	for _, s := range []time.Duration{time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute, time.Hour,
		3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour, 48 * time.Hour} {
		if d <= s {
			return s
		}
	}
	return 72 * time.Hour
}
