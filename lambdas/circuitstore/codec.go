package circuitstore

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/lambdas/circuit"
)

// Item is a circuit's raw DynamoDB item.
type Item = map[string]types.AttributeValue

// Decode reads a circuit from its item. A nil or empty item is a circuit that was
// never written: CLOSED with every counter zero, as the contract says. Attributes
// the model does not know are ignored here and preserved by Update. The item's
// shape (which attribute is which field) is circuit's: circuit.DecodeItem.
func Decode(service string, item Item) (circuit.Circuit, error) {
	return circuit.DecodeItem(service, fromAttributeValues(item))
}

// fromAttributeValues keeps S and N values; NULL reads as absent, and any
// other type keeps its Go type's name, for DecodeItem's error.
func fromAttributeValues(item Item) circuit.Item {
	it := make(circuit.Item, len(item))
	for name, v := range item {
		switch v := v.(type) {
		case nil, *types.AttributeValueMemberNULL:
		case *types.AttributeValueMemberS:
			it[name] = circuit.S(v.Value)
		case *types.AttributeValueMemberN:
			it[name] = circuit.Value{Kind: circuit.KindN, Text: v.Value}
		default:
			it[name] = circuit.Value{Kind: circuit.Kind(fmt.Sprintf("%T", v))}
		}
	}
	return it
}

// Encode is the inverse of Decode: the attributes to SET and the optional ones
// to REMOVE because their value is zero. The key is not included. State, the
// counters and version are always written, so that the state machine can read
// them without guarding each one with IsPresent.
func Encode(c circuit.Circuit) (set Item, remove []string) {
	it := c.Item()
	set = Item{}
	for _, name := range circuit.AttributeNames() {
		v, ok := it[name]
		switch {
		case !ok:
			remove = append(remove, name)
		case v.Kind == circuit.KindN:
			set[name] = &types.AttributeValueMemberN{Value: v.Text}
		default:
			set[name] = &types.AttributeValueMemberS{Value: v.Text}
		}
	}
	return set, remove
}
