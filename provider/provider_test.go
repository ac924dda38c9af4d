package provider_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/blang/semver"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/fakes/fakeaws"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/provider"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/integration"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil/rpcerror"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
)

const token = "circuitbreaker:index:CircuitBreaker"

func server(t *testing.T, mocks *integration.MockResourceMonitor) integration.Server {
	t.Helper()
	prov, err := provider.New()
	require.NoError(t, err)
	s, err := integration.NewServer(context.Background(), provider.Name, semver.MustParse("0.1.0"),
		integration.WithProvider(prov), integration.WithMocks(mocks))
	require.NoError(t, err)
	return s
}

func TestSchemaDocumentsEveryInputAndOutput(t *testing.T) {
	resp, err := server(t, &integration.MockResourceMonitor{}).GetSchema(p.GetSchemaRequest{})
	require.NoError(t, err)
	var schema struct {
		Name      string
		Resources map[string]struct {
			IsComponent     bool
			Description     string
			InputProperties map[string]map[string]any
			Properties      map[string]map[string]any
			RequiredInputs  []string
		}
		Types map[string]struct {
			Description string
			Properties  map[string]map[string]any
		}
	}
	require.NoError(t, json.Unmarshal([]byte(resp.Schema), &schema))
	require.Equal(t, "circuitbreaker", schema.Name)
	cb, ok := schema.Resources[token]
	require.True(t, ok, "resource %s in schema", token)
	require.True(t, cb.IsComponent)
	require.NotEmpty(t, cb.Description)
	require.ElementsMatch(t, []string{"serviceName", "downstreamFunction", "healthcheckFunction"}, cb.RequiredInputs)
	for name, prop := range cb.InputProperties {
		require.NotEmptyf(t, prop["description"], "input %s has no description", name)
	}
	for name, prop := range cb.Properties {
		require.NotEmptyf(t, prop["description"], "output %s has no description", name)
	}
	for tk, typ := range schema.Types {
		for name, prop := range typ.Properties {
			require.NotEmptyf(t, prop["description"], "%s.%s has no description", tk, name)
		}
	}
	require.Equal(t, "/aws/v6.83.4/schema.json#/resources/aws:lambda/function:Function", cb.InputProperties["downstreamFunction"]["$ref"])
	require.Equal(t, "/aws/v6.83.4/schema.json#/resources/aws:dynamodb/table:Table", cb.InputProperties["table"]["$ref"])
	// Issue 8: the resources themselves, as pulumi-awsx declares its children
	// (pulumi/pulumi-awsx, awsx schema: "loadBalancer": {"$ref":
	// "/aws/vX/schema.json#/resources/aws:lb/loadBalancer:LoadBalancer"}), and
	// the aliases as inputs.
	for out, typ := range map[string]string{
		"table": "dynamodb/table:Table", "stateMachine": "sfn/stateMachine:StateMachine", "topic": "sns/topic:Topic",
		"downstreamAlarm": "cloudwatch/metricAlarm:MetricAlarm", "healthcheckAlarm": "cloudwatch/metricAlarm:MetricAlarm",
	} {
		require.Equal(t, "/aws/v6.83.4/schema.json#/resources/aws:"+typ, cb.Properties[out]["$ref"], out)
	}
	for _, in := range []string{"downstreamAlias", "healthcheckAlias", "fallbackAlias"} {
		require.Equal(t, "/aws/v6.83.4/schema.json#/resources/aws:lambda/alias:Alias", cb.InputProperties[in]["$ref"], in)
	}
	for _, out := range []string{"stateMachineArn", "stateMachineName", "tableName", "tableArn", "topicArn",
		"downstreamAlarmName", "healthcheckAlarmName", "alarmHandlerArn", "scheduleArn"} {
		require.Contains(t, cb.Properties, out)
	}
}

// engine is the mocked engine side of Construct: it answers the rehydration of
// the user's functions (pulumi:pulumi:getResource) and records children, with
// fakeaws computing what AWS would (a hand-written stand-in: no AWS here).
type engine struct {
	mu       sync.Mutex
	children map[string]integration.MockResourceArgs
}

func (e *engine) monitor() *integration.MockResourceMonitor {
	e.children = map[string]integration.MockResourceArgs{}
	return &integration.MockResourceMonitor{
		CallF: func(args integration.MockCallArgs) (property.Map, error) {
			// The component asks the aws provider for the deploying account
			// (pulumi-aws v6 aws.getCallerIdentity: accountId, arn, id, userId).
			if args.Token == "aws:index/getCallerIdentity:getCallerIdentity" {
				return property.NewMap(map[string]property.Value{
					"accountId": property.New(fakeaws.Account),
					"arn":       property.New("arn:aws:iam::" + fakeaws.Account + ":user/deployer"),
					"id":        property.New(fakeaws.Account),
					"userId":    property.New("AIDAEXAMPLE"),
				}), nil
			}
			if args.Token != "pulumi:pulumi:getResource" {
				return property.Map{}, nil
			}
			urn := resource.URN(args.Args.Get("urn").AsString())
			name := urn.Name()
			return property.NewMap(map[string]property.Value{
				"urn": property.New(string(urn)),
				"id":  property.New(name),
				"state": property.New(map[string]property.Value{
					"name": property.New(name),
					"arn":  property.New(fakeaws.FunctionArn(name)),
				}),
			}), nil
		},
		NewResourceF: func(args integration.MockResourceArgs) (string, property.Map, error) {
			e.mu.Lock()
			e.children[args.Name] = args
			e.mu.Unlock()
			id, state := fakeaws.Create(string(args.TypeToken), args.Name, resource.ToResourcePropertyMap(args.Inputs))
			return id, resource.FromResourcePropertyMap(state), nil
		},
	}
}

func functionRef(name string) property.Value {
	urn := resource.NewURN("stack", "project", "", "aws:lambda/function:Function", name)
	return property.New(property.NewResourceReference(urn, property.New(name), "6.83.4"))
}

func construct(t *testing.T, e *engine, inputs map[string]property.Value) (p.ConstructResponse, error) {
	t.Helper()
	return server(t, e.monitor()).Construct(p.ConstructRequest{
		Urn:    resource.NewURN("stack", "project", "", token, "breaker"),
		Inputs: property.NewMap(inputs),
	})
}

func TestConstructBuildsTheBreaker(t *testing.T) {
	e := &engine{}
	resp, err := construct(t, e, map[string]property.Value{
		"serviceName":         property.New("payments"),
		"downstreamFunction":  functionRef("payments"),
		"downstreamQualifier": property.New("live"),
		"healthcheckFunction": functionRef("payments-health"),
		"tags":                property.New(map[string]property.Value{"team": property.New("checkout")}),
	})
	require.NoError(t, err)
	require.Equal(t, resource.URN("urn:pulumi:stack::project::"+token+"::breaker"), resp.Urn)

	outputs := resp.State.AsMap()
	require.Equal(t, "arn:aws:states:us-east-1:123456789012:stateMachine:breaker-state-machine-"+suffix(e, "breaker-state-machine"),
		outputs["stateMachineArn"].AsString())
	for _, k := range []string{"stateMachineName", "tableName", "tableArn", "topicArn", "downstreamAlarmName",
		"healthcheckAlarmName", "alarmHandlerArn", "alarmHandlerName", "scheduleArn"} {
		require.NotEmptyf(t, outputs[k].AsString(), "output %s", k)
	}

	// The user's functions arrived as references and resolved to their ARNs.
	sm := e.children["breaker-state-machine-policy"].Inputs.Get("policy").AsString()
	// Granted at every qualifier (component.FunctionAndVersions).
	require.Contains(t, sm, fakeaws.FunctionArn("payments")+":*")
	def := e.children["breaker-state-machine"].Inputs.Get("definition").AsString()
	require.Contains(t, def, fakeaws.FunctionArn("payments")+":live")
	dims := e.children["breaker-downstream-errors"].Inputs.Get("dimensions").AsMap()
	require.Equal(t, "payments:live", dims.Get("Resource").AsString())
	require.Equal(t, "checkout", e.children["breaker-table"].Inputs.Get("tags").AsMap().Get("team").AsString())
	var customs int
	for name, c := range e.children {
		if c.Custom {
			customs++
			require.Truef(t, strings.HasPrefix(name, "breaker-"), "child %s is not named after its component", name)
		}
	}
	require.Equal(t, 45, customs, "children of the breaker (component/graph_test.go's TestDefaultGraph counts them)")
}

func suffix(e *engine, name string) string {
	_, st := fakeaws.Create(string(e.children[name].TypeToken), name, resource.ToResourcePropertyMap(e.children[name].Inputs))
	return strings.TrimPrefix(st["name"].StringValue(), name+"-")
}

func TestConstructRefusesBadInputAndCreatesNothing(t *testing.T) {
	e := &engine{}
	_, err := construct(t, e, map[string]property.Value{
		"serviceName":         property.New("payments"),
		"downstreamFunction":  functionRef("payments"),
		"healthcheckFunction": functionRef("payments-health"),
		"healthcheckSchedule": property.New("rate(1 minutes)"),
		"downstreamMonitoring": property.New(map[string]property.Value{
			"threshold": property.New(0.0),
		}),
	})
	require.Error(t, err)
	// Issue 8 (bad input reads like Pulumi's own): an InvalidArgument status
	// with one PropertyError per input, which the engine prints against each
	// property (pulumi pkg/resource/deploy/source_eval.go, errorToMessage).
	props := propertyErrors(t, err)
	require.Equal(t, `"rate(1 minutes)": a rate of 1 takes the singular unit; write "rate(1 minute)"`, props["healthcheckSchedule"])
	require.Contains(t, props["downstreamMonitoring.threshold"], "is 0, below 1")
	require.Empty(t, e.children)
}

// propertyErrors reads the gRPC status a Construct failure carries: its code
// must be InvalidArgument and its details one PropertyError per bad input.
func propertyErrors(t *testing.T, err error) map[string]string {
	t.Helper()
	st, ok := rpcerror.FromError(err)
	require.Truef(t, ok, "not a gRPC status: %v", err)
	require.Equal(t, codes.InvalidArgument, st.Code(), err.Error())
	require.True(t, strings.HasPrefix(st.Message(), "invalid CircuitBreaker inputs"), st.Message())
	props := map[string]string{}
	for _, pe := range st.InputPropertiesErrors() {
		props[pe.PropertyPath] = pe.Reason
	}
	// Inputs that hold resources are written into the message as the engine
	// writes a property (component.InputError.As says why).
	for _, line := range strings.Split(st.Message(), "\n")[1:] {
		field, reason, ok := strings.Cut(strings.TrimPrefix(line, "\t\t- property "), " has a problem: ")
		require.Truef(t, ok, "message line %q", line)
		props[field] = reason
	}
	require.NotEmpty(t, props, "no property errors in %v", err)
	return props
}

func aliasRef(name, function string) property.Value {
	urn := resource.NewURN("stack", "project", "", "aws:lambda/alias:Alias", name)
	return property.New(property.NewResourceReference(urn, property.New(name), "6.83.4"))
}

// engineWithAliases answers getResource for aliases too: an alias's state
// (pulumi-aws v6 lambda.Alias: name, functionName, arn) from its URN name,
// "<function>/<alias>".
func engineWithAliases(e *engine) *integration.MockResourceMonitor {
	m := e.monitor()
	call := m.CallF
	m.CallF = func(args integration.MockCallArgs) (property.Map, error) {
		if args.Token == "pulumi:pulumi:getResource" {
			urn := resource.URN(args.Args.Get("urn").AsString())
			if urn.Type() == "aws:lambda/alias:Alias" {
				fn, alias, _ := strings.Cut(urn.Name(), "/")
				return property.NewMap(map[string]property.Value{
					"urn": property.New(string(urn)),
					"id":  property.New(fn + "/" + alias),
					"state": property.New(map[string]property.Value{
						"name":         property.New(alias),
						"functionName": property.New(fn),
						"arn":          property.New(fakeaws.FunctionArn(fn) + ":" + alias),
					}),
				}), nil
			}
		}
		return call(args)
	}
	return m
}

func constructWith(t *testing.T, m *integration.MockResourceMonitor, inputs map[string]property.Value) (p.ConstructResponse, error) {
	t.Helper()
	return server(t, m).Construct(p.ConstructRequest{
		Urn:    resource.NewURN("stack", "project", "", token, "breaker"),
		Inputs: property.NewMap(inputs),
	})
}

// Issue 8 (resource outputs): the breaker's table, state machine, topic and
// alarms come back as references to the aws resources, so that a second
// breaker takes table: first.table; a brought table comes back as itself.
func TestConstructOutputsTheResourcesThemselves(t *testing.T) {
	e := &engine{}
	resp, err := construct(t, e, map[string]property.Value{
		"serviceName":         property.New("payments"),
		"downstreamFunction":  functionRef("payments"),
		"healthcheckFunction": functionRef("payments-health"),
	})
	require.NoError(t, err)
	out := resp.State
	for output, child := range map[string]string{
		"table":            "breaker-table",
		"stateMachine":     "breaker-state-machine",
		"topic":            "breaker-alarms",
		"downstreamAlarm":  "breaker-downstream-errors",
		"healthcheckAlarm": "breaker-healthcheck-errors",
	} {
		v := out.Get(output)
		require.Truef(t, v.IsResourceReference(), "output %s = %v, want a resource reference", output, v)
		ref := v.AsResourceReference()
		require.Equal(t, child, ref.URN.Name(), output)
		require.Equal(t, e.children[child].TypeToken, ref.URN.Type(), output)
	}

	// A second breaker takes the first one's table output.
	e2 := &engine{}
	m := e2.monitor()
	call := m.CallF
	tableRef := out.Get("table").AsResourceReference()
	m.CallF = func(args integration.MockCallArgs) (property.Map, error) {
		if args.Token == "pulumi:pulumi:getResource" && args.Args.Get("urn").AsString() == string(tableRef.URN) {
			return property.NewMap(map[string]property.Value{
				"urn": property.New(string(tableRef.URN)),
				"id":  property.New("breaker-table-abc"),
				"state": property.New(map[string]property.Value{
					"name":    property.New("breaker-table-abc"),
					"arn":     property.New("arn:aws:dynamodb:us-east-1:" + fakeaws.Account + ":table/breaker-table-abc"),
					"hashKey": property.New("serviceName"),
				}),
			}), nil
		}
		return call(args)
	}
	resp2, err := constructWith(t, m, map[string]property.Value{
		"serviceName":         property.New("refunds"),
		"downstreamFunction":  functionRef("payments"),
		"healthcheckFunction": functionRef("payments-health"),
		"table":               property.New(tableRef),
	})
	require.NoError(t, err)
	require.NotContains(t, e2.children, "breaker-table", "a brought table is not created again")
	require.Equal(t, tableRef.URN, resp2.State.Get("table").AsResourceReference().URN, "the brought table is the output")
	require.Equal(t, "breaker-table-abc", resp2.State.Get("tableName").AsString())
	require.Contains(t, e2.children["breaker-state-machine"].Inputs.Get("definition").AsString(), `"breaker-table-abc"`)
}

// Issue 8 (qualifiers from resources): an alias passed as a resource is the
// qualifier everywhere: the invoke ARN, the grant, the alarm dimension and
// the healthcheck's event invoke config.
func TestConstructTakesAliasesAsResources(t *testing.T) {
	e := &engine{}
	_, err := constructWith(t, engineWithAliases(e), map[string]property.Value{
		"serviceName":         property.New("payments"),
		"downstreamFunction":  functionRef("payments"),
		"downstreamAlias":     aliasRef("payments/live", "payments"),
		"healthcheckFunction": functionRef("payments-health"),
		"healthcheckAlias":    aliasRef("payments-health/probe", "payments-health"),
	})
	require.NoError(t, err)
	def := e.children["breaker-state-machine"].Inputs.Get("definition").AsString()
	require.Contains(t, def, fakeaws.FunctionArn("payments")+":live")
	require.Contains(t, e.children["breaker-state-machine-policy"].Inputs.Get("policy").AsString(), fakeaws.FunctionArn("payments")+":*")
	require.Equal(t, "payments:live", e.children["breaker-downstream-errors"].Inputs.Get("dimensions").AsMap().Get("Resource").AsString())
	require.Equal(t, "payments-health:probe", e.children["breaker-healthcheck-errors"].Inputs.Get("dimensions").AsMap().Get("Resource").AsString())
	// The schedule reaches the healthcheck through the runner, which invokes
	// it at the alias.
	require.Equal(t, fakeaws.FunctionArn("payments-health")+":probe",
		e.children["breaker-health-runner"].Inputs.Get("environment").AsMap().Get("variables").AsMap().Get("HEALTHCHECK_FUNCTION_ARN").AsString())
}

// Issue 8: an alias and the qualifier string of the same function are
// refused together, by field, before anything is created; an alias of another
// function is refused once its functionName is known, by field too.
func TestConstructRefusesAmbiguousOrForeignAliases(t *testing.T) {
	e := &engine{}
	_, err := constructWith(t, engineWithAliases(e), map[string]property.Value{
		"serviceName":         property.New("payments"),
		"downstreamFunction":  functionRef("payments"),
		"downstreamAlias":     aliasRef("payments/live", "payments"),
		"downstreamQualifier": property.New("live"),
		"healthcheckFunction": functionRef("payments-health"),
		"fallbackAlias":       aliasRef("payments/cached", "payments"),
	})
	props := propertyErrors(t, err)
	require.Contains(t, props["downstreamAlias"], "is set together with downstreamQualifier; pass one of them")
	require.Contains(t, props["fallbackAlias"], "is set but fallbackFunction is not")
	require.Empty(t, e.children)

	e = &engine{}
	_, err = constructWith(t, engineWithAliases(e), map[string]property.Value{
		"serviceName":         property.New("payments"),
		"downstreamFunction":  functionRef("payments"),
		"downstreamAlias":     aliasRef("orders/live", "orders"),
		"healthcheckFunction": functionRef("payments-health"),
	})
	props = propertyErrors(t, err)
	require.Equal(t, `alias "live" belongs to function "orders", not to downstreamFunction "payments"; pass an alias of downstreamFunction (its functionName), or drop downstreamAlias`,
		props["downstreamAlias"])
}
