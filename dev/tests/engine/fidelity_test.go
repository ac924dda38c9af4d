//go:build engine

package engine

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Fidelity mode (`make fidelity`): with CIRCUITBREAKER_FIDELITY_DIR set, the same engine tests run
// against the real Terraform AWS provider, bridged as pulumi-resource-aws under pulumi-aws v6's
// tokens (dev/tests/fidelity/awsbridge), and moto on 127.0.0.1 (dev/tests/fidelity/moto) instead of the
// stand-in. The directory holds what `make fidelity-deps` built: bin/pulumi-resource-aws (the
// bridge), bin/terraform-provider-aws and its wrapper run/terraform-provider-aws, bin/hook
// (dev/tests/fidelity/hook) and venv/ (moto). Every stack then
// also runs its deployed state machine's closed path in moto, checks that destroy left nothing in
// moto, and checks that every AWS call its previews made is allowed by the read-only preview
// policy docs/limits.md documents.

// fidelityVersion is the pulumi-aws version the bridge serves, the one the schema references.
const fidelityVersion = "6.83.4"

type fidelityEnv struct {
	dir string
}

var fidelity = func() *fidelityEnv {
	d := os.Getenv("CIRCUITBREAKER_FIDELITY_DIR")
	if d == "" {
		return nil
	}
	return &fidelityEnv{dir: d}
}()

func (f *fidelityEnv) path(parts ...string) string {
	return filepath.Join(append([]string{f.dir}, parts...)...)
}

// awsPlugin is the aws plugin binary and version the engine tests install.
func awsPlugin() (bin, version string) {
	if fidelity != nil {
		return fidelity.path("bin", "pulumi-resource-aws"), fidelityVersion
	}
	return path("bin", "standin", "pulumi-resource-aws"), ""
}

// moto is one moto server for one stack, with its call log.
type moto struct {
	endpoint, callLog string
	cmd               *exec.Cmd
}

func startMoto(t *testing.T, dir string) *moto {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	m := &moto{endpoint: fmt.Sprintf("http://127.0.0.1:%d", port), callLog: filepath.Join(dir, "aws-calls.jsonl")}
	logf, err := os.Create(filepath.Join(dir, "moto.log"))
	if err != nil {
		t.Fatal(err)
	}
	m.cmd = exec.Command(fidelity.path("venv", "bin", "python"), path("dev", "tests", "fidelity", "moto", "server.py"), fmt.Sprint(port))
	m.cmd.Env = append(os.Environ(),
		"FIDELITY_CALL_LOG="+m.callLog,
		"FIDELITY_ASL_VALIDATOR="+path("dev", "emulators", "node_modules", "asl-validator", "dist", "bin", "asl-validator.js"),
		"MOTO_IAM_LOAD_MANAGED_POLICIES=true",
	)
	m.cmd.Stdout, m.cmd.Stderr = logf, logf
	m.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := m.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-m.cmd.Process.Pid, syscall.SIGKILL)
		_ = m.cmd.Wait()
		logf.Close()
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		res, err := http.Get(m.endpoint + "/moto-api/data.json")
		if err == nil {
			res.Body.Close()
			return m
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(filepath.Join(dir, "moto.log"))
			t.Fatalf("moto did not start on %s: %v\n%s", m.endpoint, err, b)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// environ is what the CLI, the program and so the bridge and the Terraform provider need to reach
// moto: static credentials, the region, and every AWS endpoint set to moto's (the provider's AWS
// SDK reads AWS_ENDPOINT_URL).
func (m *moto) environ(dir string) []string {
	return []string{
		"AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing", "AWS_REGION=us-east-1",
		"AWS_ENDPOINT_URL=" + m.endpoint,
		"AWS_EC2_METADATA_DISABLED=true",
		"FIDELITY_TF_PROVIDER=" + fidelity.path("run", "terraform-provider-aws"),
		"FIDELITY_ARCHIVE_DIR=" + dir,
		"FIDELITY_CALL_LOG=" + m.callLog,
		"CIRCUITBREAKER_ENGINE_HOOK=" + fidelity.path("bin", "hook"),
	}
}

// call is one line of moto's call log: an AWS call, or a phase marker written by the hook.
type call struct {
	Phase   string `json:"phase"`
	Service string `json:"service"`
	Action  string `json:"action"`
	Status  int    `json:"status"`
}

func (m *moto) calls(t *testing.T) []call {
	t.Helper()
	f, err := os.Open(m.callLog)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []call
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var c call
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatalf("call log: %v: %s", err, sc.Text())
		}
		out = append(out, c)
	}
	return out
}

// checkLogsOffOrder: turning logging off updated the state machines before their log groups and
// log-delivery grants were deleted, in the order moto received the calls.
func checkLogsOffOrder(t *testing.T, m *moto) {
	phase, lastUpdate, firstDelete := "", -1, -1
	for i, c := range m.calls(t) {
		if c.Phase != "" {
			phase = c.Phase
			continue
		}
		if phase != "upLogsOff" || c.Status >= 300 {
			continue
		}
		switch c.Service + ":" + c.Action {
		case "states:UpdateStateMachine":
			lastUpdate = i
		case "logs:DeleteLogGroup", "iam:DeleteRolePolicy":
			if firstDelete < 0 {
				firstDelete = i
			}
		}
	}
	if lastUpdate < 0 || firstDelete < 0 || firstDelete < lastUpdate {
		t.Errorf("logs off: last UpdateStateMachine at call %d, first deletion of a log group or grant at %d; the state machines must stop logging first", lastUpdate, firstDelete)
	}
}

// checkFidelity replaces the stand-in's own checks in fidelity mode; breakers is how many
// state machines the stack deploys.
func checkFidelity(t *testing.T, m *moto, breakers int) {
	t.Run("closed-path", func(t *testing.T) { checkClosedPath(t, m, breakers) })
	t.Run("moto-empty-after-destroy", func(t *testing.T) { checkMotoEmpty(t, m) })
	t.Run("preview-policy", func(t *testing.T) { checkPreviewCalls(t, m) })
}

// checkClosedPath: the hook ran each deployed state machine's closed path in moto (an execution
// that read the circuit from the deployed table, invoked the downstream and returned its result)
// and it succeeded: dev/tests/fidelity/hook marks each success in the call log.
func checkClosedPath(t *testing.T, m *moto, breakers int) {
	succeeded, started := 0, 0
	phase := ""
	for _, c := range m.calls(t) {
		switch {
		case c.Phase == "closedPathSucceeded":
			succeeded++
		case c.Phase != "":
			phase = c.Phase
		case phase == "deployed" && c.Service == "states" && c.Action == "StartExecution":
			started++
		}
	}
	if succeeded != breakers || started != breakers {
		t.Errorf("closed path: %d executions started and %d succeeded in moto, want %d", started, succeeded, breakers)
	}
}

// checkMotoEmpty: destroy deleted every resource the stack made (the user's own functions too),
// as AWS's own list APIs on moto tell (dev/tests/fidelity/moto's inventory).
func checkMotoEmpty(t *testing.T, m *moto) {
	res, err := http.Get(m.endpoint + "/fidelity/inventory")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var left map[string][]string
	if err := json.NewDecoder(res.Body).Decode(&left); err != nil {
		t.Fatalf("moto's inventory (HTTP %d): %v", res.StatusCode, err)
	}
	for kind, names := range left {
		t.Errorf("after destroy moto still holds %s: %s", kind, strings.Join(names, ", "))
	}
}

// checkPreviewCalls: each AWS call made while the stack previewed (fresh, after up, with an input
// changed) is allowed by the preview role's policy in docs/limits.md, the policy users give their
// pull-request checks.
func checkPreviewCalls(t *testing.T, m *moto) {
	allowed := previewPolicyActions(t)
	phase, definitionChanged := "", false
	seen := map[string]bool{}
	for _, c := range m.calls(t) {
		if c.Phase != "" {
			phase = c.Phase
			definitionChanged = definitionChanged || phase == "previewDefinitionChanged"
			continue
		}
		if !strings.HasPrefix(phase, "preview") {
			continue
		}
		action := c.Service + ":" + c.Action
		if c.Action == "" {
			t.Errorf("%s: a %s call moto's log could not name", phase, c.Service)
			continue
		}
		seen[action] = true
		if !allowed[action] && !allowed[c.Service+":*"] {
			t.Errorf("%s called %s, which docs/limits.md's preview policy does not allow", phase, action)
		}
	}
	t.Logf("AWS calls made by the previews: %s", strings.Join(keys(seen), ", "))
	if definitionChanged && !seen["states:ValidateStateMachineDefinition"] {
		t.Error("the preview with a changed definition made no states:ValidateStateMachineDefinition call: the provider's plan-time check did not run")
	}
}

// previewPolicyActions reads the IAM policy JSON block that follows the "preview-policy" marker in
// docs/limits.md: one source for the users' documentation and this test.
func previewPolicyActions(t *testing.T) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(path("docs", "limits.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	i := strings.Index(doc, "<!-- preview-policy -->")
	if i < 0 {
		t.Fatal("docs/limits.md has no <!-- preview-policy --> marker before the preview role's policy")
	}
	rest := doc[i:]
	start := strings.Index(rest, "```json")
	end := strings.Index(rest[start+7:], "```")
	if start < 0 || end < 0 {
		t.Fatal("docs/limits.md: no ```json block after the preview-policy marker")
	}
	var policy struct {
		Statement []struct {
			Effect string
			Action []string
		}
	}
	if err := json.Unmarshal([]byte(rest[start+7:start+7+end]), &policy); err != nil {
		t.Fatalf("docs/limits.md: the preview policy is not JSON: %v", err)
	}
	out := map[string]bool{}
	for _, s := range policy.Statement {
		if s.Effect != "Allow" {
			continue
		}
		for _, a := range s.Action {
			out[a] = true
		}
	}
	return out
}

// fidelityTimeout: the real provider waits for AWS the way it would on AWS (SQS deletion alone
// waits about 145 s), so a stack takes minutes.
func stackTimeout() time.Duration {
	if fidelity != nil {
		return 40 * time.Minute
	}
	return 10 * time.Minute
}
