// Package sfnlocal executes a Step Functions definition locally, for tests: the
// real ASL document, run by aws-local-stepfunctions, with its DynamoDB and Lambda
// integrations wired to dynalite and to Lambda RIEs (see dev/sfn/run.mjs for
// what is reproduced of AWS's shapes and error names).
//
// Building the executor's state machine costs about half a second, executions a
// few milliseconds, so a Machine keeps one Node process per definition and
// streams executions to it (JSON lines); Run is the one-shot convenience.
package sfnlocal

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/testenv"
)

// Options wire a definition's service integrations to local emulators.
type Options struct {
	// DynamoEndpoint serves arn:aws:states:::dynamodb:* (e.g. testenv.Dynalite).
	// Required when the definition uses DynamoDB.
	DynamoEndpoint string
	// Lambdas maps a FunctionName, as the definition has it, to RIE invoke URLs:
	// an unqualified name serves the function's $LATEST (and nothing else: a
	// version or alias that was not declared is Lambda.ResourceNotFoundException,
	// as on AWS), a qualified one serves that qualifier. Each URL is one
	// execution environment, serving one invocation at a time; give several for
	// concurrent invocations of one function.
	Lambdas map[string][]string
	// Functions are functions with published versions and aliases, keyed by
	// their unqualified name or ARN (not also in Lambdas).
	Functions map[string]Function
	// KeepRetryIntervals keeps Retry's real waits; by default retries are immediate.
	KeepRetryIntervals bool
}

// Function is a Lambda function with versions and aliases. Every qualifier
// runs the same code (the URLs); what differs is ExecutedVersion, which is the
// version an alias resolves to, as Lambda's Invoke reports it.
type Function struct {
	URLs []string `json:"urls"`
	// Versions are the published version numbers ("1", "2", ...); every alias's
	// version is published too.
	Versions []string `json:"versions,omitempty"`
	// Aliases map an alias name to its version number (or "$LATEST").
	Aliases map[string]string `json:"aliases,omitempty"`
}

// Fault is an error injected in place of a service call.
type Fault struct {
	Error string `json:"error"`
	Cause string `json:"cause,omitempty"`
}

// Exec are per-execution options.
type Exec struct {
	// StartTime is $$.Execution.StartTime (the definition's "now"); zero means the
	// real time. Truncated to milliseconds and rendered as AWS does: without a
	// fraction when the milliseconds are zero ("2026-03-04T05:06:07Z").
	StartTime time.Time
	// Context is merged into the context object ($$), e.g. {"State": {"EnteredTime": ...}}.
	Context map[string]any
	// InjectLambda and InjectDynamoDB fail the execution's first calls to that
	// service with these errors, in order, instead of calling the emulator (to
	// exercise Retry and Catch on throttling and service errors).
	InjectLambda   []Fault
	InjectDynamoDB []Fault
	// UnprocessedKeys make the execution's first BatchGetItem calls partial,
	// as DynamoDB answers under throttling or an internal failure: each call
	// succeeds, leaving the items with these partition key values ("*": every
	// key) unread in UnprocessedKeys. Such a call counts as a read and as an
	// injected fault.
	UnprocessedKeys [][]string
	// InjectCloudWatch fails the execution's first PutMetricData calls.
	InjectCloudWatch []Fault
}

// Result is one execution's outcome and the calls it made.
type Result struct {
	Status string          `json:"status"` // SUCCEEDED, FAILED, TIMED_OUT, ABORTED
	Output json.RawMessage `json:"output,omitempty"`
	Error  string          `json:"error,omitempty"`
	Cause  string          `json:"cause,omitempty"`
	// Calls that reached an emulator; injected faults are counted apart.
	LambdaInvocations           int            `json:"lambdaInvocations"`
	LambdaInvocationsByFunction map[string]int `json:"lambdaInvocationsByFunction"`
	DynamoReads                 int            `json:"dynamoReads"`
	DynamoWrites                int            `json:"dynamoWrites"`
	InjectedFaults              int            `json:"injectedFaults"`
	// Metrics are the data of the PutMetricData calls (aws-sdk:cloudwatch),
	// which are recorded, not sent.
	Metrics []Metric `json:"metrics"`
	// States entered, in order.
	States []string `json:"states"`
	// Duration is the execution's wall time inside the runner.
	Duration time.Duration `json:"-"`
}

// Metric is one datum of a PutMetricData call.
type Metric struct {
	Namespace  string            `json:"namespace"`
	Name       string            `json:"name"`
	Dimensions map[string]string `json:"dimensions"`
	Value      float64           `json:"value"`
	Unit       string            `json:"unit"`
}

// Succeeded reports whether the execution ended SUCCEEDED.
func (r Result) Succeeded() bool { return r.Status == "SUCCEEDED" }

// String is a one-line summary for test failure messages.
func (r Result) String() string {
	out := string(r.Output)
	if r.Status != "SUCCEEDED" {
		out = r.Error + ": " + r.Cause
	}
	// Payload-quota tests return a quarter of a megabyte.
	if len(out) > 400 {
		out = fmt.Sprintf("%s... (%d bytes)", out[:400], len(out))
	}
	return fmt.Sprintf("%s %s (lambda %d, reads %d, writes %d, injected %d, states %v)",
		r.Status, out, r.LambdaInvocations, r.DynamoReads, r.DynamoWrites, r.InjectedFaults, r.States)
}

// Machine is one definition loaded into a running executor.
type Machine struct {
	// BuildTime is how long the executor took to build (validate and load) the
	// definition.
	BuildTime time.Duration

	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr *testenv.LockedBuffer
	done   chan struct{} // closed when the reader has stopped (the process ended)

	writeMu sync.Mutex
	mu      sync.Mutex
	pending map[int64]chan response
	readErr error
	nextID  atomic.Int64
	stop    sync.Once
}

type response struct {
	ID         int64   `json:"id"`
	DurationMs float64 `json:"durationMs"`
	Result
}

// Paths of the runner and of the npm packages it needs.
func runnerScript() string { return filepath.Join(testenv.RepoRoot(), "dev", "sfn", "run.mjs") }
func emulatorsDir() string { return filepath.Join(testenv.RepoRoot(), "dev", "emulators") }

// Start loads definition into a new executor process, stopped when the test
// ends. It fails the test (not skips it) when Node or the npm packages are
// missing: a skipped integration test is one that never runs in CI.
func Start(t testenv.T, definition string, opts Options) *Machine {
	t.Helper()
	m, err := start(definition, opts)
	if err != nil {
		t.Fatalf("sfnlocal: %v", err)
	}
	t.Cleanup(func() {
		m.Close()
		if t.Failed() {
			if s := m.stderr.String(); s != "" {
				t.Logf("sfn runner stderr:\n%s", s)
			}
		}
	})
	return m
}

// Run executes definition once with input: Start and Machine.Run. Prefer one
// Machine for many executions of one definition.
func Run(t testenv.T, definition string, input any, opts Options, ex Exec) Result {
	t.Helper()
	return Start(t, definition, opts).Run(t, input, ex)
}

func start(definition string, opts Options) (*Machine, error) {
	node, err := lookNode()
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(emulatorsDir(), "node_modules", "aws-local-stepfunctions", "package.json")); err != nil {
		return nil, fmt.Errorf("aws-local-stepfunctions is not installed under %s: run `make deps`", emulatorsDir())
	}
	if !json.Valid([]byte(definition)) {
		return nil, errors.New("the definition is not valid JSON")
	}
	lambdas := map[string]any{}
	for k, v := range opts.Lambdas {
		lambdas[k] = v
	}
	for k, v := range opts.Functions {
		if _, dup := lambdas[k]; dup {
			return nil, fmt.Errorf("function %q is in both Options.Lambdas and Options.Functions", k)
		}
		lambdas[k] = v
	}
	cfg, err := json.Marshal(map[string]any{
		"definition":         json.RawMessage(definition),
		"dynamoEndpoint":     opts.DynamoEndpoint,
		"lambdas":            lambdas,
		"keepRetryIntervals": opts.KeepRetryIntervals,
	})
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "sfnlocal-")
	if err != nil {
		return nil, err
	}
	// The runner reads its config before answering "ready", after which the
	// directory is no longer needed.
	defer os.RemoveAll(dir)
	cfgPath := filepath.Join(dir, "config.json")
	if err := os.WriteFile(cfgPath, cfg, 0o600); err != nil {
		return nil, err
	}

	cmd := exec.Command(node, runnerScript(), "--config", cfgPath)
	cmd.Env = append(os.Environ(), "CB_EMULATORS_DIR="+emulatorsDir())
	// Own process group, so that stopping it cannot leave children behind.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	m := &Machine{cmd: cmd, stdin: stdin, stderr: &testenv.LockedBuffer{}, done: make(chan struct{}), pending: map[int64]chan response{}}
	cmd.Stderr = m.stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", node, err)
	}

	r := bufio.NewReaderSize(stdout, 1<<20)
	line, err := r.ReadBytes('\n')
	var ready struct {
		Ready   bool    `json:"ready"`
		BuildMs float64 `json:"buildMs"`
		Error   string  `json:"error"`
	}
	if err != nil || json.Unmarshal(line, &ready) != nil || !ready.Ready {
		m.kill()
		_ = cmd.Wait()
		if ready.Error != "" {
			return nil, fmt.Errorf("the executor rejected the definition: %s", ready.Error)
		}
		return nil, fmt.Errorf("the executor did not start (%v): %s%s", err, line, m.stderr.String())
	}
	m.BuildTime = time.Duration(ready.BuildMs * float64(time.Millisecond))
	go m.read(r)
	return m, nil
}

func (m *Machine) read(r *bufio.Reader) {
	defer close(m.done)
	for {
		line, err := r.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			var resp response
			if jerr := json.Unmarshal(line, &resp); jerr == nil {
				resp.Duration = time.Duration(resp.DurationMs * float64(time.Millisecond))
				m.mu.Lock()
				ch := m.pending[resp.ID]
				delete(m.pending, resp.ID)
				m.mu.Unlock()
				if ch != nil {
					ch <- resp
				}
			}
		}
		if err != nil {
			m.mu.Lock()
			m.readErr = fmt.Errorf("the executor stopped (%v): %s", m.cmd.Wait(), m.stderr.String())
			for id, ch := range m.pending {
				close(ch)
				delete(m.pending, id)
			}
			m.mu.Unlock()
			return
		}
	}
}

// Run executes the definition with input (any JSON-marshalable value, or a
// json.RawMessage) and fails the test if the executor itself fails. The
// execution's own failure is a Result, not a test failure.
func (m *Machine) Run(t testenv.T, input any, ex Exec) Result {
	t.Helper()
	res, err := m.Execute(context.Background(), input, ex)
	if err != nil {
		t.Fatalf("sfnlocal: %v", err)
	}
	return res
}

// Execute is Run without a testenv.T, safe for concurrent use (from several
// goroutines, or a benchmark's RunParallel).
func (m *Machine) Execute(ctx context.Context, input any, ex Exec) (Result, error) {
	in, err := json.Marshal(input)
	if err != nil {
		return Result{}, fmt.Errorf("marshaling the input: %w", err)
	}
	req := map[string]any{"input": json.RawMessage(in)}
	if !ex.StartTime.IsZero() {
		// The runner renders it like AWS; this only has to be exact to the millisecond.
		req["startTime"] = ex.StartTime.UTC().Format("2006-01-02T15:04:05.000Z")
	}
	if ex.Context != nil {
		req["context"] = ex.Context
	}
	inject := map[string]any{}
	if len(ex.InjectLambda) > 0 {
		inject["lambda"] = ex.InjectLambda
	}
	if len(ex.InjectDynamoDB) > 0 {
		inject["dynamodb"] = ex.InjectDynamoDB
	}
	if len(ex.UnprocessedKeys) > 0 {
		inject["unprocessedKeys"] = ex.UnprocessedKeys
	}
	if len(ex.InjectCloudWatch) > 0 {
		inject["cloudwatch"] = ex.InjectCloudWatch
	}
	if len(inject) > 0 {
		req["inject"] = inject
	}

	id := m.nextID.Add(1)
	req["id"] = id
	line, err := json.Marshal(req)
	if err != nil {
		return Result{}, err
	}
	ch := make(chan response, 1)
	m.mu.Lock()
	if m.readErr != nil {
		m.mu.Unlock()
		return Result{}, m.readErr
	}
	m.pending[id] = ch
	m.mu.Unlock()

	m.writeMu.Lock()
	_, err = m.stdin.Write(append(line, '\n'))
	m.writeMu.Unlock()
	if err != nil {
		m.forget(id)
		return Result{}, fmt.Errorf("sending the execution to the executor: %w", err)
	}
	select {
	case resp, ok := <-ch:
		if !ok {
			m.mu.Lock()
			defer m.mu.Unlock()
			return Result{}, m.readErr
		}
		if resp.Status == "RUNNER_ERROR" {
			return Result{}, fmt.Errorf("the executor failed: %s: %s", resp.Error, resp.Cause)
		}
		return resp.Result, nil
	case <-ctx.Done():
		m.forget(id)
		return Result{}, ctx.Err()
	}
}

func (m *Machine) forget(id int64) {
	m.mu.Lock()
	delete(m.pending, id)
	m.mu.Unlock()
}

// Close stops the executor: it finishes the executions in flight, then exits.
func (m *Machine) Close() {
	m.stop.Do(func() {
		m.stdin.Close()
		select {
		case <-m.done:
		case <-time.After(10 * time.Second):
			// Not an assertion: a last resort so that a stuck executor cannot
			// outlive the test.
			m.kill()
			<-m.done
		}
	})
}

func (m *Machine) kill() {
	if p := m.cmd.Process; p != nil {
		_ = syscall.Kill(-p.Pid, syscall.SIGKILL)
	}
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
	return "", errors.New("node is not on PATH (the local Step Functions executor needs Node.js): run `make deps`")
}
