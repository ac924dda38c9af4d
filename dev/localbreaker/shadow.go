package localbreaker

import (
	"context"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// WouldReject reports whether the call was shadow mode's would-reject
// (enforce: false, docs/shadow-mode.md): enforcing mode would have failed it
// fast; it was invoked instead, uncounted.
func (c Call) WouldReject() bool { return c.Path == PathWouldReject }

// RecordedMetrics answers GetMetricData from the PutMetricData calls the
// executions made (sfnlocal records them instead of sending them): a
// SIMULATED CloudWatch, for circuitctl status --shadow in the demo. It serves
// one-minute Sums of the data points, stamped with their execution's start.
type RecordedMetrics struct {
	// sums[namespace+" "+name+" "+dimensions][minute] = sum
	sums map[string]map[time.Time]float64
}

// NewRecordedMetrics gathers the calls' metrics.
func NewRecordedMetrics(calls []Call) *RecordedMetrics {
	m := &RecordedMetrics{sums: map[string]map[time.Time]float64{}}
	for _, c := range calls {
		for _, d := range c.Result.Metrics {
			k := seriesKey(d.Namespace, d.Name, d.Dimensions)
			if m.sums[k] == nil {
				m.sums[k] = map[time.Time]float64{}
			}
			m.sums[k][c.Start.Truncate(time.Minute)] += d.Value
		}
	}
	return m
}

func seriesKey(ns, name string, dims map[string]string) string {
	var names []string
	for n := range dims {
		names = append(names, n)
	}
	sort.Strings(names)
	k := ns + " " + name
	for _, n := range names {
		k += " " + n + "=" + dims[n]
	}
	return k
}

// GetMetricData serves Sum at a one-minute period, in one page.
func (m *RecordedMetrics) GetMetricData(_ context.Context, in *cloudwatch.GetMetricDataInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error) {
	out := &cloudwatch.GetMetricDataOutput{}
	for _, q := range in.MetricDataQueries {
		r := cwtypes.MetricDataResult{Id: q.Id, StatusCode: cwtypes.StatusCodeComplete}
		if ms := q.MetricStat; ms != nil && aws.ToString(ms.Stat) == "Sum" && aws.ToInt32(ms.Period) == 60 {
			dims := map[string]string{}
			for _, d := range ms.Metric.Dimensions {
				dims[aws.ToString(d.Name)] = aws.ToString(d.Value)
			}
			series := m.sums[seriesKey(aws.ToString(ms.Metric.Namespace), aws.ToString(ms.Metric.MetricName), dims)]
			var ts []time.Time
			for t := range series {
				if !t.Before(aws.ToTime(in.StartTime)) && t.Before(aws.ToTime(in.EndTime)) {
					ts = append(ts, t)
				}
			}
			sort.Slice(ts, func(i, j int) bool { return ts[i].Before(ts[j]) })
			for _, t := range ts {
				r.Timestamps = append(r.Timestamps, t)
				r.Values = append(r.Values, series[t])
			}
		}
		out.MetricDataResults = append(out.MetricDataResults, r)
	}
	return out, nil
}

// DescribeAlarms knows no alarms.
func (m *RecordedMetrics) DescribeAlarms(context.Context, *cloudwatch.DescribeAlarmsInput, ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error) {
	return &cloudwatch.DescribeAlarmsOutput{}, nil
}
