// Package awsschema is the part of pulumi-aws's package schema that the
// breaker's schema references (the aws types of its inputs and outputs), with
// pulumi-aws's real language settings. dev/codegen/sdkgen binds schema.yaml's
// references to it, so the generated SDKs import @pulumi/aws, pulumi_aws and
// github.com/pulumi/pulumi-aws/sdk/v6; the test stand-in
// (dev/fakes/standinaws) serves it as its GetSchema, which is why its
// description names the stand-in. It lives apart from the
// stand-in so that the SDK generator depends on no test code.
package awsschema

import _ "embed"

// Version is schema.json's version: the pulumi-aws release the breaker's
// schema references (provider.AWSVersion, checked by dev/fakes/standinaws's tests).
const Version = "6.83.4"

//go:embed schema.json
var schemaJSON []byte

// JSON returns a copy of the schema (JSON).
func JSON() []byte { return append([]byte(nil), schemaJSON...) }
