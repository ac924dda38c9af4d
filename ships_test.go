// ships_test.go checks what may ever ship: the plugin, the deployed
// Lambdas and the operators' tool must not reach dev/ or any module that is
// only for development. Adding a dependency to shipped code means adding it
// here, on purpose.
package repo_test

import (
	"os/exec"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/pulumi-circuitbreaker/pulumi-circuitbreaker"

// awsSDK is what the Lambdas and circuitctl may use: the AWS SDK for Go v2
// modules they call (DynamoDB, CloudWatch, EventBridge, Lambda, SQS) and its
// credential chain.
var awsSDK = []string{
	module,
	"github.com/aws/aws-sdk-go-v2",
	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream",
	"github.com/aws/aws-sdk-go-v2/config",
	"github.com/aws/aws-sdk-go-v2/credentials",
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds",
	"github.com/aws/aws-sdk-go-v2/internal/configsources",
	"github.com/aws/aws-sdk-go-v2/internal/endpoints/v2",
	"github.com/aws/aws-sdk-go-v2/internal/v4a",
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch",
	"github.com/aws/aws-sdk-go-v2/service/dynamodb",
	"github.com/aws/aws-sdk-go-v2/service/eventbridge",
	"github.com/aws/aws-sdk-go-v2/service/internal/accept-encoding",
	"github.com/aws/aws-sdk-go-v2/service/internal/endpoint-discovery",
	"github.com/aws/aws-sdk-go-v2/service/internal/presigned-url",
	"github.com/aws/aws-sdk-go-v2/service/lambda",
	"github.com/aws/aws-sdk-go-v2/service/signin",
	"github.com/aws/aws-sdk-go-v2/service/sqs",
	"github.com/aws/aws-sdk-go-v2/service/sso",
	"github.com/aws/aws-sdk-go-v2/service/ssooidc",
	"github.com/aws/aws-sdk-go-v2/service/sts",
	"github.com/aws/smithy-go",
}

// circuitctlModules: the operators' tool is awsSDK plus golang.org/x/image,
// whose bitmap font and PNG drawing draw replay's chart (`circuitctl replay --png`).
var circuitctlModules = append([]string{"golang.org/x/image"}, awsSDK...)

// functionModules: the Lambdas are awsSDK plus the Lambda runtime client.
var functionModules = append([]string{"github.com/aws/aws-lambda-go"}, awsSDK...)

// pluginModules is every module the plugin links today (measured with
// `go list -deps -f '{{.Module}}' ./provider/cmd/pulumi-resource-circuitbreaker`):
// the Pulumi SDK, pulumi-go-provider and pulumi-aws's Go SDK, and what they pull in.
var pluginModules = append([]string{
	"github.com/BurntSushi/toml", "github.com/ProtonMail/go-crypto", "github.com/agext/levenshtein",
	"github.com/apparentlymart/go-textseg/v15", "github.com/aymanbagabas/go-osc52/v2",
	"github.com/blang/semver", "github.com/cenkalti/backoff/v5", "github.com/cespare/xxhash/v2",
	"github.com/charmbracelet/bubbles", "github.com/charmbracelet/bubbletea",
	"github.com/charmbracelet/colorprofile", "github.com/charmbracelet/lipgloss",
	"github.com/charmbracelet/x/ansi", "github.com/charmbracelet/x/cellbuf",
	"github.com/charmbracelet/x/term", "github.com/clipperhouse/displaywidth",
	"github.com/clipperhouse/uax29/v2", "github.com/cloudflare/circl", "github.com/deckarep/golang-set/v2",
	"github.com/djherbis/times", "github.com/edsrzf/mmap-go", "github.com/emirpasic/gods",
	"github.com/go-git/gcfg/v2", "github.com/go-git/go-billy/v6", "github.com/go-git/go-git/v6",
	"github.com/go-jose/go-jose/v4", "github.com/go-logr/logr", "github.com/go-logr/stdr",
	"github.com/godbus/dbus/v5", "github.com/gogo/protobuf", "github.com/golang/glog",
	"github.com/google/go-tpm", "github.com/google/uuid", "github.com/grpc-ecosystem/grpc-gateway/v2",
	"github.com/grpc-ecosystem/grpc-opentracing", "github.com/hashicorp/errwrap",
	"github.com/hashicorp/go-multierror", "github.com/hashicorp/go-version", "github.com/hashicorp/hcl/v2",
	"github.com/json-iterator/go", "github.com/kevinburke/ssh_config", "github.com/klauspost/compress",
	"github.com/lucasb-eyer/go-colorful", "github.com/mattn/go-isatty", "github.com/mattn/go-runewidth",
	"github.com/mitchellh/go-wordwrap", "github.com/modern-go/concurrent", "github.com/modern-go/reflect2",
	"github.com/muesli/ansi", "github.com/muesli/cancelreader", "github.com/muesli/termenv",
	"github.com/natefinch/atomic", "github.com/opentracing/basictracer-go",
	"github.com/opentracing/opentracing-go", "github.com/pgavlin/fx", "github.com/pgavlin/goldmark",
	"github.com/pjbgf/sha1cd", "github.com/pkg/errors", "github.com/pkg/term", "github.com/pulumi/appdash",
	"github.com/pulumi/pulumi-aws/sdk/v6", "github.com/pulumi/pulumi-cloud-sdk/go",
	"github.com/pulumi/pulumi-go-provider", "github.com/pulumi/pulumi/pkg/v3", "github.com/pulumi/pulumi/sdk/v3",
	"github.com/rivo/uniseg", "github.com/rogpeppe/go-internal", "github.com/sabhiram/go-gitignore",
	"github.com/santhosh-tekuri/jsonschema/v5", "github.com/segmentio/asm", "github.com/segmentio/encoding",
	"github.com/sergi/go-diff", "github.com/spf13/cobra", "github.com/spf13/pflag",
	"github.com/texttheater/golang-levenshtein", "github.com/uber/jaeger-client-go", "github.com/uber/jaeger-lib",
	"github.com/xo/terminfo", "github.com/zalando/go-keyring", "github.com/zclconf/go-cty",
	"go.mongodb.org/mongo-driver", "go.opentelemetry.io/auto/sdk", "go.opentelemetry.io/collector/featuregate",
	"go.opentelemetry.io/collector/pdata", "go.opentelemetry.io/contrib/bridges/otelslog", "go.opentelemetry.io/otel",
	"go.opentelemetry.io/otel/bridge/opentracing", "go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploggrpc",
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace", "go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc",
	"go.opentelemetry.io/otel/log", "go.opentelemetry.io/otel/metric", "go.opentelemetry.io/otel/sdk",
	"go.opentelemetry.io/otel/sdk/log", "go.opentelemetry.io/otel/trace", "go.opentelemetry.io/proto/otlp",
	"go.uber.org/atomic", "go.uber.org/multierr", "golang.org/x/crypto", "golang.org/x/net", "golang.org/x/sync",
	"golang.org/x/sys", "golang.org/x/term", "golang.org/x/text", "google.golang.org/genproto/googleapis/api",
	"google.golang.org/genproto/googleapis/rpc", "google.golang.org/grpc", "google.golang.org/protobuf",
	"gopkg.in/yaml.v3", "lukechampine.com/frand",
}, functionModules...)

// pulumiPkg is the part of github.com/pulumi/pulumi/pkg/v3 the plugin links
// (through pulumi-go-provider, for the schema types): never the SDK code
// generators (codegen/go, nodejs, python, pcl), which only dev/codegen/sdkgen uses.
var pulumiPkg = []string{
	"github.com/pulumi/pulumi/pkg/v3/codegen/convert",
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema",
	"github.com/pulumi/pulumi/pkg/v3/host",
	"github.com/pulumi/pulumi/pkg/v3/pluginstorage",
	"github.com/pulumi/pulumi/pkg/v3/resource/plugin",
	"github.com/pulumi/pulumi/pkg/v3/util",
	"github.com/pulumi/pulumi/pkg/v3/util/atomicinstall",
	"github.com/pulumi/pulumi/pkg/v3/util/cmdutil",
	"github.com/pulumi/pulumi/pkg/v3/workspace",
}

func TestShippedCodeReachesOnlyWhatShips(t *testing.T) {
	for _, c := range []struct {
		name    string
		pkgs    []string
		modules []string
	}{
		{"plugin", []string{"./provider/cmd/pulumi-resource-circuitbreaker"}, pluginModules},
		{"functions", []string{"./functions/..."}, functionModules},
		{"circuitctl", []string{"./cmd/circuitctl"}, circuitctlModules},
	} {
		t.Run(c.name, func(t *testing.T) {
			deps := goListDeps(t, c.pkgs)
			allowed := set(c.modules)
			allowedPulumiPkg := set(pulumiPkg)
			var bad []string
			for _, d := range deps {
				switch {
				case d.pkg == module+"/dev" || strings.HasPrefix(d.pkg, module+"/dev/"):
					bad = append(bad, d.pkg+" is under dev/, which never ships")
				case d.module == "": // the standard library
				case !allowed[d.module]:
					bad = append(bad, d.pkg+" is in module "+d.module+", not on "+c.name+"'s allow-list (ships_test.go)")
				case d.module == "github.com/pulumi/pulumi/pkg/v3" && !allowedPulumiPkg[d.pkg]:
					bad = append(bad, d.pkg+" is a part of pulumi/pkg/v3 the plugin does not link today (the code generators are dev-only)")
				}
			}
			sort.Strings(bad)
			for _, b := range bad {
				t.Error(b)
			}
		})
	}
}

type dep struct{ pkg, module string }

// goListDeps runs `go list -deps` from the module root (this file's directory).
func goListDeps(t *testing.T, pkgs []string) []dep {
	t.Helper()
	args := append([]string{"list", "-deps", "-f", "{{.ImportPath}} {{with .Module}}{{.Path}}{{end}}"}, pkgs...)
	out, err := exec.Command("go", args...).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list: %v", err)
	}
	var deps []dep
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, mod, _ := strings.Cut(line, " ")
		deps = append(deps, dep{pkg, mod})
	}
	if len(deps) == 0 {
		t.Fatal("go list -deps listed nothing")
	}
	return deps
}

func set(xs []string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}
