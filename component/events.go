package component

import (
	"encoding/json"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sqs"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	epconfig "github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/eventpublisher/config"
)

// Transition events (docs/events.md): every change of a circuit's state, from
// every writer, reaches EventBridge once per transition. They come from the
// circuit table's DynamoDB stream, read by our event publisher Lambda
// (functions/eventpublisher), so that no writer can forget one and the request
// path gains no step.

// EventsArgs configure the transition events.
type EventsArgs struct {
	Enabled *bool   `pulumi:"enabled,optional"`
	BusName *string `pulumi:"busName,optional"`
}

// Annotate documents the events' inputs.
func (e *EventsArgs) Annotate(an infer.Annotator) {
	an.SetToken("index", "Events")
	an.Describe(e, "Transition events on EventBridge: one `Circuit State Change` event (source `circuitbreaker`) per change of a circuit's state, "+
		"from the circuit table's DynamoDB stream (docs/events.md).")
	an.Describe(&e.Enabled, "Whether the breaker publishes transition events. Unset: true when the breaker creates its table (it then publishes "+
		"the events of every circuit in that table, including breakers that share it), false with a brought `table`. With a brought table, "+
		"true needs the table's stream on with streamViewType NEW_AND_OLD_IMAGES and publishes this breaker's circuits only; DynamoDB Streams "+
		"throttles more than two readers per shard, so at most two consumers may read one table's stream, the table's creating breaker included. "+
		"Refused with another breaker's table (`table: first.table`): that breaker already publishes every circuit in it.")
	an.Describe(&e.BusName, "Name or ARN of the event bus the events go to: a bus of the aws provider's Region (PutEvents delivers to no other; "+
		"an ARN in another Region is refused at preview).")
	an.SetDefault(&e.BusName, DefaultEventBusName)
}

// DefaultEventBusName is the account's default bus.
const DefaultEventBusName = "default"

// EventSettings are the events' inputs resolved.
type EventSettings struct {
	Enabled bool
	// BusName is a bus name or ARN, as PutEvents takes it.
	BusName string
	// OwnStream: the breaker created the table, so it owns the stream and
	// publishes for every item in it; otherwise it reads a brought table's
	// stream, filtered to its own items.
	OwnStream bool
}

// eventBusPattern is what PutEvents takes as a bus: a name, or an event-bus
// ARN (Amazon EventBridge API Reference, PutEventsRequestEntry EventBusName:
// "The name or ARN of the event bus", 1-256 characters; bus names are
// [/\.\-_A-Za-z0-9]+, CreateEventBus Name).
var eventBusPattern = regexp.MustCompile(`^(arn:aws[\w-]*:events:[a-z]{2}(-[a-z]+)+-\d:\d{12}:event-bus/)?[/.\-_A-Za-z0-9]{1,256}$`)

// resolveEvents applies the events' defaults and checks them.
func resolveEvents(args Args, p *problems) EventSettings {
	brought := args.Table.OutputState != nil
	s := EventSettings{Enabled: !brought, BusName: DefaultEventBusName, OwnStream: !brought}
	in := args.Events
	if in == nil {
		return s
	}
	s.Enabled = deref(in.Enabled, s.Enabled)
	s.BusName = deref(in.BusName, DefaultEventBusName)
	if !eventBusPattern.MatchString(s.BusName) {
		p.add("events.busName", "%q is not an event bus name or ARN; use a bus name of letters, digits, '/', '.', '-' and '_' "+
			"(e.g. \"default\" or \"ops\"), or an ARN arn:aws:events:REGION:ACCOUNT:event-bus/NAME", s.BusName)
	}
	if !s.Enabled && s.BusName != DefaultEventBusName {
		why := "events.enabled is false"
		if brought && in.Enabled == nil {
			why = "a breaker with a brought table publishes no events unless events.enabled is true"
		}
		p.add("events.busName", "is %q but %s, so nothing would be published to it; set events.enabled to true, or drop busName", s.BusName, why)
	}
	return s
}

// eventBusRegionCheck fails the deployment when events.busName is the ARN of
// a bus in another Region than the one the breaker deploys into (the aws
// provider's Region, as the component's parent chain selects the provider:
// aws.getRegion is answered at preview), or nil when there is nothing to check.
func (g *graph) eventBusRegionCheck(cb *CircuitBreaker) pulumi.Input {
	e := g.s.Events
	if !e.Enabled || !strings.HasPrefix(e.BusName, "arn:") {
		return nil
	}
	region := aws.GetRegionOutput(g.ctx, aws.GetRegionOutputArgs{}, pulumi.Parent(cb)).Name()
	return region.ApplyT(func(r string) (string, error) {
		return r, CheckEventBusRegion(e.BusName, r)
	}).(pulumi.StringOutput)
}

// CheckEventBusRegion refuses a bus ARN in another Region than region.
// PutEvents puts an entry on a bus of the Region it is called in: the
// publisher calls its own Region's endpoint, and EventBridge delivers to
// another Region's bus only through a rule whose target is that bus (Amazon
// EventBridge User Guide, "Sending and receiving events between AWS Regions in
// Amazon EventBridge"; API Reference, PutEventsRequestEntry EventBusName). An
// unknown or empty region (a provider without one) checks nothing.
func CheckEventBusRegion(bus, region string) error {
	_, busRegion, _ := arnParts(bus)
	if region == "" || busRegion == "" || busRegion == region {
		return nil
	}
	var p problems
	p.add("events.busName", "%q is an event bus in Region %s, but the breaker deploys into %s (the aws provider's Region), and PutEvents "+
		"puts events only on buses of the Region it is called in; name a bus in %s (a rule on it whose target is the %s bus forwards "+
		"the events there: EventBridge cross-Region targets), or deploy the breaker into %s", bus, busRegion, region, region, busRegion, busRegion)
	return p.err()
}

// sharedStreamCheck fails the deployment when events are on for a brought
// table that another CircuitBreaker of this program created (tableURN is the
// table's resource): that breaker's publisher already reads the stream and
// publishes every circuit in it, so a second mapping would publish each of
// this breaker's transitions twice (docs/events.md, "Shared tables"). A
// table read from another stack by name (aws.dynamodb.Table.get) is not
// known to be a breaker's: the rule is documented for it. nil when events are
// off.
func (g *graph) sharedStreamCheck(tableURN pulumi.URNOutput) pulumi.Input {
	if !g.s.Events.Enabled {
		return nil
	}
	return tableURN.ApplyT(func(u pulumi.URN) (string, error) {
		creator, ok := CreatedByBreaker(string(u))
		if !ok {
			return "", nil
		}
		return creator, StreamPublishedBy(creator)
	}).(pulumi.StringOutput)
}

// StreamPublishedBy explains events.enabled on a table the CircuitBreaker
// creator created.
func StreamPublishedBy(creator string) error {
	var p problems
	p.add("events.enabled", "is true, but the table is the one the CircuitBreaker %q created, whose event publisher reads its stream "+
		"and publishes the events of every circuit in it, this breaker's included: a second reader would publish each of this breaker's "+
		"transitions twice; drop events.enabled here (set events, and events.busName, on %q instead)", creator, creator)
	return p.err()
}

// EventBusArn is the ARN events:PutEvents is granted on: the bus's own ARN,
// or the named bus in the table's partition and Region and the deploying
// account.
func EventBusArn(bus, tableArn, account string) string {
	if strings.HasPrefix(bus, "arn:") {
		return bus
	}
	partition, region, _ := arnParts(tableArn)
	return "arn:" + partition + ":events:" + region + ":" + account + ":event-bus/" + bus
}

// StreamFilterPattern is the event filter (Lambda FilterCriteria) that keeps
// one breaker's own records of a shared table's stream: its own item and its
// per-key items "<service>#<key>". AWS Lambda Developer Guide, "Using event
// filtering with a DynamoDB event source": DynamoDB mappings filter on the
// `dynamodb` key, e.g. {"dynamodb": {"Keys": {"CustomerName": {"S": [...]}}}};
// "Filter rule syntax": a list matches any of its values, {"prefix": ...}
// matches the start of a string.
func StreamFilterPattern(serviceName string) string {
	b, err := json.Marshal(map[string]any{"dynamodb": map[string]any{"Keys": map[string]any{
		circuit.KeyAttribute: map[string]any{"S": []any{serviceName, map[string]string{"prefix": serviceName + circuit.KeySeparator}}},
	}}})
	if err != nil {
		panic(err) // only strings and maps
	}
	return string(b)
}

// CheckEventStream explains why a brought table's stream cannot carry the
// events: it must be on, with both images, or the publisher cannot tell a
// transition from a counter.
func CheckEventStream(table string, enabled bool, viewType string) error {
	var p problems
	switch {
	case !enabled:
		p.add("events.enabled", "is true but the brought table %q has no stream; enable its stream with streamViewType NEW_AND_OLD_IMAGES "+
			"(streamEnabled: true), or set events.enabled to false (the breaker that created the table, if any, already publishes every circuit's events)", table)
	case viewType != "NEW_AND_OLD_IMAGES":
		p.add("events.enabled", "is true but the brought table %q's stream has streamViewType %q; the publisher needs NEW_AND_OLD_IMAGES "+
			"to tell transitions from counters: change the table's streamViewType, or set events.enabled to false", table, viewType)
	}
	return p.err()
}

// Publisher settings: how the event source mapping reads the stream. Sources:
// AWS Lambda Developer Guide, "Using AWS Lambda with Amazon DynamoDB" (batch
// size default 100 for DynamoDB; MaximumRetryAttempts and
// MaximumRecordAgeInSeconds default -1, infinite: a failing record would block
// its shard until it expires after 24 hours) and "Configuring partial batch
// response with DynamoDB and Lambda" (ReportBatchItemFailures; with
// BisectBatchOnFunctionError the batch is split at the returned sequence
// number and only the rest is retried).
const (
	eventsTimeoutSeconds     = 30
	eventsBatchSize          = 100
	eventsMaxRetries         = 10
	eventsMaxRecordAgeSecond = 6 * 3600
)

// events builds the publisher: a stream on the breaker's own table (table.go
// turns it on), our Go Lambda, its role, and the mapping from the stream to it
// with an SQS queue for the records it could not publish after its retries.
func (g *graph) events(table circuitTable) error {
	e := g.s.Events
	if !e.Enabled {
		return nil
	}
	dlq, err := sqs.NewQueue(g.ctx, g.child("events-dlq"), &sqs.QueueArgs{
		MessageRetentionSeconds: pulumi.Int(14 * 24 * 3600),
		SqsManagedSseEnabled:    pulumi.Bool(true),
		Tags:                    g.tags,
	}, g.parent)
	if err != nil {
		return err
	}
	stream := table.streamArn
	if table.brought {
		t := g.args.Table
		// The mapping's source waits on the check, so a wrong stream fails
		// the deployment before Lambda is asked to read it; the check on the
		// component's outputs (circuitbreaker.go) fails the preview as soon
		// as the table's stream settings are known.
		stream = pulumi.All(t.Name(), t.StreamEnabled(), t.StreamViewType(), t.StreamArn()).ApplyT(func(v []any) (string, error) {
			name, _ := v[0].(string)
			return v[3].(string), CheckEventStream(name, boolOf(v[1]), str(v[2]))
		}).(pulumi.StringOutput)
		// Two checks, as for the keys (table.go): a new table's view type is
		// unknown at preview while its streamEnabled input is known.
		g.eventsCheck = pulumi.Map{
			"streamEnabled": pulumi.All(t.Name(), t.StreamEnabled()).ApplyT(func(v []any) (string, error) {
				name, _ := v[0].(string)
				if !boolOf(v[1]) {
					return name, CheckEventStream(name, false, "")
				}
				return name, nil
			}).(pulumi.StringOutput),
			"streamViewType": pulumi.All(t.Name(), t.StreamEnabled(), t.StreamViewType()).ApplyT(func(v []any) (string, error) {
				name, _ := v[0].(string)
				return name, CheckEventStream(name, boolOf(v[1]), str(v[2]))
			}).(pulumi.StringOutput),
		}
	}
	bus := e.BusName
	cfg := epconfig.Config{BusName: bus, ServiceName: g.s.ServiceName}
	env := renderEnv(func(v []string) map[string]string {
		cfg.TableName = v[0]
		return cfg.Env()
	}, table.name)
	policy := func(logs pulumi.StringOutput) pulumi.StringOutput {
		return pulumi.All(stream, table.arn, g.account, logs, dlq.Arn, table.name).ApplyT(func(v []any) string {
			return EventPublisherPolicy(table.grant(v[5].(string), v[1].(string)), v[0].(string), EventBusArn(bus, v[1].(string), v[2].(string)), v[3].(string), v[4].(string))
		}).(pulumi.StringOutput)
	}
	fn, err := g.goLambdaWith("events", "eventpublisher", epconfig.Handler, "publishes the circuits' transitions to EventBridge", pulumi.Int(eventsTimeoutSeconds), table, env, 0, policy)
	if err != nil {
		return err
	}
	// TRIM_HORIZON on the breaker's own stream, which starts with the
	// breaker (or with the update that turned it on): nothing written before
	// the mapping exists is lost. LATEST on a brought one, which may hold up
	// to 24 hours of older changes that are not news any more.
	start := "TRIM_HORIZON"
	var filter lambda.EventSourceMappingFilterCriteriaPtrInput
	if table.brought {
		start = "LATEST"
		filter = lambda.EventSourceMappingFilterCriteriaArgs{Filters: lambda.EventSourceMappingFilterCriteriaFilterArray{
			lambda.EventSourceMappingFilterCriteriaFilterArgs{Pattern: pulumi.String(StreamFilterPattern(g.s.ServiceName))},
		}}
	}
	_, err = lambda.NewEventSourceMapping(g.ctx, g.child("events-source"), &lambda.EventSourceMappingArgs{
		EventSourceArn:             stream,
		FunctionName:               fn.fn.Arn,
		StartingPosition:           pulumi.String(start),
		BatchSize:                  pulumi.Int(eventsBatchSize),
		BisectBatchOnFunctionError: pulumi.Bool(true),
		FunctionResponseTypes:      pulumi.StringArray{pulumi.String("ReportBatchItemFailures")},
		MaximumRetryAttempts:       pulumi.Int(eventsMaxRetries),
		MaximumRecordAgeInSeconds:  pulumi.Int(eventsMaxRecordAgeSecond),
		DestinationConfig: lambda.EventSourceMappingDestinationConfigArgs{
			OnFailure: lambda.EventSourceMappingDestinationConfigOnFailureArgs{DestinationArn: dlq.Arn},
		},
		FilterCriteria: filter,
		Tags:           g.tags,
	}, g.parent, pulumi.DependsOn([]pulumi.Resource{fn.role.policy}))
	return err
}

func boolOf(v any) bool {
	switch b := v.(type) {
	case bool:
		return b
	case *bool:
		return b != nil && *b
	}
	return false
}
