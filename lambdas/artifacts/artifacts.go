// Package artifacts carries our Lambdas' deployment packages inside the provider
// binary, so that deploying a breaker needs no Go toolchain. `make lambdas`
// writes the zips into dist/ before the provider is built; a fresh clone still
// compiles (dist/ holds a placeholder) and says what to run when a zip is missing.
package artifacts

import (
	"embed"
	"fmt"
)

//go:embed all:dist
var dist embed.FS

// Zip returns the deployment package of the named Lambda (e.g. "alarmhandler").
func Zip(name string) ([]byte, error) {
	b, err := dist.ReadFile("dist/" + name + ".zip")
	if err != nil {
		return nil, fmt.Errorf("lambda artifact %s is not built into this provider: run `make lambdas` before building it", name)
	}
	return b, nil
}
