package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
)

var (
	buildMu    sync.Mutex
	buildCache = map[string]string{} // package -> built bootstrap, per test binary run
)

// BuildBootstrap builds pkg (an import path, or a path relative to the repository
// root such as "./functions/alarmhandler") as a Lambda custom-runtime bootstrap for
// the HOST platform, because the RIE runs it here and not on Lambda's arm64. The
// flags otherwise match the shipped build (CGO off, lambda.norpc), so the test
// exercises the same runtime code path as production.
//
// The result is cached for the test binary's lifetime, under the repository's
// git-ignored .cache directory: a per-test temporary directory would vanish while
// a later test still uses the cached path. The file is written by rename, so
// packages tested in parallel never see a half-written binary.
func BuildBootstrap(t T, pkg string) (path string) {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if p, ok := buildCache[pkg]; ok {
		return p
	}
	root := RepoRoot()
	dir := filepath.Join(root, ".cache", "testenv", runtime.GOOS+"_"+runtime.GOARCH, tableNameUnsafe.ReplaceAllString(strings.TrimPrefix(pkg, "./"), "_"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("testenv: %v", err)
	}
	tmp := filepath.Join(dir, "bootstrap."+strconv.Itoa(os.Getpid()))
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", tmp, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+runtime.GOOS, "GOARCH="+runtime.GOARCH)
	if out, err := cmd.CombinedOutput(); err != nil {
		os.Remove(tmp)
		t.Fatalf("testenv: building %s: %v\n%s", pkg, err, out)
	}
	final := filepath.Join(dir, "bootstrap")
	if err := os.Rename(tmp, final); err != nil {
		os.Remove(tmp)
		t.Fatalf("testenv: %v", err)
	}
	buildCache[pkg] = final
	return final
}

// rieBinary finds the Lambda Runtime Interface Emulator: $AWS_LAMBDA_RIE, then
// the one `make deps` builds into bin/, then PATH.
func rieBinary() (string, error) {
	if p := os.Getenv("AWS_LAMBDA_RIE"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("AWS_LAMBDA_RIE=%s: %v: %w", p, err, errMissing)
		}
		return p, nil
	}
	p := filepath.Join(RepoRoot(), "bin", "aws-lambda-rie")
	if _, err := os.Stat(p); err == nil {
		return p, nil
	}
	if p, err := exec.LookPath("aws-lambda-rie"); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("aws-lambda-rie is not in %s nor on PATH (or set AWS_LAMBDA_RIE): %w", filepath.Join(RepoRoot(), "bin"), errMissing)
}

// Lambda is one bootstrap running under the RIE.
type Lambda struct {
	// InvokeURL is where to POST an event (the RIE serves only this path),
	// through a front that adds Lambda's function-error signal.
	InvokeURL string
	p         *process
}

// Output is everything the RIE and the function printed so far: the function's
// logs and the RIE's START/END/REPORT lines (REPORT carries "Init Duration" on
// the first invocation, the cold start).
func (l *Lambda) Output() string { return l.p.out.String() }

// RIE runs bootstrap under the Lambda Runtime Interface Emulator and returns the
// URL to invoke it. See StartRIE.
func RIE(t T, bootstrap string, env map[string]string) (invokeURL string) {
	t.Helper()
	return StartRIE(t, bootstrap, env).InvokeURL
}

// StartRIE runs bootstrap under the RIE on 127.0.0.1 and stops it (and the
// bootstrap) when the test ends. If the test failed, the process output is logged.
//
// The RIE forwards its whole environment to the function, so it gets only env,
// PATH and fake AWS credentials and region: never the developer's own AWS
// configuration. Like on Lambda, the bootstrap starts (cold) on the first invoke.
//
// The function's Handler setting is env's _HANDLER (lambdaenv.Handler): the
// RIE reads AWS_LAMBDA_FUNCTION_HANDLER, else _HANDLER, from its own
// environment and hands it to the runtime as _HANDLER
// (aws-lambda-runtime-interface-emulator internal/lambda/rie/handlers.go), as
// Lambda does with the function's Handler. Our bootstraps serve two roles
// each and pick one by it: callers set it as the component would.
//
// InvokeURL is a front for the RIE that answers like Lambda's Invoke API in the
// one way the RIE does not: a function error carries X-Amz-Function-Error
// (see lambdaFront).
func StartRIE(t T, bootstrap string, env map[string]string) *Lambda {
	t.Helper()
	bin, err := rieBinary()
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	abs, err := filepath.Abs(bootstrap)
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	procEnv := rieEnv(env)
	wrapDir := t.TempDir()
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		rieAddr, apiAddr, err := twoFreeAddrs()
		if err != nil {
			t.Fatalf("testenv: %v", err)
		}
		front, frontAPI, err := newLambdaFront(apiAddr, "http://"+rieAddr+"/2015-03-31/functions/function/invocations")
		if err != nil {
			t.Fatalf("testenv: %v", err)
		}
		// The RIE's ports were free when chosen, not held: the kernel may give
		// one of them to the front's own listeners. The RIE would then fail to
		// bind, waitListening would see the front listening there, and the
		// front would forward invocations to itself until it ran out of file
		// descriptors (seen in a cold CI run). Choose again.
		if front.holds(rieAddr) || front.holds(apiAddr) {
			front.close()
			lastErr = fmt.Errorf("the Lambda front took a port chosen for the RIE (%s, %s)", rieAddr, apiAddr)
			continue
		}
		wrapped, err := wrapBootstrap(wrapDir, abs, frontAPI)
		if err != nil {
			front.close()
			t.Fatalf("testenv: %v", err)
		}
		p, err := startProcess("aws-lambda-rie", []string{
			bin,
			// Both addresses always: the defaults listen on every interface.
			"--runtime-interface-emulator-address", rieAddr,
			"--runtime-api-address", apiAddr,
			wrapped,
		}, procEnv, filepath.Dir(abs))
		if err != nil {
			front.close()
			t.Fatalf("testenv: %v", err)
		}
		if err := p.waitListening(rieAddr); err != nil {
			p.kill()
			front.close()
			lastErr = err
			if p.exited() {
				continue
			}
			t.Fatalf("testenv: %v", err)
		}
		t.Cleanup(func() {
			p.kill()
			front.close()
			if t.Failed() {
				t.Logf("aws-lambda-rie output:\n%s", p.out.String())
			}
		})
		return &Lambda{InvokeURL: front.url, p: p}
	}
	t.Fatalf("testenv: %v", lastErr)
	return nil
}

func twoFreeAddrs() (string, string, error) {
	a, err := freePort()
	if err != nil {
		return "", "", err
	}
	for {
		b, err := freePort()
		if err != nil {
			return "", "", err
		}
		if b != a {
			return "127.0.0.1:" + strconv.Itoa(a), "127.0.0.1:" + strconv.Itoa(b), nil
		}
	}
}

func rieEnv(env map[string]string) []string {
	m := map[string]string{
		"PATH":                  os.Getenv("PATH"),
		"AWS_ACCESS_KEY_ID":     FakeAccessKeyID,
		"AWS_SECRET_ACCESS_KEY": FakeSecretAccessKey,
		"AWS_REGION":            FakeRegion,
		"AWS_DEFAULT_REGION":    FakeRegion,
		// Nothing here may reach for instance metadata or a shared profile.
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_CONFIG_FILE":             os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
	}
	if tmp := os.Getenv("TMPDIR"); tmp != "" {
		m["TMPDIR"] = tmp
	}
	for k, v := range env {
		m[k] = v
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]string, 0, len(m))
	for _, k := range keys {
		out = append(out, k+"="+m[k])
	}
	return out
}
