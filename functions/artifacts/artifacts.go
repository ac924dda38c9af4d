// Package artifacts carries our Go Lambdas inside the provider binary, as the
// reproducible linux/arm64 zips that `make lambdas` (go run ./functions/bundle)
// writes into dist/. Embedding them means a provider release always deploys
// the handler code it was tested with, with no download at deploy time.
//
// dist/ holds only .keep in git, so that a fresh clone compiles; the zips are
// git-ignored build outputs, added only on a release tag (docs/releasing.md).
// A provider built without them fails at deploy time with an error saying how
// to fix the build, not with an empty Lambda. Only a test binary gets a
// placeholder instead (Placeholder), so that the unit tests run on a fresh
// clone.
package artifacts

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

//go:embed all:dist
var dist embed.FS

// ErrNotBuilt is returned (wrapped) when a Lambda's zip was not embedded.
var ErrNotBuilt = errors.New("not built into this provider")

// Zip returns the deployment package of the Lambda called name (the directory
// name under lambdas/, e.g. "alarmhandler"): a zip holding one executable
// file, bootstrap, for the provided.al2023 runtime on arm64.
func Zip(name string) ([]byte, error) {
	if name == "" || strings.ContainsAny(name, `/\`) || strings.HasPrefix(name, ".") {
		return nil, fmt.Errorf("lambda artifact name %q is not a plain name", name)
	}
	b, err := dist.ReadFile("dist/" + name + ".zip")
	if errors.Is(err, fs.ErrNotExist) && testing.Testing() && slices.Contains(Lambdas, name) {
		return Placeholder(name), nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("lambda artifact %s is %w: run `make lambdas` before building it", name, ErrNotBuilt)
	}
	if err != nil {
		return nil, fmt.Errorf("lambda artifact %s: %w", name, err)
	}
	if len(b) == 0 {
		return nil, fmt.Errorf("lambda artifact %s is empty (%w): run `make lambdas` before building it", name, ErrNotBuilt)
	}
	return b, nil
}

// SHA256 is the base64 SHA-256 of the zip, the form Lambda reports as
// CodeSha256 (and source_code_hash expects), so that it can be compared with a
// deployed function's code or used as a stable content hash.
func SHA256(name string) (string, error) {
	b, err := Zip(name)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return base64.StdEncoding.EncodeToString(sum[:]), nil
}

// Names lists the Lambdas built into this provider, sorted.
func Names() []string {
	entries, err := dist.ReadDir("dist")
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".zip"); ok && !e.IsDir() {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// Lambdas are the deployed Lambdas' names: the main packages under functions/
// that functions/bundle builds (its tests check the two lists agree).
var Lambdas = []string{"alarmhandler", "controller", "eventpublisher"}

// PlaceholderMarker starts the placeholder's bootstrap, so that anything
// holding a placeholder can tell it from a real build.
const PlaceholderMarker = "#!/bin/sh\n# PLACEHOLDER, NOT A LAMBDA"

// Placeholder is what Zip returns, in a test binary only, for a Lambda whose
// zip was not built: a deterministic bootstrap zip whose executable says it is
// a placeholder and fails. Unit tests need the Lambdas only as archives; a
// plugin is never a test binary, so it still refuses with ErrNotBuilt.
func Placeholder(name string) []byte {
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate, Modified: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)}
	h.SetMode(0o755)
	f, err := w.CreateHeader(h)
	if err == nil {
		_, err = fmt.Fprintf(f, "%s (%s): run `make lambdas` for the real one\necho 'placeholder %s Lambda from a test binary' >&2\nexit 1\n", PlaceholderMarker, name, name)
	}
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		panic(err) // writing to memory does not fail
	}
	return buf.Bytes()
}
