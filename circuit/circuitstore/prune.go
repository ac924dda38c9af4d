package circuitstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
)

// PruneAPI is the part of the DynamoDB client PruneKeys uses: an operator's
// credentials (circuitctl), not a Lambda's, which are granted neither.
type PruneAPI interface {
	Scan(ctx context.Context, in *dynamodb.ScanInput, opts ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
}

// PruneReport is what PruneKeys saw and did; the lists hold item keys
// ("<service>#<key>") in scan order, so that an operator's tool can show
// them (circuitctl prune).
type PruneReport struct {
	// Keys counts the per-key items of the breaker found.
	Keys int
	// Prunable are those circuit.Prunable: the ones deleted, or that would
	// be with dryRun.
	Prunable []string
	Deleted  []string
	// Changed are prunable items written between the scan and the delete
	// (the delete's condition failed): left alone.
	Changed []string
	// Kept counts items holding something (an override, an open or
	// half-open circuit, a failure or back-off count, a value the decoder
	// could not read) or attributes the model does not know.
	Kept int
}

// PruneKeys deletes the per-key items of service's breaker ("<service>#<key>")
// that are circuit.Prunable, each conditional on the version it was read at,
// so that a key written meanwhile (a failure counted, a trip, an override) is
// left alone. The breaker's own item and other breakers' items sharing the
// table are never touched. It scans the whole table (strongly consistent), so
// it costs what reading the table costs: an operator's occasional command,
// not a request path's.
func PruneKeys(ctx context.Context, client PruneAPI, table, service string, dryRun bool) (PruneReport, error) {
	var rep PruneReport
	if service == "" || strings.Contains(service, circuit.KeySeparator) {
		return rep, fmt.Errorf("circuitstore: %q is not a service name", service)
	}
	prefix := service + circuit.KeySeparator
	in := &dynamodb.ScanInput{
		TableName:                 aws.String(table),
		ConsistentRead:            aws.Bool(true),
		FilterExpression:          aws.String("begins_with(#k, :prefix)"),
		ExpressionAttributeNames:  map[string]string{"#k": circuit.KeyAttribute},
		ExpressionAttributeValues: map[string]types.AttributeValue{":prefix": &types.AttributeValueMemberS{Value: prefix}},
	}
	for {
		out, err := client.Scan(ctx, in)
		if err != nil {
			return rep, fmt.Errorf("scanning table %s for %s*: %w", table, prefix, err)
		}
		for _, item := range out.Items {
			k, ok := item[circuit.KeyAttribute].(*types.AttributeValueMemberS)
			if !ok || !strings.HasPrefix(k.Value, prefix) || len(k.Value) == len(prefix) {
				continue
			}
			rep.Keys++
			if !prunable(k.Value, item) {
				rep.Kept++
				continue
			}
			rep.Prunable = append(rep.Prunable, k.Value)
			if dryRun {
				continue
			}
			deleted, err := deleteUnchanged(ctx, client, table, k.Value, item)
			if err != nil {
				return rep, err
			}
			if deleted {
				rep.Deleted = append(rep.Deleted, k.Value)
			} else {
				rep.Changed = append(rep.Changed, k.Value)
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			return rep, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

func prunable(itemKey string, item Item) bool {
	for a := range item {
		// An attribute the item does not declare (an operator's note, a
		// newer release's field) keeps the item.
		if _, declared := circuit.KindOf(a); !declared && a != circuit.KeyAttribute {
			return false
		}
	}
	c, err := Decode(itemKey, item)
	return err == nil && circuit.Prunable(c) // Prunable refuses c.Unreadable
}

// deleteUnchanged deletes the item if it still has the version it was read at.
func deleteUnchanged(ctx context.Context, client PruneAPI, table, itemKey string, item Item) (bool, error) {
	names := map[string]string{"#version": circuit.AttrVersion}
	cond, values := versionCondition(item[circuit.AttrVersion])
	_, err := client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 aws.String(table),
		Key:                       Item{circuit.KeyAttribute: &types.AttributeValueMemberS{Value: itemKey}},
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
	})
	switch {
	case lostRace(err):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("deleting %q from table %s: %w", itemKey, table, err)
	}
	return true, nil
}
