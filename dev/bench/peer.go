package bench

import (
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/testlambdas/outage"
)

// The peer (issue 18): Powertools for AWS Lambda (Python)'s circuit_breaker
// utility, its own code from the package registry, run by dev/bench/peer/env.py
// in N processes (N simulated execution environments) beside this breaker's
// replay. This file is the arithmetic over what those processes answered:
// the outage's figures, each path's DynamoDB traffic and its cost.

// PeerVersion is the version of aws-lambda-powertools the bench installs
// (versions.mk's POWERTOOLS_VERSION; TestPeerVersionIsPinned keeps them equal).
const PeerVersion = "3.37.0"

// PeerCacheMaxAge is how long an environment trusts its cached state: the
// peer's default local_cache_max_age (its CircuitBreakerConfig), which the
// bench keeps.
const PeerCacheMaxAge = 5 * time.Second

// The peer's states, as its CircuitState values serialise.
const (
	PeerClosed   = "CLOSED"
	PeerOpen     = "OPEN"
	PeerHalfOpen = "HALF_OPEN"
)

// PeerTransition is one call of the peer's on_transition hook.
type PeerTransition struct {
	From string  `json:"from"`
	To   string  `json:"to"`
	At   float64 `json:"at"` // Unix seconds
}

// Time is when the hook ran.
func (t PeerTransition) Time() time.Time { return unixFloat(t.At) }

func unixFloat(s float64) time.Time {
	sec, frac := math.Modf(s)
	return time.Unix(int64(sec), int64(frac*1e9))
}

// PeerRequest is one request as an environment answered it (one JSON line
// of env.py), and when the harness sent it.
type PeerRequest struct {
	I   int `json:"i"`
	Env int `json:"env"`
	// Sent is the request's place in the open-loop stream (the harness's
	// clock): what the outage's figures are computed on, as ours are on
	// each execution's start.
	Sent time.Time `json:"sent"`
	// Outcome: "ok", "failed" (the downstream failed) or "rejected" (the
	// circuit turned it away: CircuitBreakerOpenError).
	Outcome string `json:"outcome"`
	// State is the circuit's state the routing decision read (from the
	// environment's cache or the table), HALF_OPEN after a won election.
	State string `json:"state"`
	// Called is how many times the protected function ran (0 or 1); Probe
	// says it ran while the circuit was not CLOSED; Elected that this
	// request won the probe election (a conditional PutItem).
	Called  int  `json:"called"`
	Probe   bool `json:"probe"`
	Elected bool `json:"elected"`
	// Transitions the peer's hook reported during the request.
	Transitions []PeerTransition `json:"transitions"`
	// Ops are the DynamoDB API calls the request made (boto3's client
	// events), by operation; CondFailed how many of its writes failed
	// their condition (a lost election: billed all the same).
	Ops        map[string]int `json:"ops"`
	CondFailed int            `json:"condFailed"`
	// BreakerSeconds is the request's time in the peer's code: the call
	// less the downstream's round trip (this machine's, with dynalite).
	BreakerSeconds float64 `json:"breakerSeconds"`
}

// Reads and Writes are the request's DynamoDB reads and writes.
func (r PeerRequest) Reads() int { return r.Ops["GetItem"] }

// Writes counts PutItem and UpdateItem, failed conditional ones included.
func (r PeerRequest) Writes() int { return r.Ops["PutItem"] + r.Ops["UpdateItem"] }

func (r PeerRequest) has(from, to string) bool {
	for _, t := range r.Transitions {
		if t.From == from && t.To == to {
			return true
		}
	}
	return false
}

// The peer's paths. Its probe owner runs every request it gets as a probe
// until success_threshold successes close the circuit or one failure
// reopens it.
const (
	PeerPathHealthy     = "closed, healthy"
	PeerPathFailing     = "closed, failing"
	PeerPathTrip        = "trip"
	PeerPathOpen        = "open, fail fast"
	PeerPathLost        = "open, election lost"
	PeerPathProbeCloses = "half-open probe, closes"
	PeerPathProbeOK     = "half-open probe, succeeds"
	PeerPathReopens     = "half-open probe, reopens"
)

// PeerPaths is every path in report order.
var PeerPaths = []string{PeerPathHealthy, PeerPathFailing, PeerPathTrip, PeerPathOpen, PeerPathLost, PeerPathProbeCloses, PeerPathProbeOK, PeerPathReopens}

// Path classifies the request by what it did.
func (r PeerRequest) Path() string {
	switch {
	case r.has(PeerClosed, PeerOpen):
		return PeerPathTrip
	case r.has(PeerHalfOpen, PeerClosed):
		return PeerPathProbeCloses
	case r.has(PeerHalfOpen, PeerOpen):
		return PeerPathReopens
	case r.Probe && r.Outcome == "ok":
		return PeerPathProbeOK
	case r.Outcome == "rejected" && r.Writes() > 0:
		return PeerPathLost
	case r.Outcome == "rejected":
		return PeerPathOpen
	case r.Outcome == "ok":
		return PeerPathHealthy
	}
	return PeerPathFailing
}

// PeerFigures are what one outage cost the peer: the same figures as
// localbreaker.Figures, and the ones that only a breaker whose environments
// each cache the state has (when the last caller stopped, trips written).
type PeerFigures struct {
	// Requests sent during the outage, and how they ended.
	Requests, Failed, Rejected int
	// DownstreamCalls is how many of them ran the protected call.
	DownstreamCalls int
	// Opened: the first trip (CLOSED -> OPEN, from the hook) during the
	// outage, OpenedAfter from the outage's start; Trips how many
	// environments wrote one (each trips on its own five failures while
	// its cache still says CLOSED).
	Opened      bool
	OpenedAfter time.Duration
	Trips       int
	// FailedBeforeOpen: failed before the first request was turned away.
	FailedBeforeOpen int
	// AllStopped: every environment had turned a request away, AllStoppedAfter
	// from the outage's start; FailedUntilAllStopped failed before that.
	AllStopped            bool
	AllStoppedAfter       time.Duration
	FailedUntilAllStopped int
	// Closed: a probe closed the circuit at or after the recovery,
	// ClosedAfterRecovery later; AllCallingAfterRecovery is when the last
	// environment admitted a request again (its cache expired).
	Closed                  bool
	ClosedAfterRecovery     time.Duration
	AllCallingAfterRecovery time.Duration
	RejectedAfterRecovery   int
	// Elections won (OPEN -> HALF_OPEN) during the outage and after it until
	// the close, and the probes they admitted.
	Elections, Probes int
}

// ProbesPerElection is probes admitted per reopening of the circuit.
func (f PeerFigures) ProbesPerElection() float64 {
	if f.Elections == 0 {
		return 0
	}
	return float64(f.Probes) / float64(f.Elections)
}

// AnalyzePeer computes the outage's figures (the schedule's first window)
// from the requests; envs is the number of environments.
func AnalyzePeer(s outage.Schedule, reqs []PeerRequest, envs int) PeerFigures {
	var f PeerFigures
	if len(s.Windows) == 0 {
		return f
	}
	w := s.Windows[0]
	from, to := s.Epoch.Add(w.After), s.Epoch.Add(w.After+w.For)
	rs := append([]PeerRequest(nil), reqs...)
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].Sent.Before(rs[j].Sent) })

	// Transitions, in order of the hook's time.
	var ts []PeerTransition
	for _, r := range rs {
		ts = append(ts, r.Transitions...)
	}
	sort.SliceStable(ts, func(i, j int) bool { return ts[i].At < ts[j].At })
	for _, t := range ts {
		at := t.Time()
		if t.From == PeerClosed && t.To == PeerOpen && !at.Before(from) && at.Before(to) {
			if !f.Opened {
				f.Opened, f.OpenedAfter = true, at.Sub(from)
			}
			f.Trips++
		}
	}
	var closedAt time.Time
	for _, t := range ts {
		if t.From == PeerHalfOpen && t.To == PeerClosed && !t.Time().Before(to) {
			closedAt = t.Time()
			f.Closed, f.ClosedAfterRecovery = true, closedAt.Sub(to)
			break
		}
	}

	firstRejected := time.Time{}
	stopped := map[int]time.Time{}
	for _, r := range rs {
		if r.Sent.Before(from) || !r.Sent.Before(to) {
			continue
		}
		f.Requests++
		f.DownstreamCalls += r.Called
		switch r.Outcome {
		case "failed":
			f.Failed++
		case "rejected":
			f.Rejected++
			if firstRejected.IsZero() {
				firstRejected = r.Sent
			}
			if _, ok := stopped[r.Env]; !ok {
				stopped[r.Env] = r.Sent
			}
		}
	}
	var allStopped time.Time
	if len(stopped) == envs && envs > 0 {
		for _, at := range stopped {
			if at.After(allStopped) {
				allStopped = at
			}
		}
		f.AllStopped, f.AllStoppedAfter = true, allStopped.Sub(from)
	}
	for _, r := range rs {
		if r.Sent.Before(from) || !r.Sent.Before(to) || r.Outcome != "failed" {
			continue
		}
		if firstRejected.IsZero() || r.Sent.Before(firstRejected) {
			f.FailedBeforeOpen++
		}
		if allStopped.IsZero() || r.Sent.Before(allStopped) {
			f.FailedUntilAllStopped++
		}
	}

	// After the recovery: every environment calling again, requests turned
	// away meanwhile.
	resumed := map[int]time.Time{}
	var lastResume time.Time
	for _, r := range rs {
		if r.Sent.Before(to) {
			continue
		}
		if r.Outcome == "rejected" {
			f.RejectedAfterRecovery++
			continue
		}
		if r.Called > 0 && !r.Probe {
			if _, ok := resumed[r.Env]; !ok {
				resumed[r.Env] = r.Sent
				if r.Sent.After(lastResume) {
					lastResume = r.Sent
				}
			}
		}
	}
	if len(resumed) == envs && !lastResume.IsZero() {
		f.AllCallingAfterRecovery = lastResume.Sub(to)
	}

	// Probes per reopening: elections won from the outage's start until the
	// close (or the end), and the probe calls made meanwhile.
	for _, r := range rs {
		if r.Sent.Before(from) || (!closedAt.IsZero() && r.Sent.After(closedAt)) {
			continue
		}
		if r.Elected {
			f.Elections++
		}
		if r.Probe {
			f.Probes += r.Called
		}
	}
	return f
}

// PeerPathUsage is one path's requests and mean traffic per request.
type PeerPathUsage struct {
	Path     string
	Requests int
	// Per request: DynamoDB reads (GetItem, eventually consistent) and
	// writes (PutItem, UpdateItem), of which failed conditional writes;
	// protected calls; seconds in the peer's code on this machine.
	Reads, Writes, CondFailed, Downstream, BreakerSeconds float64
}

// PeerUsages measures each path over the requests.
func PeerUsages(reqs []PeerRequest) []PeerPathUsage {
	sums := map[string]*PeerPathUsage{}
	for _, r := range reqs {
		p := r.Path()
		u := sums[p]
		if u == nil {
			u = &PeerPathUsage{Path: p}
			sums[p] = u
		}
		u.Requests++
		u.Reads += float64(r.Reads())
		u.Writes += float64(r.Writes())
		u.CondFailed += float64(r.CondFailed)
		u.Downstream += float64(r.Called)
		u.BreakerSeconds += r.BreakerSeconds
	}
	var out []PeerPathUsage
	for _, p := range PeerPaths {
		u := sums[p]
		if u == nil {
			continue
		}
		n := float64(u.Requests)
		u.Reads, u.Writes, u.CondFailed, u.Downstream, u.BreakerSeconds = u.Reads/n, u.Writes/n, u.CondFailed/n, u.Downstream/n, u.BreakerSeconds/n
		out = append(out, *u)
	}
	return out
}

// CacheHitSeconds is the mean time in the peer's code of the requests that
// made no DynamoDB call (the state came from the environment's cache): its
// in-process cost, measured on this machine.
func CacheHitSeconds(reqs []PeerRequest) float64 {
	var s float64
	n := 0
	for _, r := range reqs {
		if r.Reads()+r.Writes() == 0 {
			s += r.BreakerSeconds
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return s / float64(n)
}

// LatencyAssumptions are what the added-latency row and the peer's Lambda
// time assume about AWS (nothing here measures AWS).
type LatencyAssumptions struct {
	// LambdaDynamoMs: one DynamoDB call (GetItem, PutItem, UpdateItem) from
	// a Lambda function in the table's region.
	LambdaDynamoMs float64
	// SyncStartMs: what StartSyncExecution adds beyond its states' work
	// (the API call and the execution's start and end).
	SyncStartMs float64
	// The caller's function, which runs the peer and, for us, waits for the
	// execution: memory, architecture.
	CallerMB  float64
	CallerArm bool
}

// AssumedLatency are the report's latency assumptions.
var AssumedLatency = LatencyAssumptions{LambdaDynamoMs: 5, SyncStartMs: 20, CallerMB: 128}

// PeerAddedMs is the time the peer adds to the caller per request on a
// path, on AWS: its DynamoDB calls at the assumed latency, plus its
// in-process time (measured here: hitSeconds per request).
func PeerAddedMs(a LatencyAssumptions, u PeerPathUsage, hitSeconds float64) float64 {
	return (u.Reads+u.Writes)*a.LambdaDynamoMs + hitSeconds*1000
}

// OurAddedMs is the time this breaker adds to a healthy call on AWS: the
// synchronous Express execution's own overhead and its one DynamoDB read
// (the downstream's invocation is paid with or without a breaker).
func OurAddedMs(a LatencyAssumptions, b Assumptions) float64 {
	return a.SyncStartMs + b.DynamoCallMs
}

// PeerPrice is a request's cost on a peer path: its DynamoDB traffic (an
// eventually consistent read of an item under 4 KB is half a read unit; a
// write under 1 KB one write unit, failed conditional writes included) and
// the caller's Lambda time it adds (per 1 ms of GB-second; no request
// charge: it runs inside the caller's invocation). No Step Functions, no
// logs (it logs at DEBUG and on failures of its store only).
func PeerPrice(p Prices, b Assumptions, a LatencyAssumptions, u PeerPathUsage, hitSeconds float64) Cost {
	perGBs := p.LambdaX86GBSecond
	if a.CallerArm {
		perGBs = p.LambdaArmGBSecond
	}
	return Cost{
		OwnLambda:  gb(a.CallerMB) * PeerAddedMs(a, u, hitSeconds) / 1000 * perGBs,
		Dynamo:     u.Reads*0.5*p.DynamoRRU + u.Writes*p.DynamoWRU,
		Downstream: lambdaCost(p, u.Downstream, b.DownstreamMs, b.DownstreamMB, b.DownstreamArm),
	}
}

// CallerWaitCost is what a caller that is itself a Lambda function pays
// while it waits ms for a breaker: its GB-seconds.
func CallerWaitCost(p Prices, a LatencyAssumptions, ms float64) float64 {
	perGBs := p.LambdaX86GBSecond
	if a.CallerArm {
		perGBs = p.LambdaArmGBSecond
	}
	return gb(a.CallerMB) * ms / 1000 * perGBs
}

// durationText prints a duration in seconds with one decimal.
func durationText(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) }
