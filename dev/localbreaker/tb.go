package localbreaker

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"syscall"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/testenv"
)

// Main runs body outside `go test` (the demo's main) with a testenv.T that
// testenv and sfnlocal accept: they start emulators with t.Cleanup to stop them
// and t.Fatalf to give up, and this TB keeps those promises in a plain program.
// Cleanups run when body returns, fails, or the program is interrupted, so no
// emulator outlives the demo. It returns the exit code.
func Main(name string, body func(tb testenv.T)) int {
	m := &mainTB{name: name, out: os.Stderr}
	done := make(chan struct{})
	go func() {
		defer close(done)
		body(m)
	}()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	select {
	case <-done:
	case s := <-sig:
		// Not a failure: the emulators' output, which cleanups print for a
		// failed run, would only bury the message.
		fmt.Fprintf(m.out, "%s: %v: stopping the emulators\n", name, s)
		m.cleanup()
		return 130
	}
	m.cleanup()
	if m.Failed() {
		return 1
	}
	return 0
}

// mainTB implements the part of testenv.T that testenv, sfnlocal and this
// package call. The embedded interface is nil: it only makes the type satisfy
// testenv.T (whose unexported method forbids other implementations), and a
// call to any method not defined below panics, which would be a bug here.
type mainTB struct {
	testenv.T
	name string
	out  io.Writer

	mu       sync.Mutex
	cleanups []func()
	failed   bool
}

var _ testenv.T = (*mainTB)(nil)

func (m *mainTB) Helper()      {}
func (m *mainTB) Name() string { return m.name }

func (m *mainTB) Cleanup(f func()) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cleanups = append(m.cleanups, f)
}

func (m *mainTB) Failed() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.failed
}

func (m *mainTB) Log(args ...any)                 { fmt.Fprintln(m.out, args...) }
func (m *mainTB) Logf(format string, args ...any) { fmt.Fprintf(m.out, format+"\n", args...) }

func (m *mainTB) Error(args ...any) {
	m.Log(args...)
	m.fail()
}

func (m *mainTB) Errorf(format string, args ...any) {
	m.Logf(format, args...)
	m.fail()
}

// Fatal and Fatalf end the calling goroutine like testing's do; Main then runs
// the cleanups. Only body's goroutine may call them, as with testing.
func (m *mainTB) Fatal(args ...any) {
	m.Error(args...)
	runtime.Goexit()
}

func (m *mainTB) Fatalf(format string, args ...any) {
	m.Errorf(format, args...)
	runtime.Goexit()
}

func (m *mainTB) TempDir() string {
	d, err := os.MkdirTemp("", "localbreaker-")
	if err != nil {
		m.Fatalf("%v", err)
	}
	m.Cleanup(func() { os.RemoveAll(d) })
	return d
}

func (m *mainTB) fail() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.failed = true
}

// cleanup runs the cleanups last-registered first, as testing does.
func (m *mainTB) cleanup() {
	for {
		m.mu.Lock()
		if len(m.cleanups) == 0 {
			m.mu.Unlock()
			return
		}
		f := m.cleanups[len(m.cleanups)-1]
		m.cleanups = m.cleanups[:len(m.cleanups)-1]
		m.mu.Unlock()
		f()
	}
}
