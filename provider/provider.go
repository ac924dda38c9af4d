// Package provider serves the CircuitBreaker component as the Pulumi plugin
// pulumi-resource-circuitbreaker, so that Go, TypeScript and Python programs use
// it through generated SDKs. The schema is inferred from component.Args and
// component.CircuitBreaker: inputs, outputs and their docs are declared once.
package provider

import (
	"context"
	"errors"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/component"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil/rpcerror"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	perrors "github.com/pulumi/pulumi/sdk/v3/go/pulumi/errors"
	"google.golang.org/grpc/status"
)

// Name is the package name: the first segment of every type token.
const Name = "circuitbreaker"

// Version is stamped at build time (-ldflags -X); schema generation passes it
// explicitly so that schema.yaml does not depend on how the tool was built.
var Version = "0.1.0"

// AWSVersion is the pulumi-aws release the schema's resource references (and the
// generated SDKs' dependencies) point at.
const AWSVersion = "6.83.4"

const (
	repository = "https://github.com/pulumi-circuitbreaker/pulumi-circuitbreaker"
	goImport   = "github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/sdk/go/circuitbreaker"
)

// New builds the provider.
func New() (p.Provider, error) {
	prov, err := build()
	if err != nil {
		return prov, err
	}
	construct := prov.Construct
	prov.Construct = func(ctx context.Context, req p.ConstructRequest) (p.ConstructResponse, error) {
		resp, err := construct(ctx, req)
		return resp, inputPropertiesStatus(err)
	}
	return prov, nil
}

// inputPropertiesStatus sends bad input found once the user's resources
// resolve (a brought table's keys, an alias of another function: checks on
// the component's outputs, component.InputError) the way the Go SDK sends bad
// input found before: as a gRPC InvalidArgument status carrying one
// PropertyError per input (rpcerror.WrapDetailedError), so that the engine
// reports each against its property. The SDK's construct wraps an output's
// error in a plain error ("marshaling properties: ..."), which would reach
// the engine as an Unknown status with the properties flattened into text.
func inputPropertiesStatus(err error) error {
	if err == nil {
		return nil
	}
	if _, isStatus := status.FromError(err); isStatus {
		return err // already a status (the SDK wrapped it), or the engine's
	}
	if _, ok := errors.AsType[*perrors.InputPropertiesError](err); ok {
		return rpcerror.WrapDetailedError(err)
	}
	return err
}

func build() (p.Provider, error) {
	return infer.NewProviderBuilder().
		WithDisplayName("Circuit Breaker").
		WithDescription("A serverless circuit breaker around any AWS Lambda function: Step Functions, DynamoDB, CloudWatch alarms, SNS and EventBridge Scheduler, wired with least privilege.").
		WithKeywords("aws", "lambda", "step-functions", "circuit-breaker", "resilience", "kind/component", "category/cloud").
		WithHomepage(repository).
		WithRepository(repository).
		WithPublisher("pulumi-circuitbreaker").
		WithLicense("Apache-2.0").
		WithPluginDownloadURL("github://api.github.com/pulumi-circuitbreaker").
		WithModuleMap(map[tokens.ModuleName]tokens.ModuleName{"component": "index"}).
		WithLanguageMap(map[string]any{
			"go": map[string]any{
				"importBasePath":                 goImport,
				"generateResourceContainerTypes": true,
				"respectSchemaVersion":           true,
				"readme":                         sdkReadme("go"),
			},
			// Setting a language replaces its defaults, so respectSchemaVersion is
			// repeated; the aws dependency matches the referenced schema.
			"nodejs": map[string]any{
				"packageName":          "@pulumi-circuitbreaker/circuitbreaker",
				"dependencies":         map[string]string{"@pulumi/aws": "^" + AWSVersion},
				"respectSchemaVersion": true,
				"readme":               sdkReadme("nodejs"),
			},
			// pulumi-aws 7 is allowed too: a stack on aws 7 passes its
			// resources to the breaker as references ({urn, id}, no version),
			// which the plugin rehydrates as sdk/v6 objects from the engine's
			// state (dev/tests/engine/aws7_test.go); with <7.0.0 pip refuses the SDK
			// beside pulumi-aws 7. npm needs no such range: it nests the SDK's
			// own @pulumi/aws 6 under it, which is what types its outputs.
			"python": map[string]any{
				"packageName":          "pulumi_circuitbreaker",
				"requires":             map[string]string{"pulumi": ">=3.0.0,<4.0.0", "pulumi-aws": ">=" + AWSVersion + ",<8.0.0"},
				"pyproject":            map[string]any{"enabled": true},
				"respectSchemaVersion": true,
				"readme":               sdkReadme("python"),
			},
		}).
		WithComponents(infer.ComponentF(newCircuitBreaker(component.NewClaimScope()))).
		Build()
}

// newCircuitBreaker builds each breaker in claims: the engine constructs every
// breaker of a deployment in a Construct call of its own (a Context of its
// own), all served by this one process, so that two breakers of one program
// with one serviceName on one table meet here (component/claims.go).
func newCircuitBreaker(claims *component.ClaimScope) func(*pulumi.Context, string, component.Args, ...pulumi.ResourceOption) (*component.CircuitBreaker, error) {
	return func(ctx *pulumi.Context, name string, args component.Args, opts ...pulumi.ResourceOption) (*component.CircuitBreaker, error) {
		return component.NewCircuitBreaker(component.WithClaimScope(ctx, claims), name, args, opts...)
	}
}
