// Package fakestore is a DynamoDB client for tests that only need to know
// whether a handler wrote: every read answers one fixed item (none: a circuit
// with no item yet), every write succeeds and is counted. The fuzz tests use
// it to assert that input a parser refuses changes nothing.
package fakestore

import (
	"context"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Table answers GetItem, BatchGetItem and Scan with Item (nil: no item) and
// accepts UpdateItem, PutItem and DeleteItem, counting them.
type Table struct {
	Item map[string]types.AttributeValue

	mu           sync.Mutex
	reads, write int
}

// Reads is the number of GetItem, BatchGetItem and Scan calls so far.
func (t *Table) Reads() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.reads
}

// Writes is the number of UpdateItem, PutItem and DeleteItem calls so far.
func (t *Table) Writes() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.write
}

func (t *Table) read() {
	t.mu.Lock()
	t.reads++
	t.mu.Unlock()
}

func (t *Table) wrote() {
	t.mu.Lock()
	t.write++
	t.mu.Unlock()
}

func (t *Table) GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	t.read()
	return &dynamodb.GetItemOutput{Item: t.Item}, nil
}

func (t *Table) Scan(context.Context, *dynamodb.ScanInput, ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error) {
	t.read()
	out := &dynamodb.ScanOutput{}
	if t.Item != nil {
		out.Items = []map[string]types.AttributeValue{t.Item}
	}
	return out, nil
}

func (t *Table) UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	t.wrote()
	return &dynamodb.UpdateItemOutput{}, nil
}

func (t *Table) PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	t.wrote()
	return &dynamodb.PutItemOutput{}, nil
}

func (t *Table) DeleteItem(context.Context, *dynamodb.DeleteItemInput, ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	t.wrote()
	return &dynamodb.DeleteItemOutput{}, nil
}
