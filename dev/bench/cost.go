// Package bench is `make bench`: one outage replayed through the real
// definition (dev/localbreaker), its figures beside a model of the
// original module's alarm-only design, and a per-request cost model. The
// report is docs/bench.md.
package bench

import (
	"math"
)

// Prices are AWS list prices in us-east-1 (USD), first pricing tier, as
// published when this was written; check them before relying on the totals.
type Prices struct {
	SFNExpressRequest     float64 // per request
	SFNExpressGBSecond    float64 // per GB-second, billed in 64 MB and 100 ms increments
	SFNStandardTransition float64 // per state transition
	LambdaRequest         float64 // per invocation
	LambdaArmGBSecond     float64 // arm64, per GB-second, billed per 1 ms
	LambdaX86GBSecond     float64 // x86_64, per GB-second, billed per 1 ms
	DynamoRRU             float64 // on-demand, per read request unit
	DynamoWRU             float64 // on-demand, per write request unit
	LogsIngestedGB        float64 // CloudWatch Logs (standard class, and vended logs' first tier), per GB
}

// ListPrices are the prices the report uses.
var ListPrices = Prices{
	SFNExpressRequest:     1.00 / 1e6,
	SFNExpressGBSecond:    0.00001667,
	SFNStandardTransition: 0.025 / 1000,
	LambdaRequest:         0.20 / 1e6,
	LambdaArmGBSecond:     0.0000133334,
	LambdaX86GBSecond:     0.0000166667,
	DynamoRRU:             0.125 / 1e6,
	DynamoWRU:             0.625 / 1e6,
	LogsIngestedGB:        0.50,
}

// Assumptions are what the cost model cannot measure here: how long things
// take on AWS and how big log events are. Both designs get the same ones.
type Assumptions struct {
	// Step Functions' own latency per service call, which an Express
	// execution's billed duration includes.
	DynamoCallMs, LambdaInvokeOverheadMs float64
	// The downstream function (the user's; the same in both designs): the
	// original's cost section assumed 128 MB and 100 ms per invocation.
	DownstreamMs, DownstreamMB float64
	DownstreamArm              bool
	// Our controller (Go, arm64): one consistent GetItem and one UpdateItem.
	ControllerMs, ControllerMB float64
	// The original's upstream reader (Node.js 18, x86_64), as its cost
	// section assumed.
	UpstreamMs, UpstreamMB float64
	// Express executions' memory: one 64 MB chunk for small definitions and
	// payloads.
	ExpressMB float64
	// Log event sizes: ours logs at ERROR without execution data; the
	// original at ALL with execution data (inputs and outputs in every event).
	OurEventBytes, OriginalEventBytes float64
	// The original's upstream Lambda logs its START, END and REPORT lines.
	UpstreamLogBytes float64
}

// Assumed are the report's assumptions.
var Assumed = Assumptions{
	DynamoCallMs: 10, LambdaInvokeOverheadMs: 20,
	DownstreamMs: 100, DownstreamMB: 128,
	ControllerMs: 20, ControllerMB: 128,
	UpstreamMs: 100, UpstreamMB: 128,
	ExpressMB:          64,
	OurEventBytes:      400,
	OriginalEventBytes: 600,
	UpstreamLogBytes:   330,
}

// Usage is what one request on one path consumes.
type Usage struct {
	// Step Functions: its DynamoDB calls (for the duration), states entered
	// (a STANDARD workflow's billed transitions).
	SFNDynamoCalls float64
	StatesEntered  float64
	// Lambda invocations: the downstream, and the design's own function (our
	// controller, or the original's upstream reader).
	Downstream, Own float64
	// DynamoDB request units.
	RRU, WRU float64
	// Bytes of logs ingested.
	LogBytes float64
}

// Cost is one request's cost in USD, by item.
type Cost struct {
	SFNRequest, SFNDuration, OwnLambda, Dynamo, Logs, Downstream float64
}

// Breaker is the cost of the breaker itself: everything but the downstream.
func (c Cost) Breaker() float64 {
	return c.SFNRequest + c.SFNDuration + c.OwnLambda + c.Dynamo + c.Logs
}

// Total includes the downstream's invocations.
func (c Cost) Total() float64 { return c.Breaker() + c.Downstream }

// ceilTo rounds v up to a multiple of step.
func ceilTo(v, step float64) float64 { return math.Ceil(v/step-1e-9) * step }

func gb(mb float64) float64 { return mb / 1024 }

// lambdaCost is n invocations of a function of mb MB running ms each.
func lambdaCost(p Prices, n, ms, mb float64, arm bool) float64 {
	perGBs := p.LambdaX86GBSecond
	if arm {
		perGBs = p.LambdaArmGBSecond
	}
	return n * (p.LambdaRequest + gb(mb)*ceilTo(ms, 1)/1000*perGBs)
}

// Price is an EXPRESS request's cost. ownMs/ownMB/ownArm describe the
// design's own function (our controller; the original's upstream).
func Price(p Prices, a Assumptions, u Usage, ownMs, ownMB float64, ownArm bool) Cost {
	ms := u.SFNDynamoCalls*a.DynamoCallMs +
		u.Downstream*(a.LambdaInvokeOverheadMs+a.DownstreamMs) +
		u.Own*(a.LambdaInvokeOverheadMs+ownMs)
	billedMs := math.Max(100, ceilTo(ms, 100))
	return Cost{
		SFNRequest:  p.SFNExpressRequest,
		SFNDuration: gb(ceilTo(a.ExpressMB, 64)) * billedMs / 1000 * p.SFNExpressGBSecond,
		OwnLambda:   lambdaCost(p, u.Own, ownMs, ownMB, ownArm),
		Dynamo:      u.RRU*p.DynamoRRU + u.WRU*p.DynamoWRU,
		Logs:        u.LogBytes / (1 << 30) * p.LogsIngestedGB,
		Downstream:  lambdaCost(p, u.Downstream, a.DownstreamMs, a.DownstreamMB, a.DownstreamArm),
	}
}

// OriginalClaimPerRequest is the original's cost section's figure:
// "0.000045 USD per 100 requests".
const OriginalClaimPerRequest = 0.000045 / 100
