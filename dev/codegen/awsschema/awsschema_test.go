package awsschema_test

import (
	"encoding/json"
	"testing"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/codegen/awsschema"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/provider"
)

// The embedded schema, its Version and the version the breaker's schema
// references must agree, or sdkgen binds to the wrong aws package.
func TestVersionIsTheSchemasAndTheProviders(t *testing.T) {
	var s struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	}
	if err := json.Unmarshal(awsschema.JSON(), &s); err != nil {
		t.Fatal(err)
	}
	if s.Name != "aws" || s.Version != awsschema.Version {
		t.Errorf("schema.json is %s@%s, want aws@%s", s.Name, s.Version, awsschema.Version)
	}
	if provider.AWSVersion != awsschema.Version {
		t.Errorf("provider.AWSVersion is %s, awsschema.Version %s: keep them equal", provider.AWSVersion, awsschema.Version)
	}
}
