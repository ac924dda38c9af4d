package reconciler

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/reconciler/config"
)

// Two breakers with one serviceName on one table share one item, silently:
// each takes the other's failures, trips and overrides for its own. The
// component refuses it where both are in one program; breakers of two stacks
// (a table read with aws.dynamodb.Table.get) meet only here. Each
// reconciliation run records its breaker as the item's owner, and a run that
// finds another owner, seen within the lease, says so loudly: an ERROR log
// line naming both and one OwnerConflicts datapoint. The owner that recorded
// itself first stays quiet; the other reports every run. An owner silent for
// longer than the lease (renamed, replaced or deleted) is taken over, so a
// breaker that changed its identity heals by itself.

// Environment of the ownership check (config's).
const (
	EnvOwner             = config.EnvOwner
	EnvOwnerLeaseSeconds = config.EnvOwnerLeaseSeconds
)

// The item's attributes the check writes; no writer's model knows them, so
// every writer keeps them (circuitstore.Store.Update preserves unknown
// attributes), and no write of theirs changes the circuit's version.
const (
	AttrOwner       = "owner"
	AttrOwnerSeenAt = "ownerSeenAt"
)

// OwnerConflictsMetric counts runs that found another breaker's item: EMF, in
// circuit.MetricNamespace with the ServiceName dimension, as CircuitState.
const OwnerConflictsMetric = "OwnerConflicts"

// DefaultOwnerLease holds the item for a breaker whose schedule is not known.
const DefaultOwnerLease = config.DefaultOwnerLease

// Owner is this breaker's identity and its lease on the item.
type Owner = config.Owner

// OwnerFromEnv is config.OwnerFromEnv.
func OwnerFromEnv(getenv func(string) string) (Owner, error) { return config.OwnerFromEnv(getenv) }

// WithOwner turns the ownership check on.
func (h *Handler) WithOwner(o Owner) *Handler {
	h.owner = o
	return h
}

// ownerTime is the form ownerSeenAt is written in: fixed width, UTC, so that
// DynamoDB's string comparison orders it.
const ownerTime = "2006-01-02T15:04:05.000Z"

// checkOwner records this breaker as the item's owner, or reports the other
// owner it finds. It never fails reconciliation: a conflict is not fixed by a
// retry, and a failed write of the record only delays the check to the next
// run (logged as a warning). It touches an existing item only: a circuit with
// no item has nothing to share yet.
func (h *Handler) checkOwner(ctx context.Context, log *slog.Logger) {
	me := h.owner.ID
	if me == "" {
		return
	}
	now := h.now().UTC()
	key := map[string]types.AttributeValue{circuit.KeyAttribute: &types.AttributeValueMemberS{Value: h.cfg.ServiceName}}
	out, err := h.store.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(h.cfg.TableName),
		Key:                 key,
		UpdateExpression:    aws.String("SET #owner = :me, #seen = :now"),
		ConditionExpression: aws.String("attribute_exists(#key) AND (attribute_not_exists(#owner) OR #owner = :me OR #seen < :stale)"),
		ExpressionAttributeNames: map[string]string{
			"#key": circuit.KeyAttribute, "#owner": AttrOwner, "#seen": AttrOwnerSeenAt,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":me":    &types.AttributeValueMemberS{Value: me},
			":now":   &types.AttributeValueMemberS{Value: now.Format(ownerTime)},
			":stale": &types.AttributeValueMemberS{Value: now.Add(-h.owner.Lease).Format(ownerTime)},
		},
		ReturnValues: types.ReturnValueUpdatedOld,
	})
	var lost *types.ConditionalCheckFailedException
	switch {
	case err == nil:
		if prev := str(out.Attributes[AttrOwner]); prev != "" && prev != me {
			log.Warn("took over the circuit's item from a breaker silent beyond its lease", "owner", me, "previousOwner", prev,
				"previousOwnerSeenAt", str(out.Attributes[AttrOwnerSeenAt]), "table", h.cfg.TableName)
		}
		return
	case !errors.As(err, &lost):
		log.Warn("could not record this breaker as the circuit's owner", "owner", me, "table", h.cfg.TableName, "error", err.Error())
		return
	}
	// The item is missing, or another breaker holds it.
	got, err := h.store.Client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(h.cfg.TableName), Key: key, ConsistentRead: aws.Bool(true)})
	if err != nil {
		log.Warn("could not read the circuit's owner", "owner", me, "table", h.cfg.TableName, "error", err.Error())
		return
	}
	other := str(got.Item[AttrOwner])
	if got.Item == nil || other == "" || other == me {
		return // no item yet, or it changed in between: the next run records it
	}
	log.Error("another breaker uses this circuit's item: two breakers share one serviceName on one table, and each takes the other's "+
		"failures, trips, probes and overrides for its own; give one of them another serviceName (or its own table)",
		"service", h.cfg.ServiceName, "table", h.cfg.TableName, "owner", me, "otherOwner", other,
		"otherOwnerSeenAt", str(got.Item[AttrOwnerSeenAt]))
	h.emitOwnerConflict(now)
}

// emitOwnerConflict writes one OwnerConflicts datapoint as an EMF line, in
// the form circuit/circuitmetric writes CircuitState (Amazon CloudWatch User
// Guide, "Specification: Embedded metric format").
func (h *Handler) emitOwnerConflict(at time.Time) {
	if h.metrics == nil {
		return
	}
	b, err := json.Marshal(map[string]any{
		"_aws": map[string]any{"Timestamp": at.UnixMilli(), "CloudWatchMetrics": []any{map[string]any{
			"Namespace":  circuit.MetricNamespace,
			"Dimensions": [][]string{{circuit.MetricDimension}},
			"Metrics":    []any{map[string]string{"Name": OwnerConflictsMetric, "Unit": "Count"}},
		}}},
		"level":                 "ERROR",
		"msg":                   "circuit owner conflict metric",
		circuit.MetricDimension: h.cfg.ServiceName,
		OwnerConflictsMetric:    1,
	})
	if err != nil {
		return // strings and numbers only
	}
	_, _ = h.metrics.Write(append(b, '\n'))
}

func str(v types.AttributeValue) string {
	if s, ok := v.(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}
