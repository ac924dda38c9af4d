// Package testenv starts the local stand-ins for AWS that the tests use: dynalite
// for DynamoDB and the Lambda Runtime Interface Emulator (RIE) for running our
// real bootstrap binaries. There is no AWS account and no Docker here, so these
// are the closest we get to the real services; hand-written mocks would only
// test our own assumptions about them.
//
// Every process binds to 127.0.0.1 only (both emulators listen on all
// interfaces by default) and is started in its own process group, so that
// cleanup kills it together with any children it spawned.
//
// Missing emulators fail the test with "run `make deps`" instead of skipping:
// a silently skipped integration test is a test that never runs in CI.
package testenv

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"sync"
)

var (
	rootOnce sync.Once
	rootDir  string
)

// RepoRoot is the module's root directory (the one holding go.mod), found from
// this source file's location so that it works from any package's test binary.
func RepoRoot() string {
	rootOnce.Do(func() {
		_, file, _, ok := runtime.Caller(0)
		if ok {
			dir := filepath.Dir(file)
			for {
				if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
					rootDir = dir
					return
				}
				parent := filepath.Dir(dir)
				if parent == dir {
					break
				}
				dir = parent
			}
		}
		// -trimpath or a moved binary: fall back to the working directory's module.
		if wd, err := os.Getwd(); err == nil {
			dir := wd
			for {
				if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
					rootDir = dir
					return
				}
				parent := filepath.Dir(dir)
				if parent == dir {
					break
				}
				dir = parent
			}
		}
		panic("testenv: cannot find the repository root (no go.mod above this package)")
	})
	return rootDir
}

// freePort asks the kernel for a free port on 127.0.0.1. There is a small window
// between closing the listener and the emulator binding it; the callers detect
// a lost race (the process exits) and retry with another port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
