// Package standinaws is a TEST-ONLY stand-in for the pulumi-aws provider plugin.
//
// The real pulumi-resource-aws cannot be built or downloaded here, yet every
// engine run of a circuit breaker needs an aws plugin: the user's functions and
// the breaker's children are aws resources. This package plays that plugin: a
// gRPC resource provider whose GetSchema declares the few aws types the
// breaker's schema references and the examples create (with pulumi-aws's real
// language settings, so generated SDKs import the real aws SDKs), and whose
// Check/Diff/Create/Read/Update/Delete keep a fake cloud, computing names, IDs
// and ARNs with dev/fakes/fakeaws.
//
// What it checks, like the real provider and derived from it (reference.go,
// check.go, reference/standin.json, docs/sdks.md): unknown inputs,
// wrong types and missing required inputs as the pulumi-aws v6 Go SDK declares
// them; what the Terraform AWS provider's validators refuse (name lengths and
// characters, enumerations, integer ranges), conflicting inputs, and auto-names
// longer than pulumi-aws allows; replacement where Terraform marks an attribute
// ForceNew. It serves getCallerIdentity, getPartition and getRegion for the
// fake account.
//
// Like pulumi-aws, it takes neither resource references nor secrets
// (Configure), so the engine sends a resource passed as an input as its ID;
// IDs are the Terraform provider's (an alias's is its ARN), and every ARN and
// URL is in the provider's Region (aws:region, else AWS_REGION, else
// AWS_DEFAULT_REGION, else us-east-1 where pulumi-aws would refuse to run).
//
// What it does not check: whatever the provider learns from AWS (existence of
// ARNs, IAM, quotas), validators it cannot model (ARNs, JSON documents,
// schedule expressions: listed as "unmodeled" in the reference), the
// provider's CustomizeDiff functions and DiffSuppressFuncs, and defaults the
// provider fills in. Read returns what it stored, so it never reports drift
// unless its state directory is edited.
package standinaws

import "github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/codegen/awsschema"

// Version is the pulumi-aws release this stand-in answers for: by default the
// one the component's schema references and the SDKs depend on. `make
// standin-aws7` links a second copy with -X ...standinaws.Version=7.x, for the
// engine tests' stacks on aws 7 (dev/tests/engine/aws7_test.go): the engine runs a
// default provider per major version a program asks for, and the stand-in
// answers as the version it was installed as.
var Version = embeddedVersion

// embeddedVersion is the version of the schema it serves (dev/codegen/awsschema).
const embeddedVersion = awsschema.Version

// Banner says what this plugin is wherever it shows: GetSchema, logs, errors.
const Banner = "pulumi-resource-aws TEST-ONLY STAND-IN (dev/fakes/standinaws): a fake cloud, nothing is created in AWS"

// schemaJSON is the aws schema sdkgen binds to (dev/codegen/awsschema).
var schemaJSON = awsschema.JSON()

// Schema returns the stand-in's package schema (JSON).
func Schema() []byte { return append([]byte(nil), schemaJSON...) }
