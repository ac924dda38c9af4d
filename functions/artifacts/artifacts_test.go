package artifacts

import (
	"archive/zip"
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestMissingArtifactSaysHowToBuildIt(t *testing.T) {
	_, err := Zip("no-such-lambda")
	if !errors.Is(err, ErrNotBuilt) {
		t.Fatalf("want ErrNotBuilt, got %v", err)
	}
	if !strings.Contains(err.Error(), "make lambdas") || !strings.Contains(err.Error(), "no-such-lambda") {
		t.Fatalf("error does not say what is missing and how to fix it: %v", err)
	}
	for _, bad := range []string{"", "../artifacts", ".keep", "a/b"} {
		if _, err := Zip(bad); err == nil {
			t.Errorf("Zip(%q) accepted a path", bad)
		}
	}
}

// Each embedded artifact (present after `make lambdas`) must be what Lambda's
// provided runtime expects: exactly one executable file named bootstrap.
func TestEmbeddedArtifactsAreBootstrapZips(t *testing.T) {
	for _, name := range Names() {
		b, err := Zip(name)
		if err != nil {
			t.Fatal(err)
		}
		r, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(r.File) != 1 || r.File[0].Name != "bootstrap" {
			t.Fatalf("%s: want exactly one file named bootstrap, got %d files", name, len(r.File))
		}
		if r.File[0].Mode()&0o111 == 0 {
			t.Fatalf("%s: bootstrap is not executable (%v)", name, r.File[0].Mode())
		}
		if _, err := SHA256(name); err != nil {
			t.Fatal(err)
		}
	}
}

// In a test binary a Lambda that was not built is a placeholder: a bootstrap
// zip, the same bytes every time, marked so nothing mistakes it for a build.
// An unknown name still fails.
func TestUnbuiltLambdaIsAMarkedPlaceholderInTests(t *testing.T) {
	for _, name := range Lambdas {
		b, err := Zip(name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(Names()) > 0 {
			continue // `make lambdas` ran: the real zips are embedded
		}
		if !bytes.Equal(b, Placeholder(name)) || !bytes.Equal(Placeholder(name), Placeholder(name)) {
			t.Fatalf("%s: want the same placeholder every time", name)
		}
		r, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
		if err != nil || len(r.File) != 1 || r.File[0].Name != "bootstrap" || r.File[0].Mode()&0o111 == 0 {
			t.Fatalf("%s: placeholder is not one executable bootstrap (%v)", name, err)
		}
		f, _ := r.File[0].Open()
		var body bytes.Buffer
		_, _ = body.ReadFrom(f)
		if !strings.HasPrefix(body.String(), PlaceholderMarker) {
			t.Fatalf("%s: placeholder is not marked: %q", name, body.String())
		}
	}
}
