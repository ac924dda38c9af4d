//go:build emulators

package testenv_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/testenv"
)

// DynamoDB counts a partition key in bytes of UTF-8 and refuses one over 2048
// on reads and writes alike (DynamoDB Developer Guide, "Quotas", partition and
// sort keys; ScyllaDB's DynamoDB-verified test/alternator/test_limits.py,
// test_limit_partition_key_len_2048), with this ValidationException, "of2048"
// without a space (moto's HashKeyTooLong and its
// tests/test_dynamodb/exceptions/test_key_length_exceptions.py, which counts a
// non-ASCII key in bytes too). dynalite alone counts UTF-16 code units, and
// accepted the multi-byte keys below (dev/emulators/dynalite-key-size.cjs).
const hashKeyTooLong = "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes"

func TestDynaliteCountsKeyBytesAsDynamoDB(t *testing.T) {
	c := testenv.DynamoClient(t, testenv.Dynalite(t))
	table := testenv.CreateCircuitTable(t, c)
	ctx := context.Background()
	key := func(v string) map[string]types.AttributeValue {
		return map[string]types.AttributeValue{circuit.KeyAttribute: &types.AttributeValueMemberS{Value: v}}
	}
	ops := map[string]func(string) error{
		"PutItem": func(v string) error {
			_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: key(v)})
			return err
		},
		"GetItem": func(v string) error {
			_, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: key(v)})
			return err
		},
		"UpdateItem": func(v string) error {
			_, err := c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(table), Key: key(v),
				UpdateExpression: aws.String("ADD failures :one"), ExpressionAttributeValues: map[string]types.AttributeValue{":one": &types.AttributeValueMemberN{Value: "1"}}})
			return err
		},
		"DeleteItem": func(v string) error {
			_, err := c.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(table), Key: key(v)})
			return err
		},
		"BatchGetItem": func(v string) error {
			_, err := c.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
				table: {Keys: []map[string]types.AttributeValue{key("short"), key(v)}}}})
			return err
		},
		"BatchWriteItem": func(v string) error {
			_, err := c.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{
				table: {{PutRequest: &types.PutRequest{Item: key(v)}}}}})
			return err
		},
	}
	fits := map[string]string{
		"2048 ASCII":                 strings.Repeat("k", 2048),
		"1024 two-byte (2048 bytes)": strings.Repeat("é", 1024),
		"512 emoji (2048 bytes)":     strings.Repeat("😃", 512),
	}
	over := map[string]string{
		"2049 ASCII":                     strings.Repeat("k", 2049),
		"1024 two-byte and one (2049)":   strings.Repeat("é", 1024) + "k",
		"1500 two-byte (3000 bytes)":     strings.Repeat("é", 1500),
		"1000 three-byte (3000 bytes)":   strings.Repeat("€", 1000),
		"512 emoji and one (2049 bytes)": strings.Repeat("😃", 512) + "k",
		"200 KB":                         strings.Repeat("k", 200_000),
	}
	for name, op := range ops {
		for what, v := range fits {
			if err := op(v); err != nil {
				t.Errorf("%s of a key of %s (%d bytes): %v", name, what, len(v), err)
			}
		}
		for what, v := range over {
			err := op(v)
			var api smithy.APIError
			if !errors.As(err, &api) || api.ErrorCode() != "ValidationException" || api.ErrorMessage() != hashKeyTooLong {
				t.Errorf("%s of a key of %s (%d bytes, %d runes): %v, want ValidationException %q", name, what, len(v), utf8.RuneCountInString(v), err, hashKeyTooLong)
			}
		}
	}
}
