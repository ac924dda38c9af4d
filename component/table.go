package component

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/dynamodb"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

type circuitTable struct {
	name pulumi.StringOutput
	arn  pulumi.StringOutput
}

// table creates the circuit-state table, or checks the one the user brought.
func (g *graph) table() (circuitTable, error) {
	if t := g.args.Table; t != nil {
		// The check rides on the name every consumer uses, so a wrong table
		// stops the deployment (at preview when the table's keys are known).
		name := pulumi.All(t.Name, t.HashKey, t.RangeKey).ApplyT(func(v []any) (string, error) {
			name, _ := v[0].(string)
			return name, CheckBroughtTable(name, v[1], v[2])
		}).(pulumi.StringOutput)
		return circuitTable{name: name, arn: t.Arn}, nil
	}
	t, err := dynamodb.NewTable(g.ctx, g.child("table"), &dynamodb.TableArgs{
		Attributes:  dynamodb.TableAttributeArray{dynamodb.TableAttributeArgs{Name: pulumi.String(tableKey), Type: pulumi.String("S")}},
		HashKey:     pulumi.String(tableKey),
		BillingMode: pulumi.String("PAY_PER_REQUEST"),
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
	return circuitTable{name: t.Name, arn: t.Arn}, nil
}

// CheckBroughtTable explains what is wrong with a table the user brought. The
// keys arrive as *string or string depending on how the table was declared.
func CheckBroughtTable(name string, hashKey, rangeKey any) error {
	hk, rk := str(hashKey), str(rangeKey)
	if hk != tableKey {
		return fmt.Errorf("table: %q has partition key %q, but circuit items are keyed by %q (type S); "+
			"create the table with hashKey %q and no sort key, or omit `table` to let the breaker create one", name, hk, tableKey, tableKey)
	}
	if rk != "" {
		return fmt.Errorf("table: %q has sort key %q, but circuit items have a partition key only; "+
			"use a table without a sort key, or omit `table` to let the breaker create one", name, rk)
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
