package component_test

import (
	"encoding/json"
	"testing"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/component"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/fakes/fakeaws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/dynamodb"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"
)

const esmType = "aws:lambda/eventSourceMapping:EventSourceMapping"

// Issue 9 (transition events): a breaker that creates its table turns the
// table's stream on with both images and reads it with the event publisher,
// which may read that stream, put events on one bus, write its logs and keep
// failed records in its queue, and nothing else: no access to the table's
// items (it is no writer of the circuit).
func TestEventsPublisherReadsTheOwnTablesStream(t *testing.T) {
	rec, _, err := deploy(t, baseArgs)
	require.NoError(t, err)

	table := rec.one(t, "aws:dynamodb/table:Table", "-table")
	// pulumi-aws v6 aws.dynamodb.Table streamEnabled / streamViewType; the
	// publisher needs NEW_AND_OLD_IMAGES to compare the item before and after.
	require.True(t, table.Inputs["streamEnabled"].BoolValue())
	require.Equal(t, "NEW_AND_OLD_IMAGES", table.Inputs["streamViewType"].StringValue())
	streamArn := table.State["streamArn"].StringValue()
	require.NotEmpty(t, streamArn)

	fn := rec.one(t, "aws:lambda/function:Function", "-events")
	vars := fn.Inputs["environment"].ObjectValue()["variables"].ObjectValue()
	require.Equal(t, "default", vars["EVENT_BUS_NAME"].StringValue())
	require.Equal(t, table.State["name"].StringValue(), vars["TABLE_NAME"].StringValue())

	esm := rec.one(t, esmType, "-events-source")
	in := esm.Inputs
	require.Equal(t, streamArn, in["eventSourceArn"].StringValue())
	require.Equal(t, fn.State["arn"].StringValue(), in["functionName"].StringValue())
	// The own stream starts with the breaker: read it from its start, so that
	// no transition written before the mapping existed is lost.
	require.Equal(t, "TRIM_HORIZON", in["startingPosition"].StringValue())
	// Partial batch responses (AWS Lambda Developer Guide, "Configuring
	// partial batch response with DynamoDB and Lambda": FunctionResponseTypes
	// ReportBatchItemFailures) with bisection, bounded retries, and an SQS
	// on-failure destination (CreateEventSourceMapping DestinationConfig:
	// DynamoDB sources take an SQS queue or SNS topic).
	require.Equal(t, "ReportBatchItemFailures", in["functionResponseTypes"].ArrayValue()[0].StringValue())
	require.Len(t, in["functionResponseTypes"].ArrayValue(), 1)
	require.True(t, in["bisectBatchOnFunctionError"].BoolValue())
	require.Equal(t, 10.0, in["maximumRetryAttempts"].NumberValue())
	require.Equal(t, 21600.0, in["maximumRecordAgeInSeconds"].NumberValue())
	dlqArn := rec.state(t, "aws:sqs/queue:Queue", "-events-dlq", "arn")
	require.Equal(t, dlqArn, in["destinationConfig"].ObjectValue()["onFailure"].ObjectValue()["destinationArn"].StringValue())
	_, filtered := in["filterCriteria"]
	require.False(t, filtered, "the table's creator publishes every circuit in it")
	require.Equal(t, "checkout", in["tags"].ObjectValue()["team"].StringValue())
	require.True(t, esm.dependsOn("breaker-events-policy"), "Lambda checks the role may read the stream when the mapping is created")

	p := rolePolicy(t, rec, "events")
	require.Len(t, p.Statement, 4)
	require.Equal(t, []string{"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"}, p.Statement[0].Action)
	require.Equal(t, []string{streamArn}, p.Statement[0].Resource, "the stream only, not the table")
	require.Equal(t, []string{"events:PutEvents"}, p.Statement[1].Action)
	require.Equal(t, []string{"arn:aws:events:" + fakeaws.Region + ":" + fakeaws.Account + ":event-bus/default"}, p.Statement[1].Resource)
	require.Equal(t, []string{"sqs:SendMessage"}, p.Statement[3].Action)
	require.Equal(t, []string{dlqArn}, p.Statement[3].Resource)
	for _, st := range p.Statement {
		for _, a := range st.Action {
			require.NotContains(t, []string{"dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:PutItem"}, a)
		}
	}
}

func TestEventsOnANamedBusAndOff(t *testing.T) {
	rec, _, err := deploy(t, func(f userFunctions) component.Args {
		a := baseArgs(f)
		a.Events = &component.EventsArgs{BusName: pulumi.StringRef("arn:aws:events:us-east-1:210987654321:event-bus/ops")}
		return a
	})
	require.NoError(t, err)
	require.Equal(t, []string{"arn:aws:events:us-east-1:210987654321:event-bus/ops"}, rolePolicy(t, rec, "events").Statement[1].Resource)
	fn := rec.one(t, "aws:lambda/function:Function", "-events")
	require.Equal(t, "arn:aws:events:us-east-1:210987654321:event-bus/ops", fn.Inputs["environment"].ObjectValue()["variables"].ObjectValue()["EVENT_BUS_NAME"].StringValue())

	rec, _, err = deploy(t, func(f userFunctions) component.Args {
		a := baseArgs(f)
		a.Events = &component.EventsArgs{Enabled: pulumi.BoolRef(false)}
		return a
	})
	require.NoError(t, err)
	require.Empty(t, rec.of(esmType))
	_, stream := rec.one(t, "aws:dynamodb/table:Table", "-table").Inputs["streamEnabled"]
	require.False(t, stream, "no stream without events")
}

// A shared table: its creator publishes every circuit's events, so the
// breakers given it publish none by default (DynamoDB Streams throttles more
// than two readers per shard: DynamoDB Streams API Reference,
// LimitExceededException).
func TestEventsOnASharedTableHaveOneReader(t *testing.T) {
	rec := &recorder{}
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		f, err := newFunctions(ctx)
		if err != nil {
			return err
		}
		first, err := component.NewCircuitBreaker(ctx, "first", baseArgs(f))
		if err != nil {
			return err
		}
		a := baseArgs(f)
		a.ServiceName = "refunds"
		a.Table = first.Table
		_, err = component.NewCircuitBreaker(ctx, "second", a)
		return err
	}, pulumi.WithMocks("project", "stack", rec))
	require.NoError(t, err)
	require.Len(t, rec.of(esmType), 1)
	require.Len(t, rec.of("aws:lambda/function:Function"), 2+2*4+1, "the user's two, four per breaker (alarm handler, reconciler, controller, healthcheck runner), one publisher")
}

// A brought table of the user's own, with its stream: events.enabled reads it
// filtered to this breaker's items (its own and its per-key "<service>#...").
func TestEventsOnABroughtTableAreFilteredToTheBreakersItems(t *testing.T) {
	rec := &recorder{}
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		f, err := newFunctions(ctx)
		if err != nil {
			return err
		}
		tbl, err := dynamodb.NewTable(ctx, "mine", &dynamodb.TableArgs{HashKey: pulumi.String("serviceName"),
			StreamEnabled: pulumi.Bool(true), StreamViewType: pulumi.String("NEW_AND_OLD_IMAGES")})
		if err != nil {
			return err
		}
		a := baseArgs(f)
		a.Table = tbl.ToTableOutput()
		a.Events = &component.EventsArgs{Enabled: pulumi.BoolRef(true)}
		_, err = component.NewCircuitBreaker(ctx, "breaker", a)
		return err
	}, pulumi.WithMocks("project", "stack", rec))
	require.NoError(t, err)
	esm := rec.one(t, esmType, "-events-source")
	require.Equal(t, rec.state(t, "aws:dynamodb/table:Table", "mine", "streamArn"), esm.Inputs["eventSourceArn"].StringValue())
	require.Equal(t, "LATEST", esm.Inputs["startingPosition"].StringValue(), "a brought stream's older records are no news")
	filters := esm.Inputs["filterCriteria"].ObjectValue()["filters"].ArrayValue()
	require.Len(t, filters, 1)
	var pattern map[string]any
	require.NoError(t, json.Unmarshal([]byte(filters[0].ObjectValue()["pattern"].StringValue()), &pattern))
	// AWS Lambda Developer Guide, "Using event filtering with a DynamoDB event
	// source" (filtering on table keys) and "Filter rule syntax" (prefix).
	require.Equal(t, map[string]any{"dynamodb": map[string]any{"Keys": map[string]any{"serviceName": map[string]any{
		"S": []any{"payments", map[string]any{"prefix": "payments#"}}}}}}, pattern)
}

func TestEventsInputsAreRefused(t *testing.T) {
	for _, tc := range []struct {
		name   string
		stream *dynamodb.TableArgs // a brought table, or nil for the breaker's own
		events component.EventsArgs
		want   []string
	}{
		{"bad bus name", nil, component.EventsArgs{BusName: pulumi.StringRef("ops bus!")}, []string{"events.busName", `"ops bus!"`}},
		{"bus while off", nil, component.EventsArgs{Enabled: pulumi.BoolRef(false), BusName: pulumi.StringRef("ops")}, []string{"events.busName", "events.enabled is false"}},
		{"bus on a brought table", &dynamodb.TableArgs{HashKey: pulumi.String("serviceName")}, component.EventsArgs{BusName: pulumi.StringRef("ops")},
			[]string{"events.busName", "brought table publishes no events unless events.enabled is true"}},
		{"brought table without a stream", &dynamodb.TableArgs{HashKey: pulumi.String("serviceName"), StreamEnabled: pulumi.Bool(false)}, component.EventsArgs{Enabled: pulumi.BoolRef(true)},
			[]string{"events.enabled", "has no stream", "streamViewType NEW_AND_OLD_IMAGES"}},
		{"brought table with keys only", &dynamodb.TableArgs{HashKey: pulumi.String("serviceName"), StreamEnabled: pulumi.Bool(true), StreamViewType: pulumi.String("KEYS_ONLY")},
			component.EventsArgs{Enabled: pulumi.BoolRef(true)}, []string{"events.enabled", `streamViewType "KEYS_ONLY"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			err := pulumi.RunErr(func(ctx *pulumi.Context) error {
				f, err := newFunctions(ctx)
				if err != nil {
					return err
				}
				a := baseArgs(f)
				if tc.stream != nil {
					tbl, err := dynamodb.NewTable(ctx, "mine", tc.stream)
					if err != nil {
						return err
					}
					a.Table = tbl.ToTableOutput()
				}
				ev := tc.events
				a.Events = &ev
				_, err = component.NewCircuitBreaker(ctx, "breaker", a)
				return err
			}, pulumi.WithMocks("project", "stack", rec), preview)
			require.Error(t, err)
			for _, w := range tc.want {
				require.Contains(t, err.Error(), w)
			}
		})
	}
}

// A brought table whose stream setting is not set at all: unknown at preview
// (an output the provider does not return), refused at up.
func TestEventsOnABroughtTableWithoutAStreamFailAtUp(t *testing.T) {
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		f, err := newFunctions(ctx)
		if err != nil {
			return err
		}
		tbl, err := dynamodb.NewTable(ctx, "mine", &dynamodb.TableArgs{HashKey: pulumi.String("serviceName")})
		if err != nil {
			return err
		}
		a := baseArgs(f)
		a.Table = tbl.ToTableOutput()
		a.Events = &component.EventsArgs{Enabled: pulumi.BoolRef(true)}
		_, err = component.NewCircuitBreaker(ctx, "breaker", a)
		return err
	}, pulumi.WithMocks("project", "stack", &recorder{}))
	require.Error(t, err)
	require.Contains(t, err.Error(), "events.enabled")
	require.Contains(t, err.Error(), "has no stream")
}

// Issue 14, item 16: a brought table's stream is encrypted with the table's
// key ("DynamoDB streams are always encrypted with a table-level encryption
// key": Amazon DynamoDB Developer Guide, "DynamoDB encryption at rest usage
// notes"), so with a customer managed key the publisher, which reads the
// stream, needs kms:Decrypt on it. It is granted the way the other roles are
// granted a brought table's key (policies.go, CircuitTable.statements): any
// key of the table's Region, only through DynamoDB (kms:ViaService) and only
// for this table (the encryption context DynamoDB sends,
// aws:dynamodb:tableName and aws:dynamodb:subscriberId: AWS KMS Developer
// Guide, "How Amazon DynamoDB uses AWS KMS"), and kms:DescribeKey likewise.
// Decrypt only: the publisher writes nothing to the table.
func TestEventsPublisherMayDecryptABroughtTablesStream(t *testing.T) {
	rec := &recorder{}
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		f, err := newFunctions(ctx)
		if err != nil {
			return err
		}
		tbl, err := dynamodb.NewTable(ctx, "mine", &dynamodb.TableArgs{HashKey: pulumi.String("serviceName"),
			StreamEnabled: pulumi.Bool(true), StreamViewType: pulumi.String("NEW_AND_OLD_IMAGES"),
			ServerSideEncryption: dynamodb.TableServerSideEncryptionArgs{Enabled: pulumi.Bool(true),
				KmsKeyArn: pulumi.String("arn:aws:kms:" + fakeaws.Region + ":" + fakeaws.Account + ":key/1234abcd-12ab-34cd-56ef-1234567890ab")}})
		if err != nil {
			return err
		}
		a := baseArgs(f)
		a.Table = tbl.ToTableOutput()
		a.Events = &component.EventsArgs{Enabled: pulumi.BoolRef(true)}
		_, err = component.NewCircuitBreaker(ctx, "breaker", a)
		return err
	}, pulumi.WithMocks("project", "stack", rec))
	require.NoError(t, err)
	tableName := rec.state(t, "aws:dynamodb/table:Table", "mine", "name")
	p := rolePolicy(t, rec, "events")
	var decrypt, describe *component.Statement
	for i, st := range p.Statement {
		switch st.Sid {
		case "UseTableKeyThroughDynamoDB":
			decrypt = &p.Statement[i]
		case "DescribeTableKeyThroughDynamoDB":
			describe = &p.Statement[i]
		}
	}
	require.NotNil(t, decrypt, "the publisher of a brought table's stream has no grant on its key: %v", p.Statement)
	require.Equal(t, []string{"kms:Decrypt"}, decrypt.Action)
	require.Equal(t, []string{"arn:aws:kms:" + fakeaws.Region + ":*:key/*"}, decrypt.Resource)
	require.Equal(t, map[string]any{
		"kms:ViaService": "dynamodb." + fakeaws.Region + ".amazonaws.com",
		"kms:EncryptionContext:aws:dynamodb:tableName":    tableName,
		"kms:EncryptionContext:aws:dynamodb:subscriberId": fakeaws.Account,
	}, decrypt.Condition["StringEquals"])
	require.NotNil(t, describe)
	require.Equal(t, []string{"kms:DescribeKey"}, describe.Action)
	// The writers' grant is the same, with their actions (unchanged).
	w := rolePolicy(t, rec, "alarm-handler")
	require.Equal(t, decrypt.Condition, w.Statement[1].Condition)
}

// Issue 14, item 19: PutEvents puts events on a bus of the Region it is called
// in; another Region's bus is reached only through a rule whose target it is
// (Amazon EventBridge User Guide, "Sending and receiving events between AWS
// Regions"; API Reference, PutEventsRequestEntry EventBusName). A busName ARN
// in another Region than the aws provider's (aws.getRegion, answered at
// preview) is refused at preview, naming the field, and creates nothing at up.
func TestEventBusInAnotherRegionIsRefused(t *testing.T) {
	const otherBus = "arn:aws:events:eu-west-1:210987654321:event-bus/ops"
	run := func(providerRegion, bus string, opts ...pulumi.RunOption) (*recorder, error) {
		rec := &recorder{callF: callerInRegion(fakeaws.Account, providerRegion)}
		_, _, err := deployOn(t, rec, func(f userFunctions) component.Args {
			a := baseArgs(f)
			a.Events = &component.EventsArgs{BusName: pulumi.StringRef(bus)}
			return a
		}, opts...)
		return rec, err
	}
	for _, mode := range []struct {
		name string
		opts []pulumi.RunOption
	}{{"preview", []pulumi.RunOption{preview}}, {"up", nil}} {
		t.Run(mode.name, func(t *testing.T) {
			rec, err := run("us-east-1", otherBus, mode.opts...)
			require.Error(t, err)
			why := inputError(t, err)["events.busName"]
			require.Contains(t, why, `"`+otherBus+`" is an event bus in Region eu-west-1, but the breaker deploys into us-east-1`)
			require.Contains(t, why, "name a bus in us-east-1")
			require.Empty(t, rec.of(esmType), "nothing is created for a bus PutEvents cannot reach")
			require.Empty(t, rec.of("aws:dynamodb/table:Table"))

			_, err = run("eu-west-1", otherBus, mode.opts...)
			require.NoError(t, err, "a bus in the provider's own Region")
			_, err = run("us-east-1", "ops", mode.opts...)
			require.NoError(t, err, "a bus name is in the provider's Region")
		})
	}
	require.NoError(t, component.CheckEventBusRegion(otherBus, ""), "a provider without a Region checks nothing")
}
