package component_test

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/component"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/fakes/fakeaws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/dynamodb"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	perrors "github.com/pulumi/pulumi/sdk/v3/go/pulumi/errors"
	"github.com/stretchr/testify/require"
)

// Issue 8 (resource outputs): the component outputs its table, state machine,
// topic and both alarms as the aws resources themselves (their URNs are the
// children's), and a second breaker can take the first one's table.
func TestOutputsAreTheChildrenThemselvesAndATableIsShared(t *testing.T) {
	rec := &recorder{}
	urns := map[string]string{}
	var mu sync.Mutex
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		f, err := newFunctions(ctx)
		if err != nil {
			return err
		}
		first, err := component.NewCircuitBreaker(ctx, "first", baseArgs(f))
		if err != nil {
			return err
		}
		a := baseArgs(f)
		a.ServiceName = "refunds"
		a.Table = first.Table
		second, err := component.NewCircuitBreaker(ctx, "second", a)
		if err != nil {
			return err
		}
		urnOfTable := func(o dynamodb.TableOutput) pulumi.URNOutput {
			return o.ApplyT(func(tb *dynamodb.Table) pulumi.URNOutput { return tb.URN() }).(pulumi.URNOutput)
		}
		for k, u := range map[string]pulumi.URNOutput{
			"table": urnOfTable(first.Table), "stateMachine": first.StateMachine.URN(), "topic": first.Topic.URN(),
			"downstreamAlarm": first.DownstreamAlarm.URN(), "healthcheckAlarm": first.HealthcheckAlarm.URN(),
			"secondTable": urnOfTable(second.Table),
		} {
			u.ApplyT(func(u pulumi.URN) string { mu.Lock(); urns[k] = string(u); mu.Unlock(); return "" })
		}
		return nil
	}, pulumi.WithMocks("project", "stack", rec))
	require.NoError(t, err)

	for k, child := range map[string]string{
		"table": "aws:dynamodb/table:Table::first-table", "stateMachine": "aws:sfn/stateMachine:StateMachine::first-state-machine",
		"topic": "aws:sns/topic:Topic::first-alarms", "downstreamAlarm": "aws:cloudwatch/metricAlarm:MetricAlarm::first-downstream-errors",
		"healthcheckAlarm": "aws:cloudwatch/metricAlarm:MetricAlarm::first-healthcheck-errors",
	} {
		require.Truef(t, strings.HasSuffix(urns[k], child), "output %s is %s, want the child %s", k, urns[k], child)
	}
	require.Equal(t, urns["table"], urns["secondTable"], "a brought table is output as itself")
	require.Len(t, rec.of("aws:dynamodb/table:Table"), 1, "the second breaker creates no table")
	firstTable := rec.one(t, "aws:dynamodb/table:Table", "first-table").State
	p := rolePolicy(t, rec, "second-state-machine")
	require.Equal(t, []string{firstTable["arn"].StringValue()}, p.Statement[0].Resource)
	require.Equal(t, []any{"refunds"}, p.Statement[0].Condition["ForAllValues:StringEquals"]["dynamodb:LeadingKeys"])
	require.Contains(t, rec.one(t, "aws:sfn/stateMachine:StateMachine", "second-state-machine").Inputs["definition"].StringValue(),
		`"`+firstTable["name"].StringValue()+`"`)
}

// aliasedBreaker deploys one breaker whose downstream, healthcheck and
// fallback are qualified by aliases passed as resources; edit adjusts the args.
func aliasedBreaker(t *testing.T, edit func(a *component.Args, aliases map[string]*lambda.Alias, f userFunctions, fallback *lambda.Function), opts ...pulumi.RunOption) (*recorder, error) {
	t.Helper()
	rec := &recorder{}
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		f, err := newFunctions(ctx)
		if err != nil {
			return err
		}
		fallback, err := lambda.NewFunction(ctx, "payments-fallback", &lambda.FunctionArgs{Role: pulumi.String("arn:aws:iam::123456789012:role/app")})
		if err != nil {
			return err
		}
		aliases := map[string]*lambda.Alias{}
		for name, fn := range map[string]*lambda.Function{"live": f.downstream, "probe": f.healthcheck, "cached": fallback} {
			al, err := lambda.NewAlias(ctx, name, &lambda.AliasArgs{Name: pulumi.String(name), FunctionName: fn.Name, FunctionVersion: pulumi.String("1")})
			if err != nil {
				return err
			}
			aliases[name] = al
		}
		a := baseArgs(f)
		a.FallbackFunction = fallback
		a.DownstreamAlias, a.HealthcheckAlias, a.FallbackAlias = aliases["live"], aliases["probe"], aliases["cached"]
		if edit != nil {
			edit(&a, aliases, f, fallback)
		}
		_, err = component.NewCircuitBreaker(ctx, "breaker", a)
		return err
	}, append([]pulumi.RunOption{pulumi.WithMocks("project", "stack", rec)}, opts...)...)
	return rec, err
}

// Issue 8 (qualifiers from resources): each alias's name is the qualifier
// wherever a qualifier string is used, and the children that use it depend
// on the alias.
func TestAliasesAreTheQualifiersEverywhere(t *testing.T) {
	rec, err := aliasedBreaker(t, nil)
	require.NoError(t, err)
	fallbackArn := fakeaws.FunctionArn("payments-fallback-" + shortName("payments-fallback"))

	sm := rec.one(t, "aws:sfn/stateMachine:StateMachine", "-state-machine")
	def := sm.Inputs["definition"].StringValue()
	require.Contains(t, def, downArn+":live")
	require.Contains(t, def, fallbackArn+":cached")
	require.True(t, sm.dependsOn("live"), "the state machine waits for the downstream alias")
	invoke := rolePolicy(t, rec, "state-machine").Statement[1]
	require.True(t, grants(invoke.Resource, downArn+":live"))
	require.True(t, grants(invoke.Resource, fallbackArn+":cached"))

	fn := "payments-" + shortName("payments")
	down := rec.one(t, "aws:cloudwatch/metricAlarm:MetricAlarm", "-downstream-errors")
	require.Equal(t, map[string]any{"FunctionName": fn, "Resource": fn + ":live"}, down.Inputs["dimensions"].Mappable())
	require.True(t, down.dependsOn("live"))
	health := rec.one(t, "aws:cloudwatch/metricAlarm:MetricAlarm", "-healthcheck-errors").Inputs["dimensions"].Mappable().(map[string]any)
	require.Equal(t, "payments-health-"+shortName("payments-health")+":probe", health["Resource"])

	runner := rec.one(t, "aws:lambda/function:Function", "-health-runner").Inputs
	require.Equal(t, healthArn+":probe", runner["environment"].ObjectValue()["variables"].ObjectValue()["HEALTHCHECK_FUNCTION_ARN"].StringValue())
	invoke = policy(t, rec.one(t, "aws:iam/rolePolicy:RolePolicy", "-health-runner-invoke-policy").Inputs["policy"].StringValue()).Statement[0]
	require.Equal(t, []string{healthArn + ":probe"}, invoke.Resource)
}

// inputError is the component's bad input as the engine receives it.
func inputError(t *testing.T, err error) map[string]string {
	t.Helper()
	var ipe *perrors.InputPropertiesError
	require.Truef(t, errors.As(err, &ipe), "not an InputPropertiesError: %v", err)
	props := map[string]string{}
	for _, d := range ipe.Errors {
		props[d.PropertyPath] = d.Reason
	}
	// Inputs that hold resources are in the message, in the engine's own
	// words for a property (component.InputError.As says why).
	for _, line := range strings.Split(ipe.Message, "\n")[1:] {
		field, reason, ok := strings.Cut(strings.TrimPrefix(line, "\t\t- property "), " has a problem: ")
		require.Truef(t, ok, "message line %q", line)
		props[field] = reason
	}
	return props
}

// Issue 8: an alias and the qualifier string of one function are refused
// together, each by its field, before anything is created.
func TestAliasAndQualifierOfOneFunctionAreRefused(t *testing.T) {
	rec, err := aliasedBreaker(t, func(a *component.Args, _ map[string]*lambda.Alias, _ userFunctions, _ *lambda.Function) {
		a.DownstreamQualifier = pulumi.StringRef("live")
		a.HealthcheckQualifier = pulumi.StringRef("7")
		a.FallbackQualifier = pulumi.StringRef("cached")
	})
	props := inputError(t, err)
	for _, f := range []string{"downstream", "healthcheck", "fallback"} {
		require.Contains(t, props[f+"Alias"], "is set together with "+f+"Qualifier; pass one of them", f)
	}
	require.Empty(t, rec.of("aws:sfn/stateMachine:StateMachine"))

	_, err = aliasedBreaker(t, func(a *component.Args, _ map[string]*lambda.Alias, _ userFunctions, _ *lambda.Function) {
		a.FallbackFunction = nil
	})
	require.Contains(t, inputError(t, err)["fallbackAlias"], "is set but fallbackFunction is not")
}

// Issue 8: an alias of another function is refused by its field, at preview
// when the alias's functionName is known and at up otherwise (here: known in
// both, as an alias's functionName input usually is).
func TestAliasOfAnotherFunctionIsRefused(t *testing.T) {
	for _, mode := range []struct {
		name string
		opts []pulumi.RunOption
	}{{"up", nil}, {"preview", []pulumi.RunOption{preview}}} {
		t.Run(mode.name, func(t *testing.T) {
			_, err := aliasedBreaker(t, func(a *component.Args, al map[string]*lambda.Alias, _ userFunctions, _ *lambda.Function) {
				a.DownstreamAlias = al["probe"] // the healthcheck's alias
			}, mode.opts...)
			require.Error(t, err)
			require.Contains(t, err.Error(), `downstreamAlias: alias "probe" belongs to function "payments-health-`)
			require.Contains(t, err.Error(), `not to downstreamFunction "payments-`)
			require.Contains(t, inputError(t, err)["downstreamAlias"], "pass an alias of downstreamFunction")
		})
	}
}

func TestAliasBelongsToAcceptsNameArnAndPartialArn(t *testing.T) {
	arn := "arn:aws:lambda:us-east-1:123456789012:function:payments"
	for _, fn := range []string{"payments", arn, "123456789012:function:payments"} {
		require.NoError(t, component.AliasBelongsTo("downstreamAlias", "downstreamFunction", "live", fn, "payments", arn), fn)
	}
	require.Error(t, component.AliasBelongsTo("downstreamAlias", "downstreamFunction", "live", "orders", "payments", arn))
}

// Issue 8 (bad input reads like Pulumi's own): Resolve's error is, through
// errors.As, a Pulumi InputPropertiesError with one property path per bad
// input (nested ones dotted, as the engine's property paths are), while its
// text stays one "field: reason" line per problem for Go callers.
func TestBadInputIsAnInputPropertiesError(t *testing.T) {
	_, err := component.Resolve(component.Args{
		ServiceName:          "payments",
		HealthcheckSchedule:  pulumi.StringRef("rate(1 minutes)"),
		DownstreamMonitoring: &component.MonitoringArgs{Threshold: pulumi.Float64Ref(0)},
		IgnoreErrors:         []string{"States.Timeout"},
	})
	require.Error(t, err)
	require.Contains(t, err.Error(), "invalid CircuitBreaker inputs:\ndownstreamFunction: is required")
	var ipe *perrors.InputPropertiesError
	require.True(t, errors.As(err, &ipe))
	require.Equal(t, "invalid CircuitBreaker inputs\n\t\t- property downstreamFunction has a problem: is required; pass the aws.lambda.Function the breaker protects\n"+
		"\t\t- property healthcheckFunction has a problem: is required; pass an aws.lambda.Function that fails when the downstream is unhealthy", ipe.Message)
	var paths []string
	for _, d := range ipe.Errors {
		paths = append(paths, d.PropertyPath)
	}
	require.Equal(t, []string{"healthcheckSchedule", "downstreamMonitoring.threshold", "ignoreErrors[0]"}, paths)
}

// Issue 14, item 29: an alias of another function used to be refused only
// after the whole breaker was created (the check was an output of the
// component that nothing waited for). Every child now waits for it
// (graph.gate): at up, where the alias's functionName is known at the latest,
// the refusal creates nothing; at preview it is refused as before when known.
func TestAliasOfAnotherFunctionCreatesNoChild(t *testing.T) {
	rec, err := aliasedBreaker(t, func(a *component.Args, al map[string]*lambda.Alias, _ userFunctions, _ *lambda.Function) {
		a.DownstreamAlias = al["probe"] // the healthcheck's alias
	})
	require.Error(t, err)
	require.Contains(t, inputError(t, err)["downstreamAlias"], "pass an alias of downstreamFunction")
	var children []string
	for _, c := range rec.children {
		if strings.HasSuffix(c.Parent, "::"+component.TypeToken+"::breaker") {
			children = append(children, c.Type+" "+c.Name)
		}
	}
	require.Empty(t, children, "children created before the alias was refused")
}
