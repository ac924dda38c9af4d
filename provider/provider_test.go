package provider_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/blang/semver"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/internal/fakeaws"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/provider"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/integration"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/stretchr/testify/require"
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
	require.Equal(t, 27, customs, "children of the breaker")
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
	require.Contains(t, err.Error(), `healthcheckSchedule: "rate(1 minutes)": a rate of 1 takes the singular unit; write "rate(1 minute)"`)
	require.Contains(t, err.Error(), "downstreamMonitoring.threshold: is 0, below 1")
	require.Empty(t, e.children)
}
