package standinaws_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/fakes/standinaws"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/provider"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/structpb"
)

const tableURN = "urn:pulumi:dev::proj::circuitbreaker:index:CircuitBreaker$aws:dynamodb/table:Table::payments-table"

func props(t *testing.T, m map[string]any) *structpb.Struct {
	t.Helper()
	s, err := plugin.MarshalProperties(resource.NewPropertyMapFromMap(m), plugin.MarshalOptions{KeepUnknowns: true})
	require.NoError(t, err)
	return s
}

func TestSchemaSaysWhatItIsAndMatchesTheReferencedAWS(t *testing.T) {
	p, err := standinaws.New(nil, "")
	require.NoError(t, err)
	resp, err := p.GetSchema(context.Background(), &pulumirpc.GetSchemaRequest{})
	require.NoError(t, err)
	var s struct {
		Name, Version, Description string
		Resources                  map[string]any
		Language                   map[string]map[string]any
	}
	require.NoError(t, json.Unmarshal([]byte(resp.Schema), &s))
	require.Equal(t, "aws", s.Name)
	// The component's schema references aws@provider.AWSVersion; the stand-in
	// must answer for exactly that version or the engine will not pick it.
	require.Equal(t, provider.AWSVersion, s.Version)
	require.Equal(t, provider.AWSVersion, standinaws.Version)
	require.Contains(t, s.Description, "TEST-ONLY STAND-IN")
	for _, tok := range []string{"aws:lambda/function:Function", "aws:dynamodb/table:Table"} {
		require.Contains(t, s.Resources, tok, "referenced by the component's schema")
	}
	require.Equal(t, "github.com/pulumi/pulumi-aws/sdk/v6/go/aws", s.Language["go"]["importBasePath"])
	require.Equal(t, "@pulumi/aws", s.Language["nodejs"]["packageName"])
	require.Equal(t, "pulumi_aws", s.Language["python"]["packageName"])
}

func TestDiffReportsOnlyWhatChangedAndReplacesOnKeys(t *testing.T) {
	p, err := standinaws.New(nil, "")
	require.NoError(t, err)
	old := map[string]any{"hashKey": "serviceName", "billingMode": "PAY_PER_REQUEST", "tags": map[string]any{"team": "checkout"}}
	diff := func(news map[string]any) *pulumirpc.DiffResponse {
		resp, err := p.Diff(context.Background(), &pulumirpc.DiffRequest{Urn: tableURN, OldInputs: props(t, old), Olds: props(t, old), News: props(t, news)})
		require.NoError(t, err)
		return resp
	}
	require.Equal(t, pulumirpc.DiffResponse_DIFF_NONE, diff(old).Changes)

	upd := diff(map[string]any{"hashKey": "serviceName", "billingMode": "PROVISIONED", "tags": map[string]any{"team": "checkout"}})
	require.Equal(t, pulumirpc.DiffResponse_DIFF_SOME, upd.Changes)
	require.Equal(t, []string{"billingMode"}, upd.Diffs)
	require.Empty(t, upd.Replaces)

	rep := diff(map[string]any{"hashKey": "id", "billingMode": "PAY_PER_REQUEST", "tags": map[string]any{"team": "checkout"}})
	require.Equal(t, []string{"hashKey"}, rep.Replaces)
	require.Equal(t, pulumirpc.PropertyDiff_UPDATE_REPLACE, rep.DetailedDiff["hashKey"].Kind)
}

func TestCreateIsUnknownInPreviewAndStableOtherwise(t *testing.T) {
	dir := t.TempDir()
	p, err := standinaws.New(nil, dir)
	require.NoError(t, err)
	in := props(t, map[string]any{"hashKey": "serviceName"})

	pre, err := p.Create(context.Background(), &pulumirpc.CreateRequest{Urn: tableURN, Properties: in, Preview: true})
	require.NoError(t, err)
	got, err := plugin.UnmarshalProperties(pre.Properties, plugin.MarshalOptions{KeepUnknowns: true})
	require.NoError(t, err)
	require.True(t, got["arn"].IsComputed(), "ARN is unknown until created, as on AWS")

	a, err := p.Create(context.Background(), &pulumirpc.CreateRequest{Urn: tableURN, Properties: in})
	require.NoError(t, err)
	b, err := p.Create(context.Background(), &pulumirpc.CreateRequest{Urn: tableURN, Properties: in})
	require.NoError(t, err)
	require.Equal(t, a.Id, b.Id, "same inputs, same physical name")
	require.True(t, strings.HasPrefix(a.Id, "payments-table-"))
	outs, err := plugin.UnmarshalProperties(a.Properties, plugin.MarshalOptions{})
	require.NoError(t, err)
	require.Equal(t, "arn:aws:dynamodb:us-east-1:123456789012:table/"+a.Id, outs["arn"].StringValue())

	read, err := p.Read(context.Background(), &pulumirpc.ReadRequest{Id: a.Id, Urn: tableURN})
	require.NoError(t, err)
	require.Equal(t, a.Id, read.Id)

	_, err = p.Delete(context.Background(), &pulumirpc.DeleteRequest{Id: a.Id, Urn: tableURN})
	require.NoError(t, err)
	left, err := standinaws.ReadCloud(dir)
	require.NoError(t, err)
	require.Empty(t, left)
	journal, err := standinaws.ReadJournal(dir)
	require.NoError(t, err)
	var ops []string
	for _, j := range journal {
		ops = append(ops, j.Op)
	}
	require.Equal(t, []string{"create", "create", "delete"}, ops, "previews are not journaled")
}

// TestLinkedAsAws7ItAnswersAsAws7: `make standin-aws7` links the stand-in with
// -X standinaws.Version=7.x; GetPluginInfo and GetSchema then say 7.x and the
// rest of the schema is unchanged (dev/tests/engine/aws7_test.go installs it so).
func TestLinkedAsAws7ItAnswersAsAws7(t *testing.T) {
	saved := standinaws.Version
	t.Cleanup(func() { standinaws.Version = saved })
	standinaws.Version = "7.48.0"
	p, err := standinaws.New(nil, "")
	require.NoError(t, err)
	info, err := p.GetPluginInfo(context.Background(), nil)
	require.NoError(t, err)
	require.Equal(t, "7.48.0", info.Version)
	resp, err := p.GetSchema(context.Background(), &pulumirpc.GetSchemaRequest{})
	require.NoError(t, err)
	var got, want map[string]any
	require.NoError(t, json.Unmarshal([]byte(resp.Schema), &got))
	require.NoError(t, json.Unmarshal(standinaws.Schema(), &want))
	require.Equal(t, "7.48.0", got["version"])
	want["version"] = "7.48.0"
	require.Equal(t, want, got)
}
