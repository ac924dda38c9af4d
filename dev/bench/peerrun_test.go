//go:build emulators

package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/localbreaker"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/testenv"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/testlambdas/outage"
)

// PeerOptions is one run of the peer: N environments (dev/bench/peer/env.py
// processes) driven by an open-loop stream against the harness's downstream,
// which fails during the schedule's windows.
type PeerOptions struct {
	// Endpoint is the DynamoDB to use (the bench's dynalite); the peer's
	// table is created there.
	Endpoint string
	Envs     int
	// Windows are the outages, from the stream's start, which is one
	// second after every environment is ready (PeerRun.Schedule).
	Windows []outage.Window
	Rate    float64
	N       int
	// The peer's CircuitBreakerConfig; local_cache_max_age stays its default.
	FailureThreshold, RecoveryTimeout, SuccessThreshold int
}

// PeerRun is what the run produced.
type PeerRun struct {
	Options  PeerOptions
	Schedule outage.Schedule
	// Version is aws-lambda-powertools' version, as each environment found
	// it installed.
	Version  string
	Table    string
	Circuit  string
	Requests []PeerRequest
	// The harness's downstream's own counts: every call, by environment,
	// and the calls it failed (those during the outage).
	Downstream       int
	DownstreamByEnv  map[int]int
	DownstreamFailed int
	// Wire is the DynamoDB operations the peer sent, counted by a proxy in
	// front of dynalite (the requests' Ops come from boto3's client events).
	Wire map[string]int
	// Item is the circuit's item in the peer's table after the run.
	Item map[string]types.AttributeValue
}

// peerKey is the peer's default partition key attribute
// (CircuitBreakerDynamoDBPersistence's key_attr).
const peerKey = "id"

func peerPython(tb testing.TB) string {
	p := filepath.Join(testenv.RepoRoot(), "bin", "peer", "bin", "python")
	if _, err := os.Stat(p); err != nil {
		tb.Fatalf("the peer's virtualenv is not installed at %s: run `make deps`", p)
	}
	return p
}

// RunPeer runs the peer through the schedule and returns what it did.
func RunPeer(tb testing.TB, o PeerOptions) *PeerRun {
	tb.Helper()
	python := peerPython(tb)
	ctx := context.Background()
	db := testenv.DynamoClient(tb, o.Endpoint)
	run := &PeerRun{Options: o, Table: fmt.Sprintf("peer-circuits-%d", time.Now().UnixNano()), Circuit: "bench-downstream", DownstreamByEnv: map[int]int{}}
	if _, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(run.Table),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String(peerKey), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String(peerKey), KeyType: types.KeyTypeHash}},
	}); err != nil {
		tb.Fatalf("peer: creating its table: %v", err)
	}
	wire := localbreaker.CountDynamo(tb, o.Endpoint)

	// The downstream: fails (503) during the outage windows, counts every call.
	var mu sync.Mutex
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		env, _ := strconv.Atoi(r.URL.Query().Get("env"))
		_, _, down := run.Schedule.Down(time.Now())
		mu.Lock()
		run.Downstream++
		run.DownstreamByEnv[env]++
		if down {
			run.DownstreamFailed++
		}
		mu.Unlock()
		if down {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "ok")
	})}
	go func() { _ = srv.Serve(l) }()
	tb.Cleanup(func() { _ = srv.Close() })

	type envProc struct {
		in     io.WriteCloser
		out    *bufio.Scanner
		stderr *bytes.Buffer
	}
	envs := make([]*envProc, o.Envs)
	script := filepath.Join(testenv.RepoRoot(), "dev", "bench", "peer", "env.py")
	for i := range envs {
		cmd := exec.Command(python, script)
		cmd.Env = append(os.Environ(),
			"PYTHONDONTWRITEBYTECODE=1",
			"PEER_ENDPOINT="+wire.URL,
			"PEER_TABLE="+run.Table,
			"PEER_CIRCUIT="+run.Circuit,
			"PEER_DOWNSTREAM="+l.Addr().String(),
			"PEER_ENV="+strconv.Itoa(i),
			"PEER_FAILURE_THRESHOLD="+strconv.Itoa(o.FailureThreshold),
			"PEER_RECOVERY_TIMEOUT="+strconv.Itoa(o.RecoveryTimeout),
			"PEER_SUCCESS_THRESHOLD="+strconv.Itoa(o.SuccessThreshold),
		)
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		p := &envProc{stderr: &bytes.Buffer{}}
		cmd.Stderr = p.stderr
		if p.in, err = cmd.StdinPipe(); err != nil {
			tb.Fatal(err)
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			tb.Fatal(err)
		}
		p.out = bufio.NewScanner(stdout)
		p.out.Buffer(make([]byte, 1<<20), 1<<20)
		if err := cmd.Start(); err != nil {
			tb.Fatalf("peer: starting environment %d: %v", i, err)
		}
		tb.Cleanup(func() {
			_ = p.in.Close()
			done := make(chan struct{})
			go func() { _ = cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
				<-done
			}
		})
		envs[i] = p
	}
	for i, p := range envs {
		if !p.out.Scan() {
			tb.Fatalf("peer: environment %d did not start: %s", i, p.stderr.String())
		}
		var ready struct{ Version string }
		if err := json.Unmarshal(p.out.Bytes(), &ready); err != nil || ready.Version == "" {
			tb.Fatalf("peer: environment %d: %q is not its ready line (%v)", i, p.out.Text(), err)
		}
		if run.Version != "" && run.Version != ready.Version {
			tb.Fatalf("peer: environments run versions %s and %s", run.Version, ready.Version)
		}
		run.Version = ready.Version
	}
	// Set before the first request: the downstream reads it only then.
	run.Schedule = outage.Schedule{Epoch: time.Now().Add(time.Second), Windows: o.Windows}

	// The open-loop stream: each request at its time; the first idle
	// environment takes it (a channel's waiting receivers are served in
	// order, so requests go round the idle environments, as Lambda spreads
	// them over warm ones); none idle: it waits for one.
	type request struct {
		i    int
		sent time.Time
	}
	queue := make(chan request, o.N)
	var wg sync.WaitGroup
	var failures []error
	for i, p := range envs {
		wg.Add(1)
		go func(i int, p *envProc) {
			defer wg.Done()
			for req := range queue {
				line, _ := json.Marshal(map[string]int{"i": req.i})
				if _, err := p.in.Write(append(line, '\n')); err != nil {
					mu.Lock()
					failures = append(failures, fmt.Errorf("environment %d: %v: %s", i, err, p.stderr.String()))
					mu.Unlock()
					return
				}
				if !p.out.Scan() {
					mu.Lock()
					failures = append(failures, fmt.Errorf("environment %d stopped: %s", i, p.stderr.String()))
					mu.Unlock()
					return
				}
				var r PeerRequest
				if err := json.Unmarshal(p.out.Bytes(), &r); err != nil {
					mu.Lock()
					failures = append(failures, fmt.Errorf("environment %d: %v: %s", i, err, p.out.Text()))
					mu.Unlock()
					return
				}
				r.Sent = req.sent
				mu.Lock()
				run.Requests = append(run.Requests, r)
				mu.Unlock()
			}
		}(i, p)
	}
	interval := time.Duration(float64(time.Second) / o.Rate)
	for i := 0; i < o.N; i++ {
		time.Sleep(time.Until(run.Schedule.Epoch.Add(time.Duration(i) * interval)))
		queue <- request{i: i, sent: time.Now()}
	}
	close(queue)
	wg.Wait()
	if len(failures) > 0 {
		tb.Fatalf("peer: %d environments failed, first: %v", len(failures), failures[0])
	}
	run.Wire = wire.Ops()
	out, err := db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(run.Table),
		Key:            map[string]types.AttributeValue{peerKey: &types.AttributeValueMemberS{Value: run.Circuit}},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		tb.Fatalf("peer: reading its item: %v", err)
	}
	run.Item = out.Item
	return run
}
