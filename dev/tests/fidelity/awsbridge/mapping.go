package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/info"
	shim "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/archive"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
)

// How Terraform names become pulumi-aws v6 names. pulumi-aws (provider/resources.go) puts
// aws_<service>_<rest> in module <service> as <Rest> (aws_cloudwatch_metric_alarm ->
// aws:cloudwatch/metricAlarm:MetricAlarm) for the services below, and the fidelity test checks
// every token and input property this yields against the pulumi-aws v6 Go SDK, so a wrong rule
// fails there rather than silently.

// modules are the services mapped: what the breaker creates and what users pass to it. Every
// resource of these services is mapped, not a hand-picked list, so that a user's stack (aliases,
// versions, tables with streams) runs too.
var modules = map[string]bool{
	"cloudwatch": true, "dynamodb": true, "iam": true, "kms": true, "lambda": true,
	"scheduler": true, "sfn": true, "sns": true, "sqs": true,
}

// dataSourceTokens are the data sources the component and the tests invoke.
var dataSourceTokens = map[string]string{
	"aws_caller_identity": "aws:index/getCallerIdentity:getCallerIdentity",
	"aws_partition":       "aws:index/getPartition:getPartition",
	"aws_region":          "aws:index/getRegion:getRegion",
}

// renames are pulumi-aws's property overrides for the mapped resources (provider/resources.go):
// Terraform attribute -> Pulumi property. The bridge derives every other name (snake_case to
// camelCase, list blocks pluralised).
var renames = map[string]map[string]string{
	"aws_lambda_function":        {"filename": "code"},
	"aws_lambda_permission":      {"function_name": "function"},
	"aws_sns_topic_subscription": {"topic_arn": "topic"},
	"aws_sns_topic_policy":       {},
}

// autoNames are pulumi-aws's auto-named attributes with their own limits (provider/resources.go,
// v6: tfbridge.AutoName with these lengths and "-" as separator): the attribute is filled from the
// resource's logical name as "<name>-<7 random hex>" when the program leaves it unset. Every other
// mapped resource with an input `name` gets pulumi-aws's global default, AutoName("name", 255,
// "-") (its setAutonaming loop). pulumi-aws does not add ".fifo" here for FIFO topics and queues;
// the breaker creates neither.
var autoNames = map[string]struct {
	attr   string
	maxLen int
}{
	"aws_lambda_function":         {"function_name", 64},
	"aws_lambda_permission":       {"statement_id", 100},
	"aws_iam_role":                {"name", 64},
	"aws_cloudwatch_metric_alarm": {"alarm_name", 255},
	"aws_sns_topic":               {"name", 80},
	"aws_sqs_queue":               {"name", 80},
}

// defaultAutoNameLen is pulumi-aws's global auto-name limit for resources without their own.
const defaultAutoNameLen = 255

// propertyName is the Pulumi name of an auto-named attribute: pulumi-aws calls a resource's own
// name "name" (function_name, alarm_name), other attributes keep their camelCase name.
func propertyName(attr string) string {
	switch attr {
	case "function_name", "alarm_name":
		return "name"
	}
	return camel(attr, false)
}

// token is the pulumi-aws token of a Terraform resource, and whether it is mapped.
func token(tf string) (tokens.Type, bool) {
	rest, ok := strings.CutPrefix(tf, "aws_")
	if !ok {
		return "", false
	}
	mod, name, ok := strings.Cut(rest, "_")
	if !ok || !modules[mod] {
		return "", false
	}
	upper := camel(name, true)
	return tokens.Type(fmt.Sprintf("aws:%s/%s:%s", mod, camel(name, false), upper)), true
}

func camel(snake string, upper bool) string {
	var b strings.Builder
	for i, part := range strings.Split(snake, "_") {
		if part == "" {
			continue
		}
		if i == 0 && !upper {
			b.WriteString(part)
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

func resourceInfo(tf string, r shim.Resource) (*info.Resource, bool, error) {
	tok, ok := token(tf)
	if !ok {
		return nil, false, nil
	}
	res := &info.Resource{Tok: tok, Fields: map[string]*info.Schema{}}
	for attr, name := range renames[tf] {
		if _, ok := r.Schema().GetOk(attr); !ok {
			return nil, false, fmt.Errorf("%s has no attribute %q to rename to %q: the provider changed", tf, attr, name)
		}
		res.Fields[attr] = &info.Schema{Name: name}
	}
	if a, ok := autoNames[tf]; ok {
		s, ok := r.Schema().GetOk(a.attr)
		if !ok {
			return nil, false, fmt.Errorf("%s has no attribute %q to auto-name", tf, a.attr)
		}
		res.Fields[a.attr] = autoName(propertyName(a.attr), a.maxLen, s)
	} else if s, ok := r.Schema().GetOk("name"); ok && (s.Optional() || s.Required()) {
		res.Fields["name"] = autoName("name", defaultAutoNameLen, s)
	}
	if tf == "aws_lambda_function" {
		res.PreCheckCallback = lambdaCode
	}
	return res, true, nil
}

// autoName is pulumi-aws's naming ("<logical name>-<7 random hex>", at most maxLen), skipped when
// the program sets namePrefix: the SDKv2 bridge skips defaults for ConflictsWith fields, but the
// protocol schema this bridge sees over gRPC carries no ConflictsWith.
func autoName(property string, maxLen int, _ shim.Schema) *info.Schema {
	a := tfbridge.AutoName(property, maxLen, "-")
	inner := a.Default.ComputeDefault
	a.Default.ComputeDefault = func(ctx context.Context, o info.ComputeDefaultOptions) (interface{}, error) {
		if v, ok := o.Properties["namePrefix"]; ok && !v.IsNull() {
			return nil, nil
		}
		return inner(ctx, o)
	}
	return a
}

// lambdaCode turns pulumi-aws's `code` archive into the zip file Terraform's `filename` wants. The
// bridge translates assets only on its SDKv2 path, not over the plugin protocol; the path is
// content-addressed so that an unchanged archive previews as unchanged.
func lambdaCode(_ context.Context, config, _ resource.PropertyMap) (resource.PropertyMap, error) {
	v, ok := config["code"]
	if !ok || !v.IsArchive() {
		return config, nil
	}
	b, err := v.ArchiveValue().Bytes(archive.ZIPArchive)
	if err != nil {
		return nil, fmt.Errorf("code: %w", err)
	}
	sum := sha256.Sum256(b)
	dir := os.Getenv("FIDELITY_ARCHIVE_DIR")
	if dir == "" {
		dir = os.TempDir()
	}
	p := filepath.Join(dir, "lambda-"+hex.EncodeToString(sum[:])+".zip")
	if _, err := os.Stat(p); err != nil {
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return nil, err
		}
	}
	config = config.Copy()
	config["code"] = resource.NewStringProperty(p)
	return config, nil
}

// mapping is what -mapping prints: per token, the Terraform resource and its Pulumi input
// properties as the bridge names them.
type mapping struct {
	Resources   map[string]mappedResource `json:"resources"`
	DataSources map[string]string         `json:"dataSources"`
}

type mappedResource struct {
	Terraform  string   `json:"terraform"`
	Properties []string `json:"properties"`
	Required   []string `json:"required"`
	AutoNamed  string   `json:"autoNamed,omitempty"`
}

func describe(prov info.Provider) mapping {
	m := mapping{Resources: map[string]mappedResource{}, DataSources: map[string]string{}}
	for tf, r := range prov.Resources {
		mr := mappedResource{Terraform: tf}
		prov.P.ResourcesMap().Get(tf).Schema().Range(func(attr string, s shim.Schema) bool {
			if !s.Optional() && !s.Required() {
				return true // computed only: an output
			}
			name := tfbridge.TerraformToPulumiNameV2(attr, prov.P.ResourcesMap().Get(tf).Schema(), r.Fields)
			mr.Properties = append(mr.Properties, name)
			if s.Required() {
				if f, ok := r.Fields[attr]; !ok || f.Default == nil {
					mr.Required = append(mr.Required, name)
				}
			}
			if f, ok := r.Fields[attr]; ok && f.Default != nil && f.Default.AutoNamed {
				mr.AutoNamed = name
			}
			return true
		})
		sort.Strings(mr.Properties)
		sort.Strings(mr.Required)
		m.Resources[string(r.Tok)] = mr
	}
	for tf, d := range prov.DataSources {
		m.DataSources[string(d.Tok)] = tf
	}
	return m
}
