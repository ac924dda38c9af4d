// Command bundle builds every Lambda main package under functions/ into a
// deployment zip for the provided.al2023 runtime on arm64:
//
//	go run ./functions/bundle -out functions/artifacts/dist
//
// The zips are embedded into the provider (package artifacts), so they must be
// reproducible: the same sources and Go toolchain give byte-identical zips, and
// therefore the same content hash, so a rebuilt provider never makes Pulumi
// redeploy unchanged Lambdas. That takes -trimpath, no VCS stamp, an empty
// build ID, a fixed file time and mode in the zip, and an environment that
// cannot leak into the build (GOFLAGS and friends are pinned).
package main

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// FixedModTime is every zip entry's modification time: the earliest time a zip
// can store (MS-DOS epoch), so that nothing about the build moment leaks in.
var FixedModTime = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// lambdasPattern is where Lambda main packages live.
const lambdasPattern = "./functions/..."

func main() {
	out := flag.String("out", "functions/artifacts/dist", "directory to write <name>.zip into")
	flag.Parse()
	if err := run(*out, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bundle:", err)
		os.Exit(1)
	}
}

func run(out string, report io.Writer) error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	pkgs, err := lambdaPackages(root)
	if err != nil {
		return err
	}
	if len(pkgs) == 0 {
		return fmt.Errorf("no Lambda main packages under %s", lambdasPattern)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	built := map[string]bool{}
	for _, pkg := range pkgs {
		name := path.Base(pkg)
		bootstrap, err := Build(root, pkg)
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		if err := Zip(&buf, bootstrap); err != nil {
			return fmt.Errorf("zipping %s: %w", name, err)
		}
		file := filepath.Join(out, name+".zip")
		if err := writeAtomic(file, buf.Bytes()); err != nil {
			return err
		}
		built[name+".zip"] = true
		sum := sha256.Sum256(buf.Bytes())
		fmt.Fprintf(report, "%s: sha256 %s (base64 %s), %d bytes (bootstrap %d bytes)\n",
			file, hex.EncodeToString(sum[:]), base64.StdEncoding.EncodeToString(sum[:]), buf.Len(), len(bootstrap))
	}
	// A zip whose Lambda no longer exists would still be embedded and shipped.
	entries, err := os.ReadDir(out)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".zip") && !built[e.Name()] {
			if err := os.Remove(filepath.Join(out, e.Name())); err != nil {
				return err
			}
			fmt.Fprintf(report, "%s: removed (no such Lambda under functions/)\n", filepath.Join(out, e.Name()))
		}
	}
	return nil
}

func moduleRoot() (string, error) {
	b, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(b))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("not inside the module: run from the repository")
	}
	return filepath.Dir(mod), nil
}

// lambdaPackages lists the main packages under functions/ except this command.
func lambdaPackages(root string) ([]string, error) {
	cmd := exec.Command("go", "list", "-f", `{{if eq .Name "main"}}{{.ImportPath}}{{end}}`, lambdasPattern)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list %s: %w\n%s", lambdasPattern, err, stderr.String())
	}
	var pkgs []string
	for _, line := range strings.Fields(string(b)) {
		if path.Base(line) == "bundle" {
			continue
		}
		pkgs = append(pkgs, line)
	}
	sort.Strings(pkgs)
	return pkgs, nil
}

// extraEnv is appended to the build environment; tests use it to build with a
// cold cache.
var extraEnv []string

// buildEnv pins everything that could change the binary's bytes, whatever the
// caller's environment says.
func buildEnv() []string {
	pinned := map[string]string{
		"CGO_ENABLED":  "0",
		"GOOS":         "linux",
		"GOARCH":       "arm64",
		"GOARM64":      "v8.0",
		"GOFLAGS":      "",
		"GOEXPERIMENT": "",
	}
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if _, ok := pinned[k]; !ok {
			env = append(env, kv)
		}
	}
	for k, v := range pinned {
		env = append(env, k+"="+v)
	}
	return append(env, extraEnv...)
}

// Build compiles pkg as a linux/arm64 Lambda bootstrap and returns its bytes.
// lambda.norpc drops aws-lambda-go's legacy net/rpc mode, which the provided
// runtimes never use.
func Build(root, pkg string) ([]byte, error) {
	dir, err := os.MkdirTemp("", "bundle-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "bootstrap")
	cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-tags", "lambda.norpc",
		"-ldflags", "-s -w -buildid=", "-o", bin, pkg)
	cmd.Dir = root
	cmd.Env = buildEnv()
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building %s: %w\n%s", pkg, err, out)
	}
	return os.ReadFile(bin)
}

// Zip writes a deployment package holding one file, bootstrap, executable, with
// a fixed time: the same bootstrap always gives the same bytes.
func Zip(w io.Writer, bootstrap []byte) error {
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.BestCompression)
	})
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate, Modified: FixedModTime}
	h.SetMode(0o755) // Lambda runs bootstrap as is: it must be executable
	f, err := zw.CreateHeader(h)
	if err != nil {
		return err
	}
	if _, err := f.Write(bootstrap); err != nil {
		return err
	}
	return zw.Close()
}

// writeAtomic replaces file by rename, so that a provider build running at the
// same time embeds either the old zip or the new one, never half of one.
func writeAtomic(file string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(file), ".bundle-*")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), file); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return nil
}
