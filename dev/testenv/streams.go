package testenv

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
)

// The transition events' local path (docs/events.md), in moto: the circuit
// table's stream, read as Lambda's event source mapping reads it, and a bus
// whose rule delivers to an SQS queue.

// jsonProtocol is DynamoDB Streams' and SQS's wire protocol (JSON 1.0, with
// X-Amz-Target DynamoDBStreams_20120810.* and AmazonSQS.*).
const jsonProtocol = "application/x-amz-json-1.0"

// CreateStreamTable makes a circuit table whose stream carries both images,
// as the component's own table (component/table.go), and returns its name
// and its stream's ARN.
func CreateStreamTable(t T, db *dynamodb.Client) (name, streamArn string) {
	t.Helper()
	name = fmt.Sprintf("circuits-stream-%d", tableSeq.Add(1))
	out, err := db.CreateTable(context.Background(), &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String(circuit.KeyAttribute), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String(circuit.KeyAttribute), KeyType: types.KeyTypeHash}},
		StreamSpecification:  &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeNewAndOldImages},
	})
	if err != nil {
		t.Fatalf("testenv: creating %s: %v", name, err)
	}
	return name, aws.ToString(out.TableDescription.LatestStreamArn)
}

// StreamReader reads a stream's records from its start (a mapping's
// TRIM_HORIZON), shard by shard, keeping its place between calls.
type StreamReader struct {
	Endpoint, StreamArn string
	iterators           map[string]string // shard -> next iterator
}

// Next returns the records written since the last call, with eventSourceARN
// set as Lambda sets it in the events it invokes a function with (GetRecords'
// records lack it).
func (s *StreamReader) Next() ([]events.DynamoDBEventRecord, error) {
	if s.iterators == nil {
		s.iterators = map[string]string{}
	}
	var desc struct {
		StreamDescription struct{ Shards []struct{ ShardId string } }
	}
	if err := call(s.Endpoint, "dynamodb", "DynamoDBStreams_20120810.DescribeStream", map[string]string{"StreamArn": s.StreamArn}, &desc); err != nil {
		return nil, err
	}
	var records []events.DynamoDBEventRecord
	for _, sh := range desc.StreamDescription.Shards {
		iter, ok := s.iterators[sh.ShardId]
		if !ok {
			var it struct{ ShardIterator string }
			if err := call(s.Endpoint, "dynamodb", "DynamoDBStreams_20120810.GetShardIterator",
				map[string]string{"StreamArn": s.StreamArn, "ShardId": sh.ShardId, "ShardIteratorType": "TRIM_HORIZON"}, &it); err != nil {
				return nil, err
			}
			iter = it.ShardIterator
		}
		for iter != "" {
			var page struct {
				Records           []events.DynamoDBEventRecord
				NextShardIterator string
			}
			if err := call(s.Endpoint, "dynamodb", "DynamoDBStreams_20120810.GetRecords", map[string]string{"ShardIterator": iter}, &page); err != nil {
				return nil, err
			}
			if page.NextShardIterator != "" {
				iter = page.NextShardIterator
			}
			if len(page.Records) == 0 {
				break
			}
			for _, r := range page.Records {
				r.EventSourceArn = s.StreamArn
				records = append(records, r)
			}
		}
		s.iterators[sh.ShardId] = iter
	}
	return records, nil
}

// BusEvent is an EventBridge event as a rule's target receives it, with the
// detail left raw.
type BusEvent struct {
	Source     string          `json:"source"`
	DetailType string          `json:"detail-type"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

// EventCapture is a bus with one rule whose target is an SQS queue.
type EventCapture struct {
	endpoint, queueURL string
}

// NewEventCapture creates bus ("default" is there already) and a rule on it
// with pattern, targeting a new queue.
func NewEventCapture(endpoint, bus, pattern string) (*EventCapture, error) {
	ctx := context.Background()
	eb := eventbridge.New(eventbridge.Options{
		Region:       FakeRegion,
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider(FakeAccessKeyID, FakeSecretAccessKey, ""),
	})
	if bus != "default" {
		if _, err := eb.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(bus)}); err != nil {
			return nil, err
		}
	}
	var q struct{ QueueUrl string }
	if err := call(endpoint, "sqs", "AmazonSQS.CreateQueue", map[string]string{"QueueName": "captured-" + bus}, &q); err != nil {
		return nil, err
	}
	var attrs struct{ Attributes map[string]string }
	if err := call(endpoint, "sqs", "AmazonSQS.GetQueueAttributes", map[string]any{"QueueUrl": q.QueueUrl, "AttributeNames": []string{"QueueArn"}}, &attrs); err != nil {
		return nil, err
	}
	rule := aws.String("captured")
	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: rule, EventBusName: aws.String(bus), EventPattern: aws.String(pattern)}); err != nil {
		return nil, err
	}
	if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: rule, EventBusName: aws.String(bus),
		Targets: []ebtypes.Target{{Id: aws.String("queue"), Arn: aws.String(attrs.Attributes["QueueArn"])}}}); err != nil {
		return nil, err
	}
	return &EventCapture{endpoint: endpoint, queueURL: q.QueueUrl}, nil
}

// Receive returns the events delivered since the last call (each once: they
// are deleted from the queue).
func (c *EventCapture) Receive() ([]BusEvent, error) {
	var out []BusEvent
	for {
		var page struct {
			Messages []struct{ Body, ReceiptHandle string }
		}
		if err := call(c.endpoint, "sqs", "AmazonSQS.ReceiveMessage", map[string]any{"QueueUrl": c.queueURL, "MaxNumberOfMessages": 10}, &page); err != nil {
			return out, err
		}
		if len(page.Messages) == 0 {
			return out, nil
		}
		for _, m := range page.Messages {
			var ev BusEvent
			if err := json.Unmarshal([]byte(m.Body), &ev); err != nil {
				return out, fmt.Errorf("message %s: %w", m.Body, err)
			}
			out = append(out, ev)
			if err := call(c.endpoint, "sqs", "AmazonSQS.DeleteMessage", map[string]string{"QueueUrl": c.queueURL, "ReceiptHandle": m.ReceiptHandle}, &struct{}{}); err != nil {
				return out, err
			}
		}
	}
}

func call(endpoint, signingService, target string, in, out any) error {
	raw, err := awsJSON(endpoint, signingService, jsonProtocol, target, in)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("%s: %w: %s", target, err, raw)
	}
	return nil
}
