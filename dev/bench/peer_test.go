package bench

import (
	"math"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/testlambdas/outage"
)

// The bench installs the version the report names.
func TestPeerVersionIsPinned(t *testing.T) {
	b, err := os.ReadFile("../../versions.mk")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^POWERTOOLS_VERSION\s*:=\s*(\S+)`).FindSubmatch(b)
	if m == nil || string(m[1]) != PeerVersion {
		t.Fatalf("versions.mk pins POWERTOOLS_VERSION %q, the report says %q", m, PeerVersion)
	}
}

// A synthetic run: two environments taking turns at 1 request/s, the
// outage from 10 s to 20 s. Each fails twice, then env 0 three more times
// and trips at 14.4 s, env 1 (its cache still CLOSED) trips at 15.4 s; they
// reject from 16 s and 17 s; env 0 wins an election at 18 s and its probe
// fails (reopening), env 1 loses one at 19 s (a failed conditional write),
// wins at 20.5 s and its probe closes; env 0's cache turns a request away at
// 21 s; both call again at 22 s and 23 s.
func peerScenario() (outage.Schedule, []PeerRequest) {
	epoch := time.Unix(1_000_000, 0)
	s := outage.Schedule{Epoch: epoch, Windows: []outage.Window{{After: 10 * time.Second, For: 10 * time.Second}}}
	at := func(sec float64) time.Time { return epoch.Add(time.Duration(sec * float64(time.Second))) }
	tr := func(from, to string, sec float64) PeerTransition {
		return PeerTransition{From: from, To: to, At: float64(at(sec).UnixNano()) / 1e9}
	}
	var reqs []PeerRequest
	add := func(sec float64, env int, r PeerRequest) {
		r.Sent, r.Env = at(sec), env
		if r.Ops == nil {
			r.Ops = map[string]int{}
		}
		reqs = append(reqs, r)
	}
	ok := PeerRequest{Outcome: "ok", State: PeerClosed, Called: 1}
	failed := PeerRequest{Outcome: "failed", State: PeerClosed, Called: 1}
	rejected := PeerRequest{Outcome: "rejected", State: PeerOpen}
	for sec := 0.0; sec < 10; sec++ {
		r := ok
		if sec < 2 {
			r.Ops = map[string]int{"GetItem": 1} // cold caches
		}
		add(sec, int(sec)%2, r)
	}
	for sec := 10.0; sec < 14; sec++ {
		add(sec, int(sec)%2, failed)
	}
	trip := failed
	add(14, 0, trip)
	add(14.2, 0, trip)
	trip.Transitions = []PeerTransition{tr(PeerClosed, PeerOpen, 14.4)}
	trip.Ops = map[string]int{"PutItem": 1}
	add(14.4, 0, trip)
	add(15, 1, failed)
	add(15.2, 1, failed)
	add(15.4, 1, trip)
	reqs[len(reqs)-1].Transitions = []PeerTransition{tr(PeerClosed, PeerOpen, 15.4)}
	add(16, 0, rejected)
	add(17, 1, rejected)
	elected := PeerRequest{Outcome: "failed", State: PeerHalfOpen, Called: 1, Probe: true, Elected: true,
		Transitions: []PeerTransition{tr(PeerOpen, PeerHalfOpen, 18), tr(PeerHalfOpen, PeerOpen, 18)},
		Ops:         map[string]int{"PutItem": 1, "UpdateItem": 1}}
	add(18, 0, elected)
	lost := rejected
	lost.Ops, lost.CondFailed = map[string]int{"PutItem": 1}, 1
	add(19, 1, lost)
	closes := PeerRequest{Outcome: "ok", State: PeerHalfOpen, Called: 1, Probe: true, Elected: true,
		Transitions: []PeerTransition{tr(PeerOpen, PeerHalfOpen, 20.5), tr(PeerHalfOpen, PeerClosed, 20.5)},
		Ops:         map[string]int{"PutItem": 1, "UpdateItem": 1}}
	add(20.5, 1, closes)
	add(21, 0, rejected)
	add(22, 1, ok)
	r := ok
	r.Ops = map[string]int{"GetItem": 1}
	add(23, 0, r)
	return s, reqs
}

func TestAnalyzePeer(t *testing.T) {
	s, reqs := peerScenario()
	f := AnalyzePeer(s, reqs, 2)
	want := PeerFigures{
		Requests: 14, Failed: 11, Rejected: 3, DownstreamCalls: 11,
		Opened: true, OpenedAfter: 4400 * time.Millisecond, Trips: 2,
		FailedBeforeOpen:        10, // every failure before env 0's first rejection at 16 s
		AllStopped:              true,
		AllStoppedAfter:         7 * time.Second, // env 1's first rejection at 17 s
		FailedUntilAllStopped:   10,
		Closed:                  true,
		ClosedAfterRecovery:     500 * time.Millisecond,
		AllCallingAfterRecovery: 3 * time.Second, // env 0 at 23 s
		RejectedAfterRecovery:   1,
		Elections:               2, Probes: 2,
	}
	if f != want {
		t.Errorf("AnalyzePeer:\n got %+v\nwant %+v", f, want)
	}
	if got := f.ProbesPerElection(); got != 1 {
		t.Errorf("probes per election %v, want 1", got)
	}
}

func TestPeerPaths(t *testing.T) {
	_, reqs := peerScenario()
	byPath := map[string]PeerPathUsage{}
	for _, u := range PeerUsages(reqs) {
		byPath[u.Path] = u
	}
	for path, want := range map[string]struct {
		n             int
		reads, writes float64
	}{
		PeerPathHealthy:     {12, 3.0 / 12, 0},
		PeerPathFailing:     {8, 0, 0},
		PeerPathTrip:        {2, 0, 1},
		PeerPathOpen:        {3, 0, 0},
		PeerPathLost:        {1, 0, 1},
		PeerPathReopens:     {1, 0, 2},
		PeerPathProbeCloses: {1, 0, 2},
	} {
		u := byPath[path]
		if u.Requests != want.n || math.Abs(u.Reads-want.reads) > 1e-12 || u.Writes != want.writes {
			t.Errorf("%s: %+v, want %d requests, %.3f reads, %.0f writes", path, u, want.n, want.reads, want.writes)
		}
	}
	if _, ok := byPath[PeerPathProbeOK]; ok {
		t.Errorf("no probe succeeded without closing")
	}
}

func TestPeerPrice(t *testing.T) {
	a := LatencyAssumptions{LambdaDynamoMs: 5, SyncStartMs: 20, CallerMB: 128}
	near := func(name string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > want*1e-9+1e-18 {
			t.Errorf("%s: %g, want %g", name, got, want)
		}
	}
	// A healthy request: a read every 40 requests, 0.1 ms in process.
	healthy := PeerPathUsage{Reads: 1.0 / 40, Downstream: 1}
	c := PeerPrice(ListPrices, Assumed, a, healthy, 0.0001)
	near("healthy DynamoDB", c.Dynamo, 1.0/40*0.5*0.125e-6)
	near("healthy Lambda time", c.OwnLambda, 0.125*(1.0/40*5+0.1)/1000*0.0000166667)
	if c.SFNRequest != 0 || c.SFNDuration != 0 || c.Logs != 0 {
		t.Errorf("the peer pays no Step Functions and no logs: %+v", c)
	}
	near("downstream", c.Downstream, lambdaCost(ListPrices, 1, Assumed.DownstreamMs, Assumed.DownstreamMB, false))
	// A lost election: one failed conditional PutItem, billed as a write.
	lost := PeerPrice(ListPrices, Assumed, a, PeerPathUsage{Writes: 1, CondFailed: 1}, 0)
	near("lost election DynamoDB", lost.Dynamo, 0.625e-6)
	near("lost election Lambda time", lost.OwnLambda, 0.125*5.0/1000*0.0000166667)

	if got := OurAddedMs(a, Assumed); got != 30 {
		t.Errorf("our added latency %v ms, want 20 + 10", got)
	}
	if got := PeerAddedMs(a, healthy, 0.0001); math.Abs(got-(0.125+0.1)) > 1e-12 {
		t.Errorf("the peer's added latency %v ms, want 0.225", got)
	}
	near("waiting 30 ms", CallerWaitCost(ListPrices, a, 30), 0.125*0.03*0.0000166667)
}

func TestCacheHitSeconds(t *testing.T) {
	reqs := []PeerRequest{
		{BreakerSeconds: 0.0001, Ops: map[string]int{}},
		{BreakerSeconds: 0.0003},
		{BreakerSeconds: 0.01, Ops: map[string]int{"GetItem": 1}},
	}
	if got := CacheHitSeconds(reqs); math.Abs(got-0.0002) > 1e-12 {
		t.Errorf("cache-hit time %v, want 0.0002 (requests with no DynamoDB call only)", got)
	}
}
