package component

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/functions/artifacts"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// LambdaArchive returns one of our Lambdas, as built into this binary, as a zip
// archive the engine uploads unchanged. A zip file archive is passed through as
// is (Pulumi would re-zip loose files and drop bootstrap's executable bit), and
// the engine compares archives by content hash, so the file's location does not
// cause diffs. Files are content-addressed, so concurrent runs never race.
func LambdaArchive(name string) (pulumi.Archive, error) {
	zip, err := artifacts.Zip(name)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(zip)
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	path := filepath.Join(dir, "pulumi-circuitbreaker", hex.EncodeToString(sum[:8]), name+".zip")
	if existing, err := os.ReadFile(path); err == nil && sha256.Sum256(existing) == sum {
		return pulumi.NewFileArchive(path), nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("writing the %s Lambda package: %w", name, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), name+"-*.zip")
	if err != nil {
		return nil, fmt.Errorf("writing the %s Lambda package: %w", name, err)
	}
	_, werr := tmp.Write(zip)
	cerr := tmp.Close()
	if werr != nil || cerr != nil {
		os.Remove(tmp.Name())
		return nil, fmt.Errorf("writing the %s Lambda package: %v %v", name, werr, cerr)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return nil, fmt.Errorf("writing the %s Lambda package: %w", name, err)
	}
	return pulumi.NewFileArchive(path), nil
}
