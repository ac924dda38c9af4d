package localbreaker

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// ChartInput is one run to draw.
type ChartInput struct {
	Breaker *Breaker
	Calls   []Call
	Events  []Event
	End     time.Time
	Title   string
	// Bucket is the width of one bar (default 1 s).
	Bucket time.Duration
}

// Colours from the Okabe-Ito palette (bluish green, vermillion, orange),
// which stay apart for the common colour-vision deficiencies; every lane is
// labelled as well.
var (
	colBackground = color.RGBA{255, 255, 255, 255}
	colText       = color.RGBA{33, 33, 33, 255}
	colMuted      = color.RGBA{110, 110, 110, 255}
	colGrid       = color.RGBA{230, 230, 230, 255}
	colOutage     = color.RGBA{250, 226, 210, 255}
	colSuccess    = color.RGBA{0, 158, 115, 255}
	colFailed     = color.RGBA{213, 94, 0, 255}
	colFastFail   = color.RGBA{150, 150, 150, 255}
	// Shadow mode's would-rejects: Okabe-Ito blue.
	colWouldReject = color.RGBA{0, 114, 178, 255}
	colClosed      = colSuccess
	colOpen        = colFailed
	colHalfOpen    = color.RGBA{230, 159, 0, 255}
	colAlarmOK     = color.RGBA{166, 219, 201, 255}
	colAlarm       = colFailed
	colNoData      = color.RGBA{210, 210, 210, 255}
)

type canvas struct {
	img                  *image.RGBA
	regular, small, bold font.Face
}

func newFace(ttf []byte, size float64) (font.Face, error) {
	f, err := opentype.Parse(ttf)
	if err != nil {
		return nil, err
	}
	return opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
}

func (c *canvas) rect(x0, y0, x1, y1 int, col color.Color) {
	draw.Draw(c.img, image.Rect(x0, y0, x1, y1), &image.Uniform{col}, image.Point{}, draw.Src)
}

// text draws s with its baseline at y; align is 0 (left), 0.5 (centre), 1 (right).
func (c *canvas) text(face font.Face, x, y int, align float64, col color.Color, s string) {
	d := &font.Drawer{Dst: c.img, Src: &image.Uniform{col}, Face: face}
	w := d.MeasureString(s).Round()
	d.Dot = fixed.P(x-int(math.Round(align*float64(w))), y)
	d.DrawString(s)
}

func (c *canvas) dashedV(x, y0, y1 int, col color.Color) {
	for y := y0; y < y1; y += 6 {
		c.rect(x, y, x+1, min(y+3, y1), col)
	}
}

// WriteChart draws the run as a PNG: requests per second by outcome, with the
// outage windows shaded; the circuit's state; the two alarms' states and the
// healthcheck's runs. docs/demo.md explains how to read it.
func WriteChart(path string, in ChartInput) error {
	const (
		width, height = 1400, 834
		left, right   = 150, 1370
		barsTop       = 110
		barsBottom    = 470
	)
	if in.Bucket <= 0 {
		in.Bucket = time.Second
	}
	b := in.Breaker
	regular, err := newFace(goregular.TTF, 15)
	if err != nil {
		return err
	}
	small, err := newFace(goregular.TTF, 13)
	if err != nil {
		return err
	}
	bold, err := newFace(gobold.TTF, 19)
	if err != nil {
		return err
	}
	c := &canvas{img: image.NewRGBA(image.Rect(0, 0, width, height)), regular: regular, small: small, bold: bold}
	c.rect(0, 0, width, height, colBackground)

	total := in.End.Sub(b.Schedule.Epoch)
	xOf := func(d time.Duration) int {
		return left + int(math.Round(float64(right-left)*float64(d)/float64(total)))
	}

	c.text(bold, left, 34, 0, colText, in.Title)
	c.text(small, left, 56, 0, colMuted, fmt.Sprintf(
		"Request path: the component's real state machine definition (aws-local-stepfunctions, %s) and our controller Lambda (RIE). Alarm path: our alarm-handler Lambda (RIE);", b.Store))
	c.text(small, left, 74, 0, colMuted, fmt.Sprintf(
		"CloudWatch alarms, SNS and the scheduler are SIMULATED, %gx faster than configured (a %d s alarm period lasts %v). Open duration %d s, doubling; trip after %d consecutive failures.",
		b.Compression, b.Settings.DownstreamMonitoring.Period, b.DownstreamAlarm.Rule.Period, b.Settings.OpenDurationSeconds, b.Settings.FailureThreshold))

	// Outage windows behind everything.
	for _, w := range b.Schedule.Windows {
		x0, x1 := xOf(w.After), xOf(min(w.After+w.For, total))
		c.rect(x0, barsTop, x1, barsBottom, colOutage)
		c.text(small, (x0+x1)/2, barsTop+16, 0.5, colFailed, "downstream down")
	}

	// Bars: requests per second by outcome, stacked.
	n := int(math.Ceil(float64(total) / float64(in.Bucket)))
	type counts struct{ ok, failed, fast, would int }
	shadow := false
	buckets := make([]counts, n)
	for _, call := range in.Calls {
		i := int(call.Start.Sub(b.Schedule.Epoch) / in.Bucket)
		if i < 0 || i >= n {
			continue
		}
		switch {
		case call.WouldReject():
			// Whatever the downstream answered: the bar says what
			// enforcing mode would have done.
			buckets[i].would++
			shadow = true
		case call.Result.Succeeded():
			buckets[i].ok++
		case call.Rejected():
			buckets[i].fast++
		default:
			buckets[i].failed++
		}
	}
	peak := 1
	for _, k := range buckets {
		peak = max(peak, k.ok+k.failed+k.fast+k.would)
	}
	perSecond := float64(time.Second) / float64(in.Bucket)
	yStep := niceCeil(float64(peak) * perSecond * 1.15 / 5)
	yMax := math.Ceil(float64(peak)*perSecond*1.15/yStep) * yStep
	yOf := func(v float64) int {
		return barsBottom - int(math.Round(float64(barsBottom-barsTop-24)*v/yMax))
	}
	for tick := 0.0; tick <= yMax; tick += yStep {
		y := yOf(tick)
		c.rect(left, y, right, y+1, colGrid)
		c.text(small, left-8, y+5, 1, colMuted, fmt.Sprintf("%g", tick))
	}
	c.text(regular, 18, barsTop+10, 0, colText, "requests / s")
	c.text(small, 18, barsTop+28, 0, colMuted, "by outcome")
	for i, k := range buckets {
		x0 := xOf(time.Duration(i)*in.Bucket) + 1
		x1 := xOf(time.Duration(i+1)*in.Bucket) - 1
		base := 0.0
		for _, part := range []struct {
			v   int
			col color.Color
		}{{k.ok, colSuccess}, {k.failed, colFailed}, {k.fast, colFastFail}, {k.would, colWouldReject}} {
			if part.v == 0 {
				continue
			}
			top := base + float64(part.v)*perSecond
			c.rect(x0, yOf(top), x1, yOf(base), part.col)
			base = top
		}
	}
	c.rect(left, barsBottom, right, barsBottom+1, colText)

	// Lanes.
	lane := func(y int, label, sub string) {
		c.text(regular, 18, y+15, 0, colText, label)
		if sub != "" {
			c.text(small, 18, y+31, 0, colMuted, sub)
		}
	}
	type span struct {
		from time.Duration
		col  color.Color
	}
	drawSpans := func(y0, y1 int, spans []span) {
		for i, s := range spans {
			to := total
			if i+1 < len(spans) {
				to = spans[i+1].from
			}
			c.rect(xOf(s.from), y0, xOf(to), y1, s.col)
		}
	}
	stateCol := map[string]color.Color{"CLOSED": colClosed, "OPEN": colOpen, "HALF_OPEN": colHalfOpen}
	circuitY := 514
	lane(circuitY, "circuit", "state")
	spans := []span{{0, colClosed}}
	for _, e := range in.Events {
		if e.Kind != EventTransition {
			continue
		}
		col, ok := stateCol[e.To]
		if !ok {
			col = colMuted // an override (FORCED_OPEN, FORCED_CLOSED)
		}
		at := max(0, e.At.Sub(b.Schedule.Epoch))
		spans = append(spans, span{at, col})
		c.dashedV(xOf(at), barsTop, barsBottom, colMuted)
	}
	drawSpans(circuitY, circuitY+34, spans)
	// HALF_OPEN may last milliseconds: mark every entry into it.
	for _, e := range in.Events {
		if e.Kind == EventTransition && e.To == "HALF_OPEN" {
			x := xOf(max(0, e.At.Sub(b.Schedule.Epoch)))
			c.rect(x-2, circuitY-6, x+3, circuitY+40, colHalfOpen)
		}
	}

	// What moved the circuit, above the lane; a label that would overlap the
	// previous one goes a row higher.
	rowEnd := []int{0, 0}
	for _, e := range in.Events {
		if e.Kind != EventTransition || e.To == "HALF_OPEN" {
			continue
		}
		label := transitionLabel(e)
		x := xOf(max(0, e.At.Sub(b.Schedule.Epoch)))
		d := &font.Drawer{Face: small}
		w := d.MeasureString(label).Round()
		row := 0
		if x < rowEnd[0] {
			row = 1
		}
		c.text(small, x+3, circuitY-8-row*14, 0, colText, label)
		rowEnd[row] = x + 3 + w + 6
	}

	alarmCol := map[string]color.Color{"OK": colAlarmOK, "ALARM": colAlarm, "INSUFFICIENT_DATA": colNoData}
	for i, src := range []struct {
		name, label, sub string
	}{
		{"downstream", "downstream", "alarm (errors)"},
		{"healthcheck", "healthcheck", "alarm; dots: runs"},
	} {
		y := 574 + i*54
		lane(y, src.label, src.sub)
		spans := []span{{0, colNoData}}
		for _, e := range in.Events {
			if e.Kind == EventAlarm && e.Source == src.name {
				spans = append(spans, span{max(0, e.At.Sub(b.Schedule.Epoch)), alarmCol[e.To]})
			}
		}
		drawSpans(y, y+24, spans)
		if src.name == "healthcheck" {
			for _, e := range in.Events {
				if e.Kind != EventHealthcheck {
					continue
				}
				x := xOf(e.At.Sub(b.Schedule.Epoch))
				col := colSuccess
				if !e.OK {
					col = colFailed
				}
				c.rect(x-3, y+30, x+4, y+37, col)
			}
		}
	}

	// Time axis.
	axisY := 704
	c.rect(left, axisY, right, axisY+1, colText)
	step := 5 * time.Second
	if total > 3*time.Minute {
		step = 30 * time.Second
	} else if total > 90*time.Second {
		step = 10 * time.Second
	}
	for t := time.Duration(0); t <= total; t += step {
		x := xOf(t)
		c.rect(x, axisY, x+1, axisY+6, colText)
		c.text(small, x, axisY+22, 0.5, colText, fmt.Sprintf("%ds", int(t.Seconds())))
	}
	c.text(small, right, axisY+40, 1, colMuted, "seconds since the first request")

	// Legend.
	legend := []struct {
		col   color.Color
		label string
	}{
		{colSuccess, "succeeded"}, {colFailed, "failed (downstream error)"}, {colFastFail, "failed fast (CircuitOpen)"},
		{colClosed, "CLOSED"}, {colHalfOpen, "HALF_OPEN (probe)"}, {colOpen, "OPEN"},
		{colAlarmOK, "alarm OK"}, {colAlarm, "alarm ALARM"}, {colNoData, "INSUFFICIENT_DATA"},
	}
	if shadow {
		// Shadow mode fails nothing fast: its would-rejects take the slot.
		legend[2] = struct {
			col   color.Color
			label string
		}{colWouldReject, "would-reject (invoked)"}
	}
	x, y := left, 784
	for _, l := range legend {
		c.rect(x, y-12, x+14, y+2, l.col)
		c.text(small, x+20, y, 0, colText, l.label)
		d := &font.Drawer{Face: small}
		x += 20 + d.MeasureString(l.label).Round() + 26
	}
	c.text(small, left, 814, 0, colMuted, "Dashed lines: circuit transitions. Shaded: when the demo downstream was down (its script, which the breaker does not see).")

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

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

// transitionLabel is a transition's cause in a word or two, for the chart.
func transitionLabel(e Event) string {
	switch {
	case e.To == "CLOSED" && e.By == "state machine":
		return "probe ok: closed"
	case e.To == "CLOSED" && strings.Contains(e.Reason, "healthcheck"):
		return "healthcheck OK: closed"
	case e.To == "CLOSED":
		return "closed"
	case e.From == "HALF_OPEN" && e.To == "OPEN":
		return "probe failed"
	case e.To == "OPEN" && strings.Contains(e.Reason, "consecutive failures"):
		return "trip"
	case e.To == "OPEN" && strings.Contains(e.Reason, "alarm"):
		return "alarm: open"
	}
	return e.To
}
