package provider_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/integration"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/urn"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// docs/sdks.md, "Inputs that must be known when the breaker is built", holds:
// its list is the schema's plain inputs; each of them, each field of the
// object inputs and each element of ignoreErrors, given as another
// resource's output (a value with a dependency, as the engine sends it at
// `pulumi up`), is refused naming the input; tags take outputs; and at
// preview an unknown plain input is read as absent (the default).
func TestInputsThatMustBeKnownAreDocumented(t *testing.T) {
	resp, err := server(t, &integration.MockResourceMonitor{}).GetSchema(p.GetSchemaRequest{})
	require.NoError(t, err)
	var schema struct {
		Resources map[string]struct {
			InputProperties map[string]map[string]any
		}
		Types map[string]struct {
			Properties map[string]any
		}
	}
	require.NoError(t, json.Unmarshal([]byte(resp.Schema), &schema))
	var plain []string
	objects := map[string][]string{}
	for name, prop := range schema.Resources[token].InputProperties {
		if prop["plain"] == true {
			plain = append(plain, name)
		}
		if ref, ok := prop["$ref"].(string); ok && strings.HasPrefix(ref, "#/types/") {
			for field := range schema.Types[strings.TrimPrefix(ref, "#/types/")].Properties {
				objects[name] = append(objects[name], field)
			}
		}
	}
	sort.Strings(plain)
	require.NotEmpty(t, plain)
	require.ElementsMatch(t, []string{"downstreamMonitoring", "healthcheckMonitoring", "slowCallMonitoring", "downstreamRetry", "events"}, keys(objects))

	doc, err := os.ReadFile(filepath.Join("..", "docs", "sdks.md"))
	require.NoError(t, err)
	m := regexp.MustCompile(`(?s)<!-- plain-inputs:[^>]*-->(.*?)<!-- /plain-inputs -->`).FindSubmatch(doc)
	require.NotNil(t, m, "docs/sdks.md has no plain-inputs list")
	var listed []string
	for _, w := range regexp.MustCompile("`([A-Za-z]+)`").FindAllSubmatch(m[1], -1) {
		listed = append(listed, string(w[1]))
	}
	assert.Equal(t, plain, listed, "docs/sdks.md's list of plain inputs")

	dep := []urn.URN{resource.NewURN("stack", "project", "", "random:index/randomInteger:RandomInteger", "n")}
	base := func() map[string]property.Value {
		return map[string]property.Value{
			"serviceName":         property.New("payments"),
			"downstreamFunction":  functionRef("payments"),
			"healthcheckFunction": functionRef("payments-health"),
		}
	}
	refused := func(name string, in map[string]property.Value) {
		t.Helper()
		_, err := construct(t, &engine{}, in)
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), `copying input "`+name+`": expected destination type to implement pulumi.Input or pulumi.Output`)
	}
	for _, name := range plain {
		in := base()
		in[name] = property.New("x").WithDependencies(dep)
		refused(name, in)
	}
	for name, fields := range objects {
		for _, field := range fields {
			in := base()
			in[name] = property.New(map[string]property.Value{field: property.New(1.0).WithDependencies(dep)})
			refused(name, in)
		}
	}
	in := base()
	in["ignoreErrors"] = property.New([]property.Value{property.New("Boom").WithDependencies(dep)})
	refused("ignoreErrors", in)

	in = base()
	in["tags"] = property.New(map[string]property.Value{"team": property.New("checkout")}).WithDependencies(dep)
	_, err = construct(t, &engine{}, in)
	assert.NoError(t, err, "tags take outputs")

	// The preview pitfall: unknown, a plain input reads as absent.
	defaultDef := func(in map[string]property.Value) string {
		e := &engine{}
		_, err := construct(t, e, in)
		require.NoError(t, err)
		return e.children["breaker-state-machine"].Inputs.Get("definition").AsString()
	}
	in = base()
	in["failureThreshold"] = property.New(property.Computed)
	assert.Equal(t, defaultDef(base()), defaultDef(in), "an unknown failureThreshold is previewed as the default")
}

// docs/sdks.md's table of the stand-in's types lists every aws type the
// component creates (every New<Type> call in component/), and only types the
// stand-in plays (dev/fakes/standinaws/reference/standin.json).
func TestStandInTypesAreDocumented(t *testing.T) {
	created := map[string]bool{}
	files, err := filepath.Glob(filepath.Join("..", "component", "*.go"))
	require.NoError(t, err)
	call := regexp.MustCompile(`\b(lambda|iam|dynamodb|cloudwatch|sns|sfn|scheduler|sqs|kms|events|cloudwatchlogs)\.New([A-Z][A-Za-z]+)\(`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, m := range call.FindAllStringSubmatch(string(src), -1) {
			created[m[1]+" "+m[2]] = true
		}
	}
	require.Contains(t, created, "lambda Function", "the scan found the component's children")

	doc, err := os.ReadFile(filepath.Join("..", "docs", "sdks.md"))
	require.NoError(t, err)
	documented := map[string]bool{}
	for _, row := range regexp.MustCompile("(?m)^\\| `([a-z]+)` \\| (.*) \\|$").FindAllStringSubmatch(string(doc), -1) {
		for _, typ := range regexp.MustCompile("`([A-Z][A-Za-z]+)`").FindAllStringSubmatch(row[2], -1) {
			documented[row[1]+" "+typ[1]] = true
		}
	}
	for typ := range created {
		assert.True(t, documented[typ], "docs/sdks.md's stand-in table omits %s, which the component creates", typ)
	}

	standin, err := os.ReadFile(filepath.Join("..", "dev", "fakes", "standinaws", "reference", "standin.json"))
	require.NoError(t, err)
	for typ := range documented {
		mod, name, _ := strings.Cut(typ, " ")
		tok := "aws:" + mod + "/" + strings.ToLower(name[:1]) + name[1:] + ":" + name
		assert.Contains(t, string(standin), `"`+tok+`"`, "docs/sdks.md lists %s, which the stand-in does not play", tok)
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// docs/monitoring.md, "The dashboard": with dashboard: true the dashboard is
// named after the alarm topic, `<topic name>-dashboard`, and the topic's name
// is the last field of the topicArn output, which is how an operator finds
// it.
func TestDashboardNameIsAsDocumented(t *testing.T) {
	e := &engine{}
	resp, err := construct(t, e, map[string]property.Value{
		"serviceName":         property.New("payments"),
		"downstreamFunction":  functionRef("payments"),
		"healthcheckFunction": functionRef("payments-health"),
		"dashboard":           property.New(true),
	})
	require.NoError(t, err)
	arn := resp.State.Get("topicArn").AsString()
	topicName := arn[strings.LastIndex(arn, ":")+1:]
	require.NotEmpty(t, topicName)
	dash, ok := e.children["breaker-dashboard"]
	require.True(t, ok, "a dashboard child")
	assert.Equal(t, topicName+"-dashboard", dash.Inputs.Get("dashboardName").AsString())

	doc, err := os.ReadFile(filepath.Join("..", "docs", "monitoring.md"))
	require.NoError(t, err)
	assert.Contains(t, string(doc), "`<topic name>-dashboard`")
	assert.Contains(t, string(doc), `"${TOPIC##*:}-dashboard"`)
}
