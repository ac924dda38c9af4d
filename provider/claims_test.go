package provider_test

import (
	"testing"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/fakes/fakeaws"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/integration"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/stretchr/testify/require"
)

// Issue 14, item 21 (a), through the provider: the engine builds each
// breaker of a deployment with a Construct call of its own, all served by one
// plugin process, so two breakers of one program that name one table and one
// serviceName meet in the provider: the second is refused, by its
// serviceName property (an InvalidArgument status, as for any bad input).
func TestConstructRefusesASecondBreakerOnOneItem(t *testing.T) {
	e := &engine{}
	m := e.monitor()
	call := m.CallF
	tableURN := resource.NewURN("stack", "project", "", "aws:dynamodb/table:Table", "circuits")
	m.CallF = func(args integration.MockCallArgs) (property.Map, error) {
		if args.Token == "pulumi:pulumi:getResource" && args.Args.Get("urn").AsString() == string(tableURN) {
			return property.NewMap(map[string]property.Value{
				"urn": property.New(string(tableURN)),
				"id":  property.New("circuits"),
				"state": property.New(map[string]property.Value{
					"name":    property.New("circuits"),
					"arn":     property.New("arn:aws:dynamodb:us-east-1:" + fakeaws.Account + ":table/circuits"),
					"hashKey": property.New("serviceName"),
				}),
			}), nil
		}
		return call(args)
	}
	s := server(t, m)
	breaker := func(name, serviceName string) (p.ConstructResponse, error) {
		return s.Construct(p.ConstructRequest{
			Urn: resource.NewURN("stack", "project", "", token, name),
			Inputs: property.NewMap(map[string]property.Value{
				"serviceName":         property.New(serviceName),
				"downstreamFunction":  functionRef("payments"),
				"healthcheckFunction": functionRef("payments-health"),
				"table":               property.New(property.NewResourceReference(tableURN, property.New("circuits"), "6.83.4")),
			}),
		})
	}
	_, err := breaker("checkout", "payments")
	require.NoError(t, err)
	_, err = breaker("refunds", "refunds")
	require.NoError(t, err, "another serviceName on the same table")
	_, err = breaker("checkout-eu", "payments")
	require.Error(t, err)
	why := propertyErrors(t, err)["serviceName"]
	// Either claim (by resource or by physical name) may resolve first.
	require.Regexp(t, `"payments" is also the serviceName of the CircuitBreaker "checkout" on the same table \((table )?circuits\)`, why)

	// Another plugin process (another deployment) starts with no claims.
	_, err = constructWith(t, m, map[string]property.Value{
		"serviceName":         property.New("payments"),
		"downstreamFunction":  functionRef("payments"),
		"healthcheckFunction": functionRef("payments-health"),
		"table":               property.New(property.NewResourceReference(tableURN, property.New("circuits"), "6.83.4")),
	})
	require.NoError(t, err)
}
