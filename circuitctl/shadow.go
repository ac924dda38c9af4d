package circuitctl

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
)

// WouldRejectsView is shadow mode's count (enforce: false,
// docs/shadow-mode.md): the calls enforcing mode would have rejected, which
// the state machine invoked instead, from the WouldRejects metric. Per
// breaker: a per-key circuit shows its service's.
type WouldRejectsView struct {
	LastHour float64 `json:"lastHour"`
	LastDay  float64 `json:"lastDay"`
	// Error is why the metric could not be read; the item's status stands.
	Error string `json:"error,omitempty"`
}

// wouldRejects sums the WouldRejects metric of service over the day before
// now, in one-minute sums (GetMetricData; one query, at most 1,440
// datapoints, within one call's 100,800).
func wouldRejects(ctx context.Context, cw MetricsAPI, service string, now time.Time) (WouldRejectsView, error) {
	end := now.Truncate(time.Minute).Add(time.Minute)
	start := end.Add(-24 * time.Hour)
	in := &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(start), EndTime: aws.Time(end), ScanBy: cwtypes.ScanByTimestampAscending,
		MetricDataQueries: []cwtypes.MetricDataQuery{{
			Id: aws.String("wouldRejects"),
			MetricStat: &cwtypes.MetricStat{
				Metric: &cwtypes.Metric{
					Namespace:  aws.String(circuit.MetricNamespace),
					MetricName: aws.String(circuit.WouldRejectsMetric),
					Dimensions: []cwtypes.Dimension{{Name: aws.String(circuit.MetricDimension), Value: aws.String(service)}},
				},
				Period: aws.Int32(60),
				Stat:   aws.String("Sum"),
			},
		}},
	}
	var v WouldRejectsView
	p := cloudwatch.NewGetMetricDataPaginator(cw, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return v, err
		}
		for _, r := range page.MetricDataResults {
			for i, at := range r.Timestamps {
				if i >= len(r.Values) {
					break
				}
				v.LastDay += r.Values[i]
				if !at.Before(end.Add(-time.Hour)) {
					v.LastHour += r.Values[i]
				}
			}
		}
	}
	return v, nil
}

// shadowView is status --shadow's addition; a CloudWatch error is shown, not
// fatal (the item was read).
func (t *tool) shadowView(ctx context.Context) *WouldRejectsView {
	if !t.opts.shadow {
		return nil
	}
	cw, err := t.env.NewMetrics(ctx, t.opts.Conn)
	var v WouldRejectsView
	if err == nil {
		v, err = wouldRejects(ctx, cw, baseService(t.opts.service), t.env.Now().UTC())
	}
	if err != nil {
		v = WouldRejectsView{Error: fmt.Sprintf("could not read %s %s (cloudwatch:GetMetricData): %v", circuit.MetricNamespace, circuit.WouldRejectsMetric, err)}
	}
	return &v
}

func wouldRejectsLine(v WouldRejectsView) string {
	if v.Error != "" {
		return v.Error
	}
	return fmt.Sprintf("%g in the last hour, %g in the last day (shadow mode: calls enforcing mode would have rejected, invoked)", v.LastHour, v.LastDay)
}
