// Command pulumi-resource-aws is TEST-ONLY: the real Terraform AWS provider (the code pulumi-aws
// wraps) behind pulumi-terraform-bridge, served under pulumi-aws v6's type tokens and property
// names, so that `make fidelity` runs the component's stacks through the provider code real users
// run instead of through dev/fakes/standinaws. It talks to the provider binary named by
// FIDELITY_TF_PROVIDER over the Terraform plugin protocol, and the provider talks to whatever AWS
// endpoint its configuration names (moto on 127.0.0.1 in `make fidelity`).
//
// It is not pulumi-aws: pulumi-aws's provider module cannot be built here (its go.mod replaces the
// upstream provider with a local checkout), so this maps the services the breaker and its users'
// stacks touch with pulumi-aws's own naming rules (mapping.go). What differs from pulumi-aws is
// listed in docs/fidelity.md.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"

	"github.com/pulumi/pulumi-terraform-bridge/v3/dynamic/internal/shim/run"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/proto"
	pfbridge "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/info"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfgen"
	shim "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim"
	pschema "github.com/pulumi/pulumi/pkg/v3/codegen/schema"
	rprovider "github.com/pulumi/pulumi/pkg/v3/resource/provider"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/spf13/afero"
)

// version is the pulumi-aws version the component's schema references (aws@v6.83.4), so that the
// engine resolves this plugin for the component's children.
const version = "6.83.4"

func main() {
	ctx := context.Background()
	tf := os.Getenv("FIDELITY_TF_PROVIDER")
	if tf == "" {
		fmt.Fprintln(os.Stderr, "pulumi-resource-aws (fidelity): FIDELITY_TF_PROVIDER must name a terraform-provider-aws binary")
		os.Exit(1)
	}
	p, err := run.LocalProvider(ctx, tf)
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-resource-aws (fidelity): starting %s: %v\n", tf, err)
		os.Exit(1)
	}
	defer p.Close()

	prov, err := providerInfo(ctx, p)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pulumi-resource-aws (fidelity):", err)
		os.Exit(1)
	}
	if len(os.Args) > 1 && os.Args[1] == "-mapping" {
		// For the fidelity tests: the mapping as JSON, checked against the pulumi-aws v6 SDK.
		if err := json.NewEncoder(os.Stdout).Encode(describe(prov)); err != nil {
			os.Exit(1)
		}
		return
	}
	meta := pfbridge.ProviderMetadata{XGetSchema: schemaOf(prov)}
	err = rprovider.Main("aws", func(host *rprovider.HostClient) (pulumirpc.ResourceProviderServer, error) {
		srv, err := pfbridge.NewProviderServer(ctx, host, prov, meta)
		if err != nil {
			return nil, err
		}
		return noResourceReferences{srv}, nil
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "pulumi-resource-aws (fidelity):", err)
		os.Exit(1)
	}
}

// noResourceReferences answers Configure as pulumi-aws does. pulumi-aws muxes its SDKv2 and
// Plugin Framework halves and answers with the AND of both (pulumi-terraform-bridge
// pkg/x/muxer, Configure); the SDKv2 half does not accept resource references (pkg/tfbridge
// Provider.Configure), so the engine sends a referenced resource's ID, as for
// `topic: breaker.alarmTopic` in the README. This bridge serves every resource through the
// Plugin Framework half alone, which says it accepts references and then cannot encode one
// ("Expected a string, got: {{urn:...}}", the first fidelity run of the sharing stacks).
type noResourceReferences struct {
	pulumirpc.ResourceProviderServer
}

func (s noResourceReferences) Configure(ctx context.Context, req *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	resp, err := s.ResourceProviderServer.Configure(ctx, req)
	if resp != nil {
		resp.AcceptResources = false
	}
	return resp, err
}

// providerInfo maps the provider's resources and data sources (mapping.go) and ignores the rest.
func providerInfo(ctx context.Context, p run.Provider) (info.Provider, error) {
	sp := proto.New(ctx, p)
	prov := info.Provider{
		P:            sp,
		Name:         "aws",
		Version:      version,
		Description:  "TEST-ONLY: the Terraform AWS provider behind pulumi-terraform-bridge with pulumi-aws v6 tokens",
		MetadataInfo: &info.Metadata{Path: "", Data: tfbridge.ProviderMetadata(nil)},
		Resources:    map[string]*info.Resource{},
		DataSources:  map[string]*info.DataSource{},
	}
	var mapErr error
	sp.ResourcesMap().Range(func(tf string, r shim.Resource) bool {
		res, ok, err := resourceInfo(tf, r)
		switch {
		case err != nil:
			mapErr = err
			return false
		case ok:
			prov.Resources[tf] = res
		default:
			prov.IgnoreMappings = append(prov.IgnoreMappings, tf)
		}
		return true
	})
	if mapErr != nil {
		return prov, mapErr
	}
	sp.DataSourcesMap().Range(func(tf string, _ shim.Resource) bool {
		if tok, ok := dataSourceTokens[tf]; ok {
			prov.DataSources[tf] = &info.DataSource{Tok: tokens.ModuleMember(tok)}
		} else {
			prov.IgnoreMappings = append(prov.IgnoreMappings, tf)
		}
		return true
	})
	sort.Strings(prov.IgnoreMappings)
	return prov, nil
}

// schemaOf generates the Pulumi schema of the mapped resources on demand (tfgen in memory).
func schemaOf(prov info.Provider) func(context.Context, plugin.GetSchemaRequest) ([]byte, error) {
	return func(ctx context.Context, _ plugin.GetSchemaRequest) ([]byte, error) {
		g, err := tfgen.NewGenerator(tfgen.GeneratorOptions{
			Package: prov.Name, Version: prov.Version, Language: tfgen.Schema, ProviderInfo: prov,
			Root: afero.NewMemMapFs(), Sink: sink{tfbridge.GetLogger(ctx)}, XInMemoryDocs: true, SkipExamples: true,
		})
		if err != nil {
			return nil, err
		}
		s, err := g.Generate()
		if err != nil {
			return nil, err
		}
		// pulumi-aws's schema types Function.code as an archive (its AssetTranslation of
		// Terraform's filename); this bridge maps filename as a string and turns the archive
		// into a file in lambdaCode, so its schema must say Archive too, or the YAML type
		// checker refuses `code: fn::assetArchive` (measured: "Cannot assign type 'archive'
		// to type 'string'").
		if r, ok := s.PackageSpec.Resources["aws:lambda/function:Function"]; ok {
			for _, props := range []map[string]pschema.PropertySpec{r.InputProperties, r.Properties} {
				if p, ok := props["code"]; ok {
					p.TypeSpec = pschema.TypeSpec{Ref: "pulumi.json#/Archive"}
					props["code"] = p
				}
			}
		}
		return json.Marshal(s.PackageSpec)
	}
}

// sink sends tfgen's diagnostics to the bridge's log.
type sink struct{ log tfbridge.Logger }

func (s sink) Logf(_ diag.Severity, d *diag.Diag, args ...interface{}) {
	s.log.Info(fmt.Sprintf(d.Message, args...))
}
func (s sink) Debugf(d *diag.Diag, args ...interface{})   { s.Logf(diag.Debug, d, args...) }
func (s sink) Infof(d *diag.Diag, args ...interface{})    { s.Logf(diag.Info, d, args...) }
func (s sink) Infoerrf(d *diag.Diag, args ...interface{}) { s.Logf(diag.Infoerr, d, args...) }
func (s sink) Errorf(d *diag.Diag, args ...interface{})   { s.Logf(diag.Error, d, args...) }
func (s sink) Warningf(d *diag.Diag, args ...interface{}) { s.Logf(diag.Warning, d, args...) }
func (s sink) Stringify(_ diag.Severity, d *diag.Diag, args ...interface{}) (string, string) {
	return fmt.Sprintf(d.Message, args...), ""
}
