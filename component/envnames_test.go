package component_test

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	ahconfig "github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/alarmhandler/config"
	ctlconfig "github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/controller/config"
	epconfig "github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/eventpublisher/config"
	hrconfig "github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/healthrunner/config"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/lambdaenv"
	rcconfig "github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/reconciler/config"
)

// envNames is every variable any of our Lambdas is given: the keys of each
// function's Config.Env with every optional part set.
func envNames() []string {
	names := map[string]bool{lambdaenv.FunctionName: true, lambdaenv.Handler: true}
	ah := ahconfig.Config{SlowCallAlarmName: "s"}
	rc := rcconfig.Config{Config: ah, Owner: rcconfig.Owner{ID: "p/s/n", Lease: time.Hour}}
	for _, env := range []map[string]string{ctlconfig.Config{}.Env(), hrconfig.Config{}.Env(), ah.Env(), rc.Env(), epconfig.Config{}.Env()} {
		for k := range env {
			names[k] = true
		}
	}
	out := make([]string, 0, len(names))
	for k := range names {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestNoEnvironmentNameInComponent: the component renders each Lambda's
// environment through the function's Config (functions/*/config), so a
// variable's name is written in one place; a literal here would be a second.
func TestNoEnvironmentNameInComponent(t *testing.T) {
	names := envNames()
	require.Contains(t, names, "TABLE_NAME") // the list is not empty by mistake
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, n := range names {
			if strings.Contains(string(src), `"`+n+`"`) {
				t.Errorf("%s writes the variable name %s: render it with the function's Config.Env", f, n)
			}
		}
	}
}
