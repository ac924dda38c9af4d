// Command circuitctl is the operators' tool for pulumi-circuitbreaker's
// circuits: status, list, open, close, release, clear-alarm, clear-hold,
// repair, prune, and replay (what-if on a function's metrics). The logic is in
// circuitctl; `circuitctl --help` and docs/runbook.md say how to
// use it.
package main

import (
	"context"
	"os"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuitctl"
)

// Version is the release's version, stamped by the Makefile with -ldflags -X
// (like the plugin's provider.Version); the default is the Makefile's VERSION,
// which `make check-versions` keeps equal, for a `go install` from source.
var Version = "0.1.0"

func main() {
	os.Exit(circuitctl.Run(context.Background(), os.Args[1:], circuitctl.Env{
		Stdout: os.Stdout, Stderr: os.Stderr, Version: Version,
	}))
}
