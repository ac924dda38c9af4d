//go:build emulators

package handler_test

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/testenv"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/alarmhandler/handler"
	"github.com/stretchr/testify/require"
)

// Issue 14, item 11: at about 500 request-path writes/s 27 of 30 notices
// landed, at about 910 writes/s 6 of 17. The rate is a flag because what 2
// shared cores reach against dynalite varies (250 to 800 writes/s of the
// 1,000 asked while other builds ran): the test logs what it reached, fails
// under -notice-load-min-rate (a generator that barely ran), and fails if no
// notice had to merge (the load never won a race: nothing was tested).
var (
	noticeLoadRate    = flag.Float64("notice-load-rate", 1000, "request-path writes per second on the circuit's item while notices are applied (TestNoticesLandUnderRequestPathLoad)")
	noticeLoadCount   = flag.Int("notice-load-notices", 30, "alarm notices applied under load (at least 30)")
	noticeLoadWorkers = flag.Int("notice-load-workers", 48, "concurrent writers generating the load")
	noticeLoadMinRate = flag.Float64("notice-load-min-rate", 100, "fail when the load reached fewer writes per second")
)

// The request path's writes, as the state machine makes them
// (component/statemachine: RecordFailure, ResetFailures, JoinProbe): every one
// conditional on the state, none reading the item first, every one ADDing 1
// to the version. Kept literal here rather than imported, so that the load is
// what DynamoDB receives from Step Functions. A write whose condition does
// not hold changes nothing and fails with ConditionalCheckFailedException
// (DynamoDB API reference, UpdateItem); one that does adds 1 to the version,
// which is what makes the alarm handler's versioned write lose.
var requestPathWrites = []struct {
	name, expr, cond string
}{
	{"RecordFailure", "ADD #failures :one, #version :one", "attribute_not_exists(#state) OR #state = :closed"},
	{"RecordFailure", "ADD #failures :one, #version :one", "attribute_not_exists(#state) OR #state = :closed"},
	{"ResetFailures", "SET #failures = :zero ADD #version :one", "#failures > :zero AND (attribute_not_exists(#state) OR #state = :closed)"},
	{"JoinProbe", "ADD #probes :one, #version :one", "#state = :halfOpen AND (attribute_not_exists(#probes) OR #probes < :max)"},
}

type loadCounts struct {
	applied, refused, failed, dropped atomic.Int64
}

// requestPathLoad writes the circuit's item at rate writes/s with workers
// concurrent writers until ctx ends. Writes the workers cannot keep up with
// are dropped and counted, so that the rate reached is measured, not assumed.
func requestPathLoad(ctx context.Context, client *dynamodb.Client, table string, rate float64, workers int, counts *loadCounts) *sync.WaitGroup {
	tokens := make(chan int, workers*4)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(tokens)
		const tick = 5 * time.Millisecond
		ticker := time.NewTicker(tick)
		defer ticker.Stop()
		start, sent := time.Now(), 0
		for {
			select {
			case <-ctx.Done():
				return
			case <-ticker.C:
			}
			due := int(time.Since(start).Seconds() * rate)
			for ; sent < due; sent++ {
				select {
				case tokens <- sent:
				default:
					counts.dropped.Add(1)
				}
			}
		}
	}()
	names := map[string]string{"#failures": circuit.AttrFailures, "#probes": circuit.AttrProbes, "#state": circuit.AttrState, "#version": circuit.AttrVersion}
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range tokens {
				w := requestPathWrites[i%len(requestPathWrites)]
				values := map[string]types.AttributeValue{":one": n("1")}
				for _, v := range []struct {
					name string
					val  types.AttributeValue
				}{{":zero", n("0")}, {":closed", s("CLOSED")}, {":halfOpen", s("HALF_OPEN")}, {":max", n("1000000")}} {
					if strings.Contains(w.cond, v.name) || strings.Contains(w.expr, v.name) {
						values[v.name] = v.val
					}
				}
				used := map[string]string{}
				for k, v := range names {
					if strings.Contains(w.cond, k) || strings.Contains(w.expr, k) {
						used[k] = v
					}
				}
				_, err := client.UpdateItem(context.Background(), &dynamodb.UpdateItemInput{
					TableName:                 aws.String(table),
					Key:                       map[string]types.AttributeValue{circuit.KeyAttribute: s(service)},
					UpdateExpression:          aws.String(w.expr),
					ConditionExpression:       aws.String(w.cond),
					ExpressionAttributeNames:  used,
					ExpressionAttributeValues: values,
				})
				var refused *types.ConditionalCheckFailedException
				switch {
				case err == nil:
					counts.applied.Add(1)
				case errors.As(err, &refused):
					counts.refused.Add(1)
				default:
					counts.failed.Add(1)
				}
			}
		}()
	}
	return &wg
}

// loadClient is a DynamoDB client whose connection pool holds every worker's
// connection (the SDK's default keeps 10 idle per host, and reconnecting
// would cost more than the writes).
func loadClient(endpoint string, workers int) *dynamodb.Client {
	httpClient := awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
		t.MaxIdleConns = workers * 2
		t.MaxIdleConnsPerHost = workers * 2
	})
	return dynamodb.New(dynamodb.Options{
		Region:       testenv.FakeRegion,
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider(testenv.FakeAccessKeyID, testenv.FakeSecretAccessKey, ""),
		HTTPClient:   httpClient,
	})
}

// notice is one alarm notification built on the recorded fixture, with its
// alarm, state and state-change time replaced.
func notice(t *testing.T, alarm string, state circuit.AlarmState, at time.Time, id int) events.SNSEvent {
	t.Helper()
	ev := fixture(t, "downstream-alarm.json")
	var msg map[string]any
	require.NoError(t, json.Unmarshal([]byte(ev.Records[0].SNS.Message), &msg))
	msg["AlarmName"] = alarm
	msg["AlarmArn"] = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:" + alarm
	msg["NewStateValue"] = string(state)
	msg["StateChangeTime"] = at.UTC().Format("2006-01-02T15:04:05.000-0700")
	b, err := json.Marshal(msg)
	require.NoError(t, err)
	ev.Records[0].SNS.Message = string(b)
	ev.Records[0].SNS.MessageID = fmt.Sprintf("load-%d", id)
	return ev
}

// A notice lands whatever the request path does (issue 14, item 11): N
// notices (30 by default) applied one after another while a load generator
// writes the same item at 1,000 writes/s (by default) with the state
// machine's own conditional updates. Every notice must land, and each one's
// effect is checked right after it: its source's state and time recorded,
// and the transition it makes (a healthcheck ALARM opens with the counters
// reset although the request path kept counting, its OK closes, the
// downstream ALARM opens). A re-delivered notice is still stale and changes
// nothing. The writes/s reached, the notices landed and the attempts they
// took are logged.
func TestNoticesLandUnderRequestPathLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	count := max(*noticeLoadCount, 30)
	r := newRigWith(t, func(c *handler.Config) { c.SlowCallAlarmName = "payments-breaker-slow-calls-1c2d3e4" })
	ctx, stop := context.WithCancel(context.Background())
	var counts loadCounts
	started := time.Now()
	wg := requestPathLoad(ctx, loadClient(endpoint, *noticeLoadWorkers), r.cfg.TableName, *noticeLoadRate, *noticeLoadWorkers, &counts)
	defer func() { stop(); wg.Wait() }()
	// Let the load reach its rate before the first notice.
	time.Sleep(500 * time.Millisecond)

	alarms := map[circuit.Source]string{
		circuit.SourceDownstream:  downstreamAlarm,
		circuit.SourceSlowCalls:   r.cfg.SlowCallAlarmName,
		circuit.SourceHealthcheck: healthcheckAlarm,
	}
	type step struct {
		source circuit.Source
		state  circuit.AlarmState
		want   circuit.State // the circuit's state after it
	}
	// Notices that only record while the circuit is closed (so the request
	// path keeps writing at full rate), then the transitions.
	var steps []step
	for i := 0; len(steps) < count-3; i++ {
		src := circuit.Sources[i%len(circuit.Sources)]
		st := circuit.AlarmStateOK
		if (i/len(circuit.Sources))%2 == 1 {
			st = circuit.AlarmStateInsufficientData
		}
		steps = append(steps, step{src, st, circuit.Closed})
	}
	steps = append(steps,
		step{circuit.SourceHealthcheck, circuit.AlarmStateAlarm, circuit.Open},
		step{circuit.SourceHealthcheck, circuit.AlarmStateOK, circuit.Closed},
		step{circuit.SourceDownstream, circuit.AlarmStateAlarm, circuit.Open},
	)

	t0 := time.Date(2026, 11, 27, 1, 0, 0, 0, time.UTC)
	landed, reads, writes, lost, merged := 0, 0, 0, 0, 0
	var sent []events.SNSEvent
	for i, st := range steps {
		at := t0.Add(time.Duration(i) * time.Second)
		r.now = at.Add(500 * time.Millisecond)
		before := r.circuit()
		r.logs.Reset()
		ev := notice(t, alarms[st.source], st.state, at, i)
		sent = append(sent, ev)
		if err := r.h.Handle(context.Background(), ev); err != nil {
			t.Errorf("notice %d (%s %s) did not land: %v", i, st.source, st.state, err)
			continue
		}
		after := r.circuit()
		got := after.Alarm(st.source)
		if got.State != st.state || !got.ChangedAt.Equal(at) {
			t.Errorf("notice %d (%s %s at %s): the item holds %+v", i, st.source, st.state, circuit.FormatTime(at), got)
			continue
		}
		if after.State != st.want {
			t.Errorf("notice %d (%s %s): circuit %s, want %s", i, st.source, st.state, after.State, st.want)
		}
		if st.want == circuit.Open && before.State != circuit.Open {
			// Opened: counters reset, although the request path counted
			// until the opening (it cannot count on an open circuit).
			if after.Failures != 0 || after.Probes != 0 || after.Openings != before.Openings+1 || !after.OpenUntil.Equal(r.now.Add(r.cfg.Policy.Duration(after.Openings))) {
				t.Errorf("notice %d opened the circuit as %+v (before %+v)", i, after, before)
			}
		}
		if st.want == circuit.Closed && before.State == circuit.Open && (after.Openings != 0 || !after.OpenUntil.IsZero()) {
			t.Errorf("notice %d closed the circuit as %+v", i, after)
		}
		if after.Version <= before.Version {
			t.Errorf("notice %d: version %d after %d", i, after.Version, before.Version)
		}
		landed++
		for _, line := range r.logLines() {
			if rd, ok := line["reads"].(float64); ok {
				reads += int(rd)
				writes += int(line["writes"].(float64))
				lost += int(line["lostRaces"].(float64))
				if line["merged"] == true {
					merged++
				}
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	elapsed := time.Since(started)
	stop()
	wg.Wait()

	// Stale still changes nothing: the first downstream notice again.
	before := r.item()
	require.NoError(t, r.h.Handle(context.Background(), sent[0]))
	require.Equal(t, before, r.item(), "a re-delivered notice changed the item")

	total := counts.applied.Load() + counts.refused.Load() + counts.failed.Load()
	rate := float64(total) / elapsed.Seconds()
	t.Logf("request path: %.0f writes/s reached (%.0f asked; %d applied, %d refused by their condition, %d failed, %d dropped) over %v",
		rate, *noticeLoadRate, counts.applied.Load(), counts.refused.Load(), counts.failed.Load(), counts.dropped.Load(), elapsed.Round(time.Millisecond))
	t.Logf("notices: %d of %d landed; %d reads, %d writes, %d lost races, %d landed as merged writes", landed, len(steps), reads, writes, lost, merged)
	if landed != len(steps) {
		t.Errorf("%d of %d notices landed", landed, len(steps))
	}
	if rate < *noticeLoadMinRate {
		t.Errorf("the load reached %.0f writes/s of the %.0f asked, under -notice-load-min-rate %.0f: the notices were not tested under load", rate, *noticeLoadRate, *noticeLoadMinRate)
	}
	if merged == 0 {
		t.Errorf("no notice lost its versioned write to the load: the merge was not exercised (raise -notice-load-rate)")
	}
}
