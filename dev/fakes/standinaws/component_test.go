package standinaws_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/component"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/fakes/fakeaws"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/fakes/standinaws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/stretchr/testify/require"
)

// checkingMocks passes every resource the program registers through the
// stand-in's Check, as the engine would, and records what it refuses.
type checkingMocks struct {
	p        *standinaws.Provider
	mu       sync.Mutex
	refusals []string
}

func (m *checkingMocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	if !args.Custom {
		return args.Name, args.Inputs, nil
	}
	news, err := plugin.MarshalProperties(args.Inputs, plugin.MarshalOptions{KeepUnknowns: true, KeepResources: true})
	if err != nil {
		return "", nil, err
	}
	resp, err := m.p.Check(context.Background(), &pulumirpc.CheckRequest{
		Urn:  fmt.Sprintf("urn:pulumi:dev::proj::%s::%s", args.TypeToken, args.Name),
		News: news,
	})
	if err != nil {
		m.record(fmt.Sprintf("%s %s: %v", args.TypeToken, args.Name, err))
		return "", nil, err
	}
	for _, f := range resp.Failures {
		m.record(fmt.Sprintf("%s %s: %s", args.TypeToken, args.Name, f.Reason))
	}
	inputs, err := plugin.UnmarshalProperties(resp.Inputs, plugin.MarshalOptions{KeepUnknowns: true, KeepResources: true})
	if err != nil {
		return "", nil, err
	}
	id, state := fakeaws.Create(args.TypeToken, args.Name, inputs)
	return id, state, nil
}

func (m *checkingMocks) record(s string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.refusals = append(m.refusals, s)
}

func (m *checkingMocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	resp, err := m.p.Invoke(context.Background(), &pulumirpc.InvokeRequest{Tok: args.Token})
	if err != nil {
		return nil, err
	}
	return plugin.UnmarshalProperties(resp.Return, plugin.MarshalOptions{})
}

func deployThroughStandIn(t *testing.T, name string) []string {
	t.Helper()
	return deployThroughStandInWith(t, name, nil)
}

// deployThroughStandInWith is deployThroughStandIn with edit applied to the
// breaker's args (nil: the defaults).
func deployThroughStandInWith(t *testing.T, name string, edit func(*component.Args)) []string {
	t.Helper()
	p, err := standinaws.New(nil, "")
	require.NoError(t, err)
	mocks := &checkingMocks{p: p}
	err = pulumi.RunErr(func(ctx *pulumi.Context) error {
		role := pulumi.String("arn:aws:iam::123456789012:role/app")
		code := pulumi.NewAssetArchive(map[string]any{"index.mjs": pulumi.NewStringAsset("export const handler = async () => ({})")})
		down, err := lambda.NewFunction(ctx, "payments", &lambda.FunctionArgs{Role: role, Code: code, Runtime: pulumi.String("nodejs22.x"), Handler: pulumi.String("index.handler")})
		if err != nil {
			return err
		}
		health, err := lambda.NewFunction(ctx, "payments-health", &lambda.FunctionArgs{Role: role, Code: code, Runtime: pulumi.String("nodejs22.x"), Handler: pulumi.String("index.handler")})
		if err != nil {
			return err
		}
		args := component.Args{
			ServiceName:         "payments",
			DownstreamFunction:  down,
			HealthcheckFunction: health,
			Tags:                pulumi.StringMap{"team": pulumi.String("checkout")},
		}
		if edit != nil {
			edit(&args)
		}
		_, err = component.NewCircuitBreaker(ctx, name, args)
		return err
	}, pulumi.WithMocks("proj", "dev", mocks))
	if err != nil && len(mocks.refusals) == 0 {
		require.NoError(t, err)
	}
	return mocks.refusals
}

// Today's component, deployed through the stand-in's Check: nothing it creates
// is refused by what the real provider checks (issue 7, item 17: a refusal
// here is a real finding about the component, not a reason to relax a check).
func TestComponentChildrenPassTheStandInsCheck(t *testing.T) {
	require.Empty(t, deployThroughStandIn(t, "payments"))
}

// Issue 14, item 15: a serviceName may hold '.', '_', ':' and '-' (args.go,
// up to 128 characters), and it flows into AWS fields with rules of their own:
// the fast-fail and probe metric filters' namespace (CloudWatch Logs
// MetricTransformation.metricNamespace, pattern [^:*$]*, which the Terraform
// AWS provider enforces: aws_cloudwatch_log_metric_filter
// metric_transformation.namespace in reference/terraform-aws.json), the
// dashboard, the descriptions of the roles, functions, alarms and schedules
// (each with a length limit in the same dump), the stream filter and the IAM
// conditions. The oddest names the component accepts, with every child that
// carries the name (logLevel ALL: both metric filters; the dashboard; the
// slow-call alarm; events on a brought table: the stream filter), pass the
// stand-in's Check, which refuses what the provider refuses.
func TestOddestServiceNamesPassTheStandInsCheck(t *testing.T) {
	longest := "Z9._:-"
	for len(longest) < 128 {
		longest += "a:b.c_d-"
	}
	longest = longest[:128]
	for _, svc := range []string{"pay.v2:eu", "a:b", "0", longest} {
		t.Run(svc[:min(len(svc), 12)], func(t *testing.T) {
			require.Empty(t, deployThroughStandInWith(t, "payments", func(a *component.Args) {
				a.ServiceName = svc
				a.LogLevel = pulumi.StringRef("ALL")
				a.Dashboard = pulumi.BoolRef(true)
				a.SlowCallMonitoring = &component.SlowCallMonitoringArgs{ThresholdMs: pulumi.Float64Ref(1000)}
				a.CircuitKey = pulumi.StringRef("$.tenant")
			}))
		})
	}
}
