package component

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/dynamodb"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

type circuitTable struct {
	resource dynamodb.TableOutput // the created or the brought table, for the component's output
	urn      pulumi.URNOutput     // the table's resource, created or brought
	name     pulumi.StringOutput
	arn      pulumi.StringOutput
	// streamArn is the created table's stream when events are on (events.go
	// reads a brought table's own).
	streamArn pulumi.StringOutput
	brought   bool
	// perKey: the grant covers the breaker's per-key items too. Set only on
	// the copies given to the state machine and the controller, the writers of
	// keys' items; the alarm path writes the breaker's own item only.
	perKey bool
	// check fails the deployment when a brought table has the wrong keys; the
	// component registers it as an output of its own (see circuitbreaker.go),
	// never as a child's input.
	check pulumi.Input
}

// grant is the table as the IAM documents see it, once its outputs are known.
func (t circuitTable) grant(name, arn string) CircuitTable {
	return CircuitTable{Arn: arn, Name: name, Brought: t.brought, PerKey: t.perKey}
}

// table creates the circuit-state table, or checks the one the user brought.
func (g *graph) table() (circuitTable, error) {
	if t := g.args.Table; t.OutputState != nil {
		// The children take the table's name and ARN as they are: both are
		// always present. Its keys are checked aside, because the sort key is
		// an optional output and a missing output is unknown at every preview:
		// a name made to wait on it made every definition and every Lambda's
		// TABLE_NAME unknown, so each preview of a shared table showed phantom
		// updates. The partition key is always present, so a wrong one fails
		// the preview; a sort key, when the table has one, is present too.
		check := pulumi.Map{
			"hashKey": pulumi.All(t.Name(), t.HashKey()).ApplyT(func(v []any) (string, error) {
				name, _ := v[0].(string)
				return name, checkHashKey(name, str(v[1]))
			}).(pulumi.StringOutput),
			"rangeKey": pulumi.All(t.Name(), t.RangeKey()).ApplyT(func(v []any) (string, error) {
				name, _ := v[0].(string)
				return name, checkRangeKey(name, str(v[1]))
			}).(pulumi.StringOutput),
		}
		urn := t.ApplyT(func(t *dynamodb.Table) pulumi.URNOutput { return t.URN() }).(pulumi.URNOutput)
		return circuitTable{resource: t, urn: urn, name: t.Name(), arn: t.Arn(), brought: true, check: check}, nil
	}
	// The transition events' source (events.go): both images, so that the
	// publisher tells a transition from a counter. Turning the stream on or
	// off is an in-place update of the table (stream_enabled and
	// stream_view_type are not ForceNew in the Terraform AWS provider's
	// aws_dynamodb_table: dev/fakes/standinaws/reference/terraform-aws.json).
	var streamEnabled pulumi.BoolPtrInput
	var streamViewType pulumi.StringPtrInput
	if g.s.Events.Enabled {
		streamEnabled, streamViewType = pulumi.Bool(true), pulumi.String("NEW_AND_OLD_IMAGES")
	}
	t, err := dynamodb.NewTable(g.ctx, g.child("table"), &dynamodb.TableArgs{
		StreamEnabled:  streamEnabled,
		StreamViewType: streamViewType,
		Attributes:     dynamodb.TableAttributeArray{dynamodb.TableAttributeArgs{Name: pulumi.String(tableKey), Type: pulumi.String("S")}},
		HashKey:        pulumi.String(tableKey),
		BillingMode:    pulumi.String("PAY_PER_REQUEST"),
		PointInTimeRecovery: dynamodb.TablePointInTimeRecoveryArgs{
			Enabled: pulumi.Bool(true),
		},
		// A KMS key (AWS managed) rather than the default AWS owned key, so that
		// access to circuit state shows in the account's CloudTrail.
		ServerSideEncryption: dynamodb.TableServerSideEncryptionArgs{Enabled: pulumi.Bool(true)},
		Tags:                 g.tags,
	}, g.parent)
	if err != nil {
		return circuitTable{}, err
	}
	// The output is derived from the table's URN, not made with ToTableOutput:
	// an output derived from the resource's own outputs belongs to the
	// program's context, which waits for it before it ends.
	own := t.URN().ApplyT(func(pulumi.URN) *dynamodb.Table { return t }).(dynamodb.TableOutput)
	return circuitTable{resource: own, urn: t.URN(), name: t.Name, arn: t.Arn, streamArn: t.StreamArn}, nil
}

// CheckBroughtTable explains what is wrong with a table the user brought. The
// keys arrive as *string or string depending on how the table was declared.
func CheckBroughtTable(name string, hashKey, rangeKey any) error {
	if err := checkHashKey(name, str(hashKey)); err != nil {
		return err
	}
	return checkRangeKey(name, str(rangeKey))
}

func checkHashKey(name, hk string) error {
	if hk != tableKey {
		var p problems
		p.add("table", "%q has partition key %q, but circuit items are keyed by %q (type S); "+
			"create the table with hashKey %q and no sort key, or omit `table` to let the breaker create one", name, hk, tableKey, tableKey)
		return p.err()
	}
	return nil
}

func checkRangeKey(name, rk string) error {
	if rk != "" {
		var p problems
		p.add("table", "%q has sort key %q, but circuit items have a partition key only; "+
			"use a table without a sort key, or omit `table` to let the breaker create one", name, rk)
		return p.err()
	}
	return nil
}

func str(v any) string {
	switch s := v.(type) {
	case string:
		return s
	case *string:
		if s != nil {
			return *s
		}
	}
	return ""
}
