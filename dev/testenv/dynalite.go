package testenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
)

// Fake credentials and region for every client and process pointed at an
// emulator. They are obviously fake so that nothing ever mistakes them for real
// ones, and set explicitly so that a developer's own AWS configuration is never
// read (and never used against a real account by accident).
const (
	FakeAccessKeyID     = "AKIDTESTENVFAKE"
	FakeSecretAccessKey = "testenv-fake-secret"
	FakeRegion          = "us-east-1"
)

func dynaliteCLI() string {
	return filepath.Join(RepoRoot(), "dev", "emulators", "node_modules", "dynalite", "cli.js")
}

// dynaliteKeySize is preloaded into dynalite so that it counts key sizes in
// UTF-8 bytes, as DynamoDB does, instead of UTF-16 code units: without it, a
// key of multi-byte characters that DynamoDB refuses is accepted here (see
// the script for the references).
func dynaliteKeySize() string {
	return filepath.Join(RepoRoot(), "dev", "emulators", "dynalite-key-size.cjs")
}

// StartDynalite starts one in-memory dynalite on 127.0.0.1 and returns its
// endpoint and a function that stops it. It is for TestMain, where one emulator
// can serve a whole package; tests use Dynalite.
func StartDynalite() (endpoint string, stop func(), err error) {
	cli := dynaliteCLI()
	if _, err := os.Stat(cli); err != nil {
		return "", nil, fmt.Errorf("dynalite is not installed at %s: %w", cli, errMissing)
	}
	node, err := lookNode()
	if err != nil {
		return "", nil, err
	}
	var lastErr error
	// A few attempts because the free port may be taken between asking and binding.
	for attempt := 0; attempt < 5; attempt++ {
		port, err := freePort()
		if err != nil {
			return "", nil, err
		}
		addr := "127.0.0.1:" + strconv.Itoa(port)
		p, err := startProcess("dynalite", []string{
			node, "--require", dynaliteKeySize(), cli,
			// --host: without it dynalite listens on every interface.
			"--host", "127.0.0.1", "--port", strconv.Itoa(port),
			// Tables are ACTIVE at once instead of after dynalite's simulated delays.
			"--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0",
		}, os.Environ(), "")
		if err != nil {
			return "", nil, err
		}
		if err := p.waitListening(addr); err != nil {
			p.kill()
			lastErr = err
			if p.exited() {
				continue
			}
			return "", nil, err
		}
		return "http://" + addr, p.kill, nil
	}
	return "", nil, lastErr
}

// Dynalite starts a dynalite for this test and stops it when the test ends.
func Dynalite(t T) (endpoint string) {
	t.Helper()
	endpoint, stop, err := StartDynalite()
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	t.Cleanup(stop)
	return endpoint
}

func lookNode() (string, error) {
	if n := os.Getenv("NODE"); n != "" {
		return n, nil
	}
	for _, name := range []string{"node", "nodejs"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("node is not on PATH (dynalite needs Node.js): %w", errMissing)
}

// DynamoClient is an aws-sdk-go-v2 DynamoDB client for the emulator at endpoint,
// with fake static credentials, so that no shared AWS configuration is read.
func DynamoClient(t T, endpoint string) *dynamodb.Client {
	t.Helper()
	return NewDynamoClient(endpoint)
}

// NewDynamoClient is DynamoClient for code without a T (TestMain).
func NewDynamoClient(endpoint string) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region:       FakeRegion,
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider(FakeAccessKeyID, FakeSecretAccessKey, ""),
	})
}

var tableSeq atomic.Int64

var tableNameUnsafe = regexp.MustCompile(`[^a-zA-Z0-9_.-]+`)

// CreateCircuitTable creates a fresh, empty table shaped like the component's
// circuit table (hash key circuit.KeyAttribute, type S, on-demand) and waits
// until it is ACTIVE. The name is unique within the test binary and names the
// test, so that tests sharing one dynalite never see each other's items.
func CreateCircuitTable(t T, c *dynamodb.Client) (tableName string) {
	t.Helper()
	return CreateTableKeyedBy(t, c, types.ScalarAttributeTypeS)
}

// CreateTableKeyedBy is CreateCircuitTable with the key attribute of another
// type: a table a user might bring by mistake (every read and write of a
// circuit's item then fails with DynamoDB's ValidationException).
func CreateTableKeyedBy(t T, c *dynamodb.Client, keyType types.ScalarAttributeType) (tableName string) {
	t.Helper()
	name := tableNameUnsafe.ReplaceAllString(t.Name(), "-")
	if len(name) > 200 {
		name = name[:200]
	}
	name = fmt.Sprintf("circuits-%s-%d", name, tableSeq.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	_, err := c.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String(circuit.KeyAttribute), AttributeType: keyType},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(circuit.KeyAttribute), KeyType: types.KeyTypeHash},
		},
	})
	if err != nil {
		t.Fatalf("testenv: creating table %s: %v", name, err)
	}
	for {
		out, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
		if err == nil && out.Table.TableStatus == types.TableStatusActive {
			return name
		}
		if ctx.Err() != nil {
			t.Fatalf("testenv: table %s did not become ACTIVE: %v", name, errors.Join(err, ctx.Err()))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// MainWithDynalite runs a test package (from its TestMain) against one dynalite
// shared by all its tests, storing the endpoint in *endpoint: each test then
// makes its own table, which is cheaper than a server per test.
func MainWithDynalite(m *testing.M, endpoint *string) {
	ep, stop, err := StartDynalite()
	if err != nil {
		fmt.Fprintln(os.Stderr, "testenv:", err)
		os.Exit(1)
	}
	*endpoint = ep
	code := m.Run()
	stop()
	os.Exit(code)
}

// CircuitItem is a circuit's item exactly as stored (strongly consistent), for
// assertions on attributes the codec would normalise away.
func CircuitItem(t T, c *dynamodb.Client, table, service string) map[string]types.AttributeValue {
	t.Helper()
	out, err := c.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: aws.String(table), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{circuit.KeyAttribute: &types.AttributeValueMemberS{Value: service}},
	})
	if err != nil {
		t.Fatalf("reading circuit %q: %v", service, err)
	}
	return out.Item
}
