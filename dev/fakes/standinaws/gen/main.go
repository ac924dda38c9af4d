// Command gen writes dev/fakes/standinaws/reference/standin.json, the reference
// the TEST-ONLY stand-in aws plugin checks inputs against (`make standin-schema`;
// `make check-standin-schema` fails when the committed file is stale).
//
// It joins two references we did not write:
//
//   - the real pulumi-aws v6 Go SDK (the version in go.mod): for each resource,
//     XxxArgs{}.ElementType() is the SDK's plain args struct, whose fields carry
//     the `pulumi:"name"` tags and Go types of every input (nested types
//     likewise); required inputs are those NewXxx refuses with "invalid value
//     for required argument" (read from the SDK's source, and cross-checked with
//     the non-pointer fields of the plain struct);
//   - the Terraform AWS provider's schemas and probed validators
//     (reference/terraform-aws.json, written by dev/tools/tfawsschema): ForceNew,
//     sets, conflicts, computed-only attributes and what the validators accept.
//
// Terraform attribute names become Pulumi names by the bridge's rule (camelCase,
// plural for lists and sets that are not MaxItems 1) with the overrides
// pulumi-aws declares in provider/resources.go (listed below, with the
// auto-name lengths it declares). Every mapped name must be an SDK field and
// every SDK field must be matched, or the generator fails: nothing is trusted
// because it was typed here.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/dynamodb"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/scheduler"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sfn"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sqs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/fakes/standinaws"
)

// elementTyper is what every SDK XxxArgs and XxxState implements.
type elementTyper interface{ ElementType() reflect.Type }

// autoName is pulumi-aws's auto-naming of one property: tfbridge.AutoName(prop,
// max, "-") in provider/resources.go, or, for resources it does not list, the
// AutoName("name", 255, "-") its setAutonaming gives every resource with an
// optional or required `name` (same file). Random part: 7 characters.
type autoName struct {
	tf        string // the Terraform attribute
	maxLength int
}

// resource is one type the component, the examples or a user's stack passes
// through the stand-in, and what pulumi-aws provider/resources.go declares for
// it (github.com/pulumi/pulumi-aws, provider/resources.go: the Resources map,
// setAutonaming).
type resource struct {
	token               string
	tf                  string
	args, state         elementTyper
	autoName            *autoName
	renames             map[string]string // Terraform attribute -> Pulumi name, from resources.go
	deleteBeforeReplace bool
}

var resources = []resource{
	{token: "aws:cloudwatch/dashboard:Dashboard", tf: "aws_cloudwatch_dashboard", args: cloudwatch.DashboardArgs{}, state: cloudwatch.DashboardState{}},
	{token: "aws:cloudwatch/logGroup:LogGroup", tf: "aws_cloudwatch_log_group", args: cloudwatch.LogGroupArgs{}, state: cloudwatch.LogGroupState{},
		autoName: &autoName{"name", 255}},
	{token: "aws:cloudwatch/logMetricFilter:LogMetricFilter", tf: "aws_cloudwatch_log_metric_filter", args: cloudwatch.LogMetricFilterArgs{}, state: cloudwatch.LogMetricFilterState{},
		autoName: &autoName{"name", 255}},
	{token: "aws:cloudwatch/metricAlarm:MetricAlarm", tf: "aws_cloudwatch_metric_alarm", args: cloudwatch.MetricAlarmArgs{}, state: cloudwatch.MetricAlarmState{},
		autoName: &autoName{"alarm_name", 255}, renames: map[string]string{"alarm_name": "name"}},
	{token: "aws:dynamodb/table:Table", tf: "aws_dynamodb_table", args: dynamodb.TableArgs{}, state: dynamodb.TableState{},
		autoName: &autoName{"name", 255},
		renames:  map[string]string{"global_secondary_index": "globalSecondaryIndexes", "local_secondary_index": "localSecondaryIndexes"}},
	{token: "aws:iam/role:Role", tf: "aws_iam_role", args: iam.RoleArgs{}, state: iam.RoleState{},
		autoName: &autoName{"name", 64}},
	{token: "aws:iam/rolePolicy:RolePolicy", tf: "aws_iam_role_policy", args: iam.RolePolicyArgs{}, state: iam.RolePolicyState{},
		autoName: &autoName{"name", 255}},
	{token: "aws:iam/rolePolicyAttachment:RolePolicyAttachment", tf: "aws_iam_role_policy_attachment", args: iam.RolePolicyAttachmentArgs{}, state: iam.RolePolicyAttachmentState{},
		deleteBeforeReplace: true},
	{token: "aws:lambda/alias:Alias", tf: "aws_lambda_alias", args: lambda.AliasArgs{}, state: lambda.AliasState{},
		autoName: &autoName{"name", 255}},
	{token: "aws:lambda/eventSourceMapping:EventSourceMapping", tf: "aws_lambda_event_source_mapping",
		args: lambda.EventSourceMappingArgs{}, state: lambda.EventSourceMappingState{}},
	{token: "aws:lambda/function:Function", tf: "aws_lambda_function", args: lambda.FunctionArgs{}, state: lambda.FunctionState{},
		autoName: &autoName{"function_name", 64}, renames: map[string]string{"function_name": "name", "filename": "code"}},
	{token: "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", tf: "aws_lambda_function_event_invoke_config",
		args: lambda.FunctionEventInvokeConfigArgs{}, state: lambda.FunctionEventInvokeConfigState{}},
	{token: "aws:lambda/permission:Permission", tf: "aws_lambda_permission", args: lambda.PermissionArgs{}, state: lambda.PermissionState{},
		autoName: &autoName{"statement_id", 100}, renames: map[string]string{"function_name": "function"}},
	{token: "aws:scheduler/schedule:Schedule", tf: "aws_scheduler_schedule", args: scheduler.ScheduleArgs{}, state: scheduler.ScheduleState{},
		autoName: &autoName{"name", 255}},
	{token: "aws:sfn/stateMachine:StateMachine", tf: "aws_sfn_state_machine", args: sfn.StateMachineArgs{}, state: sfn.StateMachineState{},
		autoName: &autoName{"name", 255}},
	{token: "aws:sns/topic:Topic", tf: "aws_sns_topic", args: sns.TopicArgs{}, state: sns.TopicState{},
		autoName: &autoName{"name", 80}},
	{token: "aws:sns/topicPolicy:TopicPolicy", tf: "aws_sns_topic_policy", args: sns.TopicPolicyArgs{}, state: sns.TopicPolicyState{}},
	{token: "aws:sns/topicSubscription:TopicSubscription", tf: "aws_sns_topic_subscription", args: sns.TopicSubscriptionArgs{}, state: sns.TopicSubscriptionState{},
		renames: map[string]string{"topic_arn": "topic"}},
	{token: "aws:sqs/queue:Queue", tf: "aws_sqs_queue", args: sqs.QueueArgs{}, state: sqs.QueueState{},
		autoName: &autoName{"name", 80}},
}

// skew are names present on one side only because pulumi-aws 6.83 wraps the
// 5.x line of the Terraform provider while the reference dump is the 6.x line
// (the only one the module proxy serves). Each entry is reported when used;
// one that no longer matches anything fails the generator, so the list cannot
// rot.
var skew = map[string]string{
	"aws:cloudwatch/logGroup:LogGroup deletion_protection_enabled":                                                "Terraform 6.x only",
	"aws:cloudwatch/logMetricFilter:LogMetricFilter apply_on_transformed_logs":                                    "Terraform 6.x only",
	"aws:cloudwatch/metricAlarm:MetricAlarm evaluation_criteria":                                                  "Terraform 6.x only",
	"aws:cloudwatch/metricAlarm:MetricAlarm evaluation_interval":                                                  "Terraform 6.x only",
	"aws:dynamodb/table:Table globalSecondaryIndexes[].key_schema":                                                "Terraform 6.x only",
	"aws:dynamodb/table:Table globalSecondaryIndexes[].warm_throughput":                                           "Terraform 6.x only",
	"aws:dynamodb/table:Table global_table_witness":                                                               "Terraform 6.x only",
	"aws:dynamodb/table:Table replicas[].consistency_mode":                                                        "Terraform 6.x only",
	"aws:dynamodb/table:Table replicas[].deletion_protection_enabled":                                             "Terraform 6.x only",
	"aws:dynamodb/table:Table restore_backup_arn":                                                                 "Terraform 6.x only",
	"aws:dynamodb/table:Table warm_throughput":                                                                    "Terraform 6.x only",
	"aws:lambda/eventSourceMapping:EventSourceMapping amazonManagedKafkaEventSourceConfig.schema_registry_config": "Terraform 6.x only",
	"aws:lambda/eventSourceMapping:EventSourceMapping provisionedPollerConfig.poller_group_name":                  "Terraform 6.x only",
	"aws:lambda/eventSourceMapping:EventSourceMapping selfManagedKafkaEventSourceConfig.schema_registry_config":   "Terraform 6.x only",
	"aws:lambda/function:Function capacity_provider_config":                                                       "Terraform 6.x only",
	"aws:lambda/function:Function code_sha256":                                                                    "Terraform 6.x only",
	"aws:lambda/function:Function computed response_streaming_invoke_arn":                                         "Terraform 6.x only",
	"aws:lambda/function:Function durable_config":                                                                 "Terraform 6.x only",
	"aws:lambda/function:Function publish_to":                                                                     "Terraform 6.x only",
	"aws:lambda/function:Function source_kms_key_arn":                                                             "Terraform 6.x only",
	"aws:lambda/function:Function tenancy_config":                                                                 "Terraform 6.x only",
	"aws:lambda/permission:Permission invoked_via_function_url":                                                   "Terraform 6.x only",
	"aws:scheduler/schedule:Schedule action_after_completion":                                                     "Terraform 6.x only",
}

// statisticPattern is the Terraform AWS provider's rule for an extended
// statistic (a percentile pNN.NN, a trimmed mean and the like):
// internal/service/cloudwatch/metric_alarm.go, the ValidateFunc of
// extended_statistic and, beside the Statistic enum (validation.AnyDiag), of
// metric_query.metric.stat (validation.StringMatch, whose error is "invalid
// value for KEY (MESSAGE)").
const statisticPattern = `^((p|(tm)|(wm)|(tc)|(ts))((\d{1,2}(\.\d{1,2})?)|(100))|(IQM)|(((TM)|(WM)|(PR)|(TC)|(TS)))\((\d+(\.\d+)?%?)?:(\d+(\.\d+)?%?)?\))$`

const statisticMessage = "invalid statistic, see: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Statistics-definitions.html"

// validatorFixes correct validators dev/tools/tfawsschema's probes model wrongly:
// a pattern it cannot probe with runs of 'a' (extended_statistic, recorded as
// "unmodeled"), and an enumeration OR a pattern, which it takes for the
// enumeration alone because none of its probe values is a percentile
// (metric_query.metric.stat: the stand-in then refused "p99", which the real
// provider accepts). Keyed by token and Pulumi path; each fix must match an
// input and what the dump recorded for it, or the generator fails.
var validatorFixes = map[string]func(probed *standinaws.Validation) (*standinaws.Validation, bool){
	"aws:cloudwatch/metricAlarm:MetricAlarm extendedStatistic": func(v *standinaws.Validation) (*standinaws.Validation, bool) {
		return &standinaws.Validation{Kind: "pattern", Pattern: statisticPattern, Messages: map[string]string{
			"noMatch": "invalid value for extended_statistic (" + statisticMessage + ")",
		}}, v != nil && v.Kind == "unmodeled"
	},
	"aws:cloudwatch/metricAlarm:MetricAlarm metricQueries[].metric.stat": func(v *standinaws.Validation) (*standinaws.Validation, bool) {
		if v == nil || v.Kind != "enum" {
			return nil, false
		}
		fixed := *v
		fixed.Pattern = statisticPattern
		return &fixed, true
	},
}

func main() {
	tfPath := flag.String("tf", "dev/fakes/standinaws/reference/terraform-aws.json", "the Terraform provider dump (dev/tools/tfawsschema)")
	out := flag.String("out", "dev/fakes/standinaws/reference/standin.json", "file to write, - for stdout")
	flag.Parse()

	var dump tfDump
	b, err := os.ReadFile(*tfPath)
	if err != nil {
		fail("%v (run `make standin-tf-reference` to write it)", err)
	}
	if err := json.Unmarshal(b, &dump); err != nil {
		fail("%s: %v", *tfPath, err)
	}
	sdkDir := sdkSource()
	ref := standinaws.Reference{
		Comment: []string{
			"GENERATED by dev/fakes/standinaws/gen (`make standin-schema`): do not edit.",
			"Inputs, types and required-ness: github.com/pulumi/pulumi-aws/sdk/v6 " + sdkVersion() + " (plain args structs, NewXxx).",
			"ForceNew, sets, conflicts, validators: " + dump.Module + "@" + dump.Version + " (reference/terraform-aws.json).",
			"Auto-naming and renames: pulumi-aws provider/resources.go.",
		},
		TerraformProvider: dump.Module + "@" + dump.Version,
		Resources:         map[string]*standinaws.ResourceRef{},
	}
	used := map[string]bool{}
	var problems []string
	for _, r := range resources {
		tr, ok := dump.Resources[r.tf]
		if !ok {
			fail("%s: the dump has no %s; add it to dev/tools/tfawsschema and regenerate", r.token, r.tf)
		}
		checkToken(sdkDir, r)
		required := requiredArgs(sdkDir, r)
		m := mapper{res: r, used: used}
		props := m.object("", reflect.TypeOf(r.args).Name(), r.args.ElementType(), tr.Attributes, required, r.renames, true)
		problems = append(problems, m.problems...)
		rr := &standinaws.ResourceRef{
			Terraform:           r.tf,
			Inputs:              props,
			CustomizeDiff:       tr.CustomizeDiff,
			DeleteBeforeReplace: r.deleteBeforeReplace,
			ComputedOnly:        map[string]string{},
		}
		// Attributes only the provider sets: named as the SDK's State struct
		// names its outputs.
		outputs := tags(r.state.ElementType())
		for tfName, a := range tr.Attributes {
			if a.Computed && !a.Optional && !a.Required {
				p := pulumiName(tfName, a, r.renames)
				if _, ok := outputs[p]; !ok {
					if key := r.token + " computed " + tfName; skew[key] != "" {
						used[key] = true
						continue
					}
					problems = append(problems, fmt.Sprintf("%s: computed-only %s maps to %s, which is not an output of %s", r.token, tfName, p, reflect.TypeOf(r.state).Name()))
					continue
				}
				rr.ComputedOnly[p] = tfName
			}
		}
		if r.autoName != nil {
			a, ok := tr.Attributes[r.autoName.tf]
			if !ok || !(a.Optional || a.Required) || a.Type != "string" {
				fail("%s: auto-named %s is not an optional or required string in %s", r.token, r.autoName.tf, r.tf)
			}
			p := pulumiName(r.autoName.tf, a, r.renames)
			if props[p] == nil || props[p].Required {
				fail("%s: auto-named %s is not an optional SDK input", r.token, p)
			}
			rr.AutoName = &standinaws.AutoNameRef{Property: p, MaxLength: r.autoName.maxLength, Separator: "-", RandLength: 7}
		}
		ref.Resources[r.token] = rr
	}
	for k := range validatorFixes {
		if !used[k] {
			problems = append(problems, "validator fix "+k+" matches no input: remove it")
		}
	}
	for k := range skew {
		if !used[k] {
			problems = append(problems, "skew entry "+k+" matches nothing: remove it")
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		fail("the SDK and the Terraform provider disagree:\n  %s", strings.Join(problems, "\n  "))
	}
	b, err = json.MarshalIndent(ref, "", "  ")
	if err != nil {
		fail("%v", err)
	}
	b = append(b, '\n')
	if *out == "-" {
		os.Stdout.Write(b)
		return
	}
	if err := os.WriteFile(*out, b, 0o644); err != nil {
		fail("%v", err)
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "standinaws/gen: "+format+"\n", args...)
	os.Exit(1)
}

// tfDump is dev/tools/tfawsschema's output.
type tfDump struct {
	Module    string `json:"module"`
	Version   string `json:"version"`
	Resources map[string]struct {
		Attributes    map[string]*tfAttr `json:"attributes"`
		CustomizeDiff bool               `json:"customizeDiff"`
	} `json:"resources"`
}

type tfAttr struct {
	Type          string                 `json:"type"`
	Required      bool                   `json:"required"`
	Optional      bool                   `json:"optional"`
	Computed      bool                   `json:"computed"`
	ForceNew      bool                   `json:"forceNew"`
	DiffSuppress  bool                   `json:"diffSuppress"`
	MaxItems      int                    `json:"maxItems"`
	MinItems      int                    `json:"minItems"`
	ConflictsWith []string               `json:"conflictsWith"`
	ExactlyOneOf  []string               `json:"exactlyOneOf"`
	AtLeastOneOf  []string               `json:"atLeastOneOf"`
	RequiredWith  []string               `json:"requiredWith"`
	Elem          *tfAttr                `json:"elem"`
	Block         map[string]*tfAttr     `json:"block"`
	Validation    *standinaws.Validation `json:"validation"`
}

// flattened: the bridge turns a list or set block of at most one element into
// a single object (and keeps its name singular).
func (a *tfAttr) flattened() bool {
	return (a.Type == "list" || a.Type == "set") && a.MaxItems == 1
}

// pulumiName is the bridge's TerraformToPulumiNameV2 for the cases these
// resources have: an override from resources.go, else camelCase, pluralized
// for lists and sets that are not flattened. The caller checks the result
// against the SDK.
func pulumiName(tf string, a *tfAttr, renames map[string]string) string {
	if n, ok := renames[tf]; ok {
		return n
	}
	n := camel(tf)
	if (a.Type == "list" || a.Type == "set") && !a.flattened() {
		n = plural(n)
	}
	return n
}

func camel(s string) string {
	parts := strings.Split(s, "_")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}

func plural(s string) string {
	switch {
	case strings.HasSuffix(s, "s"):
		return s
	case strings.HasSuffix(s, "y") && !strings.HasSuffix(s, "ay") && !strings.HasSuffix(s, "ey"):
		return s[:len(s)-1] + "ies"
	case strings.HasSuffix(s, "x"), strings.HasSuffix(s, "ch"), strings.HasSuffix(s, "sh"):
		return s + "es"
	}
	return s + "s"
}

// mapper joins one resource's SDK types with its Terraform attributes.
type mapper struct {
	res      resource
	used     map[string]bool
	problems []string
}

func (m *mapper) problem(format string, args ...any) {
	m.problems = append(m.problems, fmt.Sprintf(format, args...))
}

// object maps one SDK struct (the plain args, or a nested type) onto the
// Terraform attributes at the same level. required lists the SDK's required
// fields (by Go field name) when known from NewXxx (top level); nested levels
// take non-pointer scalars.
func (m *mapper) object(where, goName string, t reflect.Type, attrs map[string]*tfAttr, required map[string]bool, renames map[string]string, top bool) map[string]*standinaws.Prop {
	fields := map[string]reflect.StructField{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := strings.Split(f.Tag.Get("pulumi"), ",")[0]
		if tag != "" {
			fields[tag] = f
		}
	}
	props := map[string]*standinaws.Prop{}
	matched := map[string]bool{}
	var tfNames []string
	for k := range attrs {
		tfNames = append(tfNames, k)
	}
	sort.Strings(tfNames)
	pathOf := map[string]string{} // Terraform name -> Pulumi name at this level
	for _, tfName := range tfNames {
		a := attrs[tfName]
		computedOnly := a.Computed && !a.Optional && !a.Required
		if computedOnly && top {
			continue // an output, not an input (ComputedOnly below)
		}
		if top && tfName == "tags_all" {
			// pulumi-aws marks tags_all computed-only (provider/resources.go,
			// MarkAsComputedOnly), so it is no input of the SDK.
			continue
		}
		p := pulumiName(tfName, a, renames)
		f, ok := fields[p]
		if !ok {
			if computedOnly {
				continue // nested outputs the SDK leaves out
			}
			key := m.res.token + " " + join(where, tfName)
			if _, isSkew := skew[key]; isSkew {
				m.used[key] = true
				continue
			}
			m.problem("%s: Terraform %s (as %s) is no field of %s", m.res.token, join(where, tfName), p, goName)
			continue
		}
		matched[p] = true
		pathOf[tfName] = p
		prop := m.prop(join(where, p), f.Type, a)
		prop.Terraform = tfName
		// The SDK's nested types carry the block's computed attributes too;
		// a program may not set them (schema.go: "Value for unconfigurable
		// attribute").
		prop.ComputedOnly = computedOnly
		if top && required != nil {
			prop.Required = required[f.Name]
			if required[f.Name] != a.Required {
				// The SDK decides what the program must pass (pulumi-aws makes
				// some required Terraform names optional by auto-naming them).
				prop.TerraformRequired = a.Required
			}
		} else {
			prop.Required = isRequiredScalar(f.Type) || (a.Required && f.Type.Kind() != reflect.Pointer)
		}
		props[p] = prop
	}
	for p, f := range fields {
		if !matched[p] {
			key := m.res.token + " " + join(where, p)
			if _, isSkew := skew[key]; isSkew {
				m.used[key] = true
				continue
			}
			m.problem("%s: SDK field %s.%s (%s) matches no Terraform attribute", m.res.token, goName, f.Name, p)
		}
	}
	// Cross-references (conflicts, exactly-one-of, ...) name Terraform paths;
	// keep those at this level, in Pulumi names too.
	for tfName, p := range pathOf {
		a, prop := attrs[tfName], props[p]
		prop.ConflictsWith = m.refs(where, a.ConflictsWith, attrs, renames)
		prop.ExactlyOneOf = m.refs(where, a.ExactlyOneOf, attrs, renames)
		prop.AtLeastOneOf = m.refs(where, a.AtLeastOneOf, attrs, renames)
		prop.RequiredWith = m.refs(where, a.RequiredWith, attrs, renames)
	}
	return props
}

func join(where, name string) string {
	if where == "" {
		return name
	}
	return where + "." + name
}

func (m *mapper) refs(where string, tfRefs []string, attrs map[string]*tfAttr, renames map[string]string) []standinaws.Ref {
	var out []standinaws.Ref
	for _, r := range tfRefs {
		last := r[strings.LastIndex(r, ".")+1:]
		a, ok := attrs[last]
		if !ok {
			m.problem("%s: %s refers to %s, not at the same level", m.res.token, where, r)
			continue
		}
		out = append(out, standinaws.Ref{Terraform: r, Pulumi: pulumiName(last, a, renames)})
	}
	return out
}

var (
	archiveType = reflect.TypeOf((*pulumi.Archive)(nil)).Elem()
	assetType   = reflect.TypeOf((*pulumi.Asset)(nil)).Elem()
	eitherType  = reflect.TypeOf((*pulumi.AssetOrArchive)(nil)).Elem()
)

func isRequiredScalar(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.String, reflect.Int, reflect.Float64, reflect.Bool, reflect.Struct:
		return true
	}
	return false
}

// prop types one SDK field and joins the Terraform facts of its attribute.
func (m *mapper) prop(where string, t reflect.Type, a *tfAttr) *standinaws.Prop {
	p := &standinaws.Prop{ForceNew: a.ForceNew, DiffSuppress: a.DiffSuppress, Set: a.Type == "set", MaxItems: a.MaxItems, MinItems: a.MinItems, Validation: a.Validation}
	if fix, ok := validatorFixes[m.res.token+" "+where]; ok {
		v, matches := fix(a.Validation)
		if !matches {
			m.problem("%s: %s: the validator fix no longer matches what the dump records (%+v): review it", m.res.token, where, a.Validation)
		}
		p.Validation = v
		m.used[m.res.token+" "+where] = true
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == archiveType:
		p.Type = "archive"
		return p
	case t == assetType:
		p.Type = "asset"
		return p
	case t == eitherType:
		p.Type = "assetOrArchive"
		return p
	}
	switch t.Kind() {
	case reflect.String:
		p.Type = "string"
	case reflect.Int:
		p.Type = "integer"
	case reflect.Float64:
		p.Type = "number"
	case reflect.Bool:
		p.Type = "boolean"
	case reflect.Interface:
		p.Type = "any" // pulumi-aws AltTypes: a string or a resource/PolicyDocument
	case reflect.Slice:
		p.Type = "array"
		if a.Block != nil {
			p.Items = &standinaws.Prop{Type: "object", Properties: m.object(where+"[]", t.Elem().Name(), t.Elem(), a.Block, nil, nil, false)}
		} else if a.Elem != nil {
			p.Items = m.prop(where+"[]", t.Elem(), a.Elem)
		} else {
			m.problem("%s: %s is a Go slice but Terraform %s has no element", m.res.token, where, a.Type)
		}
	case reflect.Map:
		p.Type = "map"
		if a.Elem != nil {
			p.Items = m.prop(where+"{}", t.Elem(), a.Elem)
		} else {
			p.Items = &standinaws.Prop{Type: "string"} // Terraform maps default to strings
		}
	case reflect.Struct:
		if !a.flattened() || a.Block == nil {
			m.problem("%s: %s is a Go struct but Terraform's %s is not a block of at most one", m.res.token, where, a.Type)
			return p
		}
		p.Type = "object"
		p.Properties = m.object(where, t.Name(), t, a.Block, nil, nil, false)
	default:
		m.problem("%s: %s has Go type %s", m.res.token, where, t)
	}
	return p
}

func tags(t reflect.Type) map[string]bool {
	out := map[string]bool{}
	for i := 0; i < t.NumField(); i++ {
		if tag := strings.Split(t.Field(i).Tag.Get("pulumi"), ",")[0]; tag != "" {
			out[tag] = true
		}
	}
	return out
}

// sdkSource is the directory of the pulumi-aws Go SDK in the module cache.
func sdkSource() string {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/pulumi/pulumi-aws/sdk/v6").Output()
	if err != nil {
		fail("go list the pulumi-aws SDK: %v", err)
	}
	return filepath.Join(strings.TrimSpace(string(out)), "go", "aws")
}

func sdkVersion() string {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Version}}", "github.com/pulumi/pulumi-aws/sdk/v6").Output()
	if err != nil {
		fail("go list the pulumi-aws SDK: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// sourceOf is the SDK file that declares the resource (its token in
// ctx.RegisterResource).
func sourceOf(dir string, r resource) []byte {
	pkg := filepath.Base(reflect.TypeOf(r.args).PkgPath())
	name := strings.TrimSuffix(reflect.TypeOf(r.args).Name(), "Args")
	file := filepath.Join(dir, pkg, strings.ToLower(name[:1])+name[1:]+".go")
	b, err := os.ReadFile(file)
	if err != nil {
		fail("%s: %v", r.token, err)
	}
	return b
}

func checkToken(dir string, r resource) {
	if !bytes.Contains(sourceOf(dir, r), []byte(fmt.Sprintf("ctx.RegisterResource(%q", r.token))) {
		fail("%s: the SDK's %s does not register that token", r.token, reflect.TypeOf(r.args).Name())
	}
}

var requiredCheck = regexp.MustCompile(`invalid value for required argument '(\w+)'`)

// requiredArgs are the Go field names NewXxx refuses when missing; each must be
// a non-pointer field of the plain args struct (the reading the SDK's types
// give), or the generator fails.
func requiredArgs(dir string, r resource) map[string]bool {
	out := map[string]bool{}
	for _, m := range requiredCheck.FindAllSubmatch(sourceOf(dir, r), -1) {
		out[string(m[1])] = true
	}
	t := r.args.ElementType()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		nonPointer := isRequiredScalar(f.Type)
		if nonPointer != out[f.Name] && f.Type.Kind() != reflect.Interface {
			fail("%s: field %s: NewXxx says required=%v, its Go type %s says %v", r.token, f.Name, out[f.Name], f.Type, nonPointer)
		}
	}
	return out
}
