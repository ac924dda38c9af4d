package standinaws_test

// Issue 7, item 17: the stand-in refuses what the real provider refuses. Each
// test names the source of the rule it checks; the rules themselves come from
// reference/standin.json, generated from the pulumi-aws v6 Go SDK and the
// Terraform AWS provider (dev/fakes/standinaws/gen, dev/tools/tfawsschema).

import (
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/fakes/fakeaws"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/fakes/standinaws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/stretchr/testify/require"
)

func urnOf(token, name string) string {
	return fmt.Sprintf("urn:pulumi:dev::proj::%s::%s", token, name)
}

// check runs the stand-in's Check and returns its failures' reasons and the
// inputs it returns.
func check(t *testing.T, token, name string, news map[string]any, olds ...map[string]any) ([]string, resource.PropertyMap) {
	t.Helper()
	p, err := standinaws.New(nil, "")
	require.NoError(t, err)
	req := &pulumirpc.CheckRequest{Urn: urnOf(token, name), News: props(t, news)}
	if len(olds) > 0 {
		req.Olds = props(t, olds[0])
	}
	resp, err := p.Check(context.Background(), req)
	require.NoError(t, err)
	var reasons []string
	for _, f := range resp.Failures {
		// The bridge leaves Property empty and puts the path in the reason
		// (pulumi-terraform-bridge pkg/tfbridge/check_failures.go, NewCheckFailure).
		require.Empty(t, f.Property)
		reasons = append(reasons, f.Reason)
	}
	inputs, err := plugin.UnmarshalProperties(resp.Inputs, plugin.MarshalOptions{KeepUnknowns: true})
	require.NoError(t, err)
	return reasons, inputs
}

const (
	function = "aws:lambda/function:Function"
	role     = "aws:iam/role:Role"
	table    = "aws:dynamodb/table:Table"
	machine  = "aws:sfn/stateMachine:StateMachine"
	invoke   = "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"
	logGroup = "aws:cloudwatch/logGroup:LogGroup"
	alarm    = "aws:cloudwatch/metricAlarm:MetricAlarm"
)

var okFunction = map[string]any{"role": "arn:aws:iam::123456789012:role/app", "runtime": "nodejs22.x", "handler": "index.handler", "s3Bucket": "code", "s3Key": "f.zip"}

func with(base map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range base {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

func TestCheckAcceptsWhatTheExamplesPass(t *testing.T) {
	reasons, _ := check(t, function, "payments", okFunction)
	require.Empty(t, reasons)
}

// Unknown keys: terraform-plugin-sdk/v2 helper/schema/schema.go
// (validateObject: "Invalid or unknown key"), formatted by the bridge
// (check_failures.go: ". Examine values at '<name>.<path>'.").
func TestCheckRefusesUnknownProperties(t *testing.T) {
	reasons, _ := check(t, function, "payments", with(okFunction,
		"timeoutSeconds", 30,
		"environment", map[string]any{"varaibles": map[string]any{"A": "b"}}))
	require.ElementsMatch(t, []string{
		"Invalid or unknown key. Examine values at 'payments.timeoutSeconds'.",
		"Invalid or unknown key. Examine values at 'payments.environment.varaibles'.",
	}, reasons)

	// An output the provider computes is refused as Terraform refuses it
	// (schema.go, validate: "Value for unconfigurable attribute").
	reasons, _ = check(t, function, "payments", with(okFunction, "arn", "arn:aws:lambda:us-east-1:123456789012:function:x"))
	require.Equal(t, []string{`Value for unconfigurable attribute. Can't configure a value for "arn": its value will be decided ` +
		`automatically based on the result of applying this configuration.. Examine values at 'payments.arn'.`}, reasons)
}

// Types as the pulumi-aws v6 SDK declares them (functionArgs: Timeout *int,
// MemorySize *int, Environment *FunctionEnvironment, Tags map[string]string),
// worded as the bridge's type checker words them
// (pkg/tfbridge/typechecker/typechecker.go, newTypeFailure), and accepting what
// it accepts: numeric strings for numbers, numbers for strings.
func TestCheckRefusesWrongTypes(t *testing.T) {
	reasons, _ := check(t, function, "payments", with(okFunction,
		"timeout", "thirty",
		"memorySize", true,
		"environment", "FOO=bar",
		"tags", []any{"team"}))
	require.ElementsMatch(t, []string{
		`expected integer type, got "thirty" of type string. Examine values at 'payments.timeout'.`,
		// PropertyValue.String(), as the type checker previews a value.
		`expected integer type, got {true} of type bool. Examine values at 'payments.memorySize'.`,
		`expected object type, got "FOO=bar" of type string. Examine values at 'payments.environment'.`,
		`expected object type, got {[{team}]} of type []. Examine values at 'payments.tags'.`,
	}, reasons)

	reasons, _ = check(t, function, "payments", with(okFunction, "timeout", "30", "description", 7))
	require.Empty(t, reasons, "the bridge coalesces numeric strings and numbers")

	// A whole number where Terraform's TypeInt wants one (schema.go,
	// validatePrimitive).
	reasons, _ = check(t, function, "payments", with(okFunction, "timeout", 1.5))
	require.Equal(t, []string{"Attribute must be a whole number, got 1.5. Examine values at 'payments.timeout'."}, reasons)
}

// Required inputs: those NewFunction, NewTable... refuse with "invalid value
// for required argument" (pulumi-aws sdk/v6 go/aws/lambda/function.go), and
// nested required attributes (dynamodb TableAttribute: name and type), worded
// as terraform-plugin-sdk's schema.go (validate: "Missing required argument").
func TestCheckRefusesMissingRequiredProperties(t *testing.T) {
	reasons, _ := check(t, function, "payments", map[string]any{"runtime": "nodejs22.x", "imageUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/f:1"})
	require.Equal(t, []string{`Missing required argument. The argument "role" is required, but no definition was found.. ` +
		`Examine values at 'payments.role'.`}, reasons)

	reasons, _ = check(t, table, "circuit", map[string]any{
		"hashKey":    "serviceName",
		"attributes": []any{map[string]any{"name": "serviceName"}},
	})
	require.Equal(t, []string{`Missing required argument. The argument "attribute.0.type" is required, but no definition was found.. ` +
		`Examine values at 'circuit.attributes[0].type'.`}, reasons)
}

// Name lengths and characters: what the Terraform provider's validators accept,
// probed by dev/tools/tfawsschema (aws_sfn_state_machine name:
// validation.StringLenBetween(1, 80) and ^[0-9A-Za-z_-]+$ in
// internal/service/sfn/state_machine.go; aws_iam_role name: validResourceName
// in internal/service/iam/validate.go), with the validators' own messages.
func TestCheckRefusesNamesTheProviderRefuses(t *testing.T) {
	long := strings.Repeat("a", 81)
	reasons, _ := check(t, machine, "breaker", map[string]any{"definition": "{}", "roleArn": "arn:aws:iam::123456789012:role/x", "name": long})
	require.Equal(t, []string{"expected length of name to be in the range (1 - 80), got " + long + ". Examine values at 'breaker.name'."}, reasons)

	reasons, _ = check(t, machine, "breaker", map[string]any{"definition": "{}", "roleArn": "arn:aws:iam::123456789012:role/x", "name": "pay.ments"})
	require.Equal(t, []string{`invalid value for name (the name should only contain 0-9, A-Z, a-z, - and _). Examine values at 'breaker.name'.`}, reasons)

	// The auto-name counts: a logical name whose auto-name exceeds 80 passes
	// pulumi-aws's auto-naming (255 for state machines) and is then refused by
	// Terraform's validator, at preview.
	logical := strings.Repeat("b", 73) // + "-" + 7 characters = 81
	reasons, inputs := check(t, machine, logical, map[string]any{"definition": "{}", "roleArn": "arn:aws:iam::123456789012:role/x"})
	require.Equal(t, fakeaws.AutoName(logical), inputs["name"].StringValue())
	require.Len(t, reasons, 1)
	require.Contains(t, reasons[0], "expected length of name to be in the range (1 - 80)")

	// A '.' in a role name is accepted ([\w+=,.@-]), one more than 64 is not.
	reasons, _ = check(t, role, "r", map[string]any{"assumeRolePolicy": "{}", "name": "pay.ments"})
	require.Empty(t, reasons)
	reasons, _ = check(t, role, "r", map[string]any{"assumeRolePolicy": "{}", "name": strings.Repeat("r", 65)})
	require.Len(t, reasons, 1)
	require.Contains(t, reasons[0], "(1 - 64)")
}

// Auto-naming as pulumi-aws does it (provider/resources.go: aws_iam_role
// tfbridge.AutoName("name", 64, "-"); setAutonaming gives other `name`s 255):
// the logical name, "-" and 7 random characters, a too long one refused by
// Check itself with pulumi's resource.NewUniqueName error as the bridge wraps
// it (pkg/tfbridge/info/autonaming.go); the old name is kept on update; a
// namePrefix turns auto-naming off (the bridge skips conflicting defaults).
func TestCheckAutoNamesLikePulumiAws(t *testing.T) {
	_, inputs := check(t, role, "payments-controller-role", map[string]any{"assumeRolePolicy": "{}"})
	name := inputs["name"].StringValue()
	require.Regexp(t, `^payments-controller-role-[0-9a-f]{7}$`, name)

	_, inputs = check(t, role, "payments-controller-role", map[string]any{"assumeRolePolicy": "{}"}, map[string]any{"assumeRolePolicy": "{}", "name": "kept-1234567"})
	require.Equal(t, "kept-1234567", inputs["name"].StringValue())

	_, inputs = check(t, logGroup, "logs", map[string]any{"namePrefix": "/aws/lambda/x-"})
	require.NotContains(t, inputs, resource.PropertyKey("name"))

	p, err := standinaws.New(nil, "")
	require.NoError(t, err)
	logical := strings.Repeat("n", 57) // 57 + 1 + 7 = 65 > 64
	_, err = p.Check(context.Background(), &pulumirpc.CheckRequest{Urn: urnOf(role, logical), News: props(t, map[string]any{"assumeRolePolicy": "{}"})})
	require.EqualError(t, err, "could not make instance of 'aws:iam/role:Role': name '"+logical+"-' plus 7 random chars is longer than maximum length 64")
	_, err = p.Check(context.Background(), &pulumirpc.CheckRequest{Urn: urnOf(role, logical[:56]), News: props(t, map[string]any{"assumeRolePolicy": "{}"})})
	require.NoError(t, err, "exactly 64 fits")
}

// Values the Terraform validators refuse: validation.IntBetween(0, 2) on
// aws_lambda_function_event_invoke_config maximum_retry_attempts
// (internal/service/lambda/function_event_invoke_config.go),
// validation.IntInSlice on aws_cloudwatch_log_group retention_in_days
// (internal/service/logs/group.go), enumerations (sfn type, alarm
// comparison operator).
func TestCheckRefusesValuesTheProviderRefuses(t *testing.T) {
	reasons, _ := check(t, invoke, "retries", map[string]any{"functionName": "f", "maximumRetryAttempts": 3, "maximumEventAgeInSeconds": 21600})
	require.Equal(t, []string{"expected maximum_retry_attempts to be in the range (0 - 2), got 3. Examine values at 'retries.maximumRetryAttempts'."}, reasons)

	reasons, _ = check(t, logGroup, "logs", map[string]any{"retentionInDays": 13})
	require.Len(t, reasons, 1)
	require.Contains(t, reasons[0], "expected retention_in_days to be one of [0 1 3 5 7 14 30")
	require.Contains(t, reasons[0], "got 13. Examine values at 'logs.retentionInDays'.")

	reasons, _ = check(t, machine, "m", map[string]any{"definition": "{}", "roleArn": "arn:aws:iam::123456789012:role/x", "type": "FAST"})
	require.Len(t, reasons, 1)
	require.Contains(t, reasons[0], `"STANDARD"`)
	require.Contains(t, reasons[0], "Examine values at 'm.type'.")

	reasons, _ = check(t, alarm, "a", map[string]any{"comparisonOperator": "MoreThan", "evaluationPeriods": 1})
	require.Len(t, reasons, 1)
	require.Contains(t, reasons[0], "GreaterThanThreshold")
}

// ConflictsWith (aws_iam_role name vs name_prefix), worded as schema.go
// (validateConflictingAttributes, "Conflicting configuration arguments").
func TestCheckRefusesConflictingProperties(t *testing.T) {
	reasons, _ := check(t, role, "r", map[string]any{"assumeRolePolicy": "{}", "name": "a", "namePrefix": "b"})
	require.ElementsMatch(t, []string{
		`Conflicting configuration arguments. "name": conflicts with name_prefix. Examine values at 'r.name'.`,
		`Conflicting configuration arguments. "name_prefix": conflicts with name. Examine values at 'r.namePrefix'.`,
	}, reasons)
}

// Unknown values are validated once known, as Terraform does (schema.go,
// validate: "If the value is unknown then we can't validate it yet").
func TestCheckDefersUnknownValues(t *testing.T) {
	p, err := standinaws.New(nil, "")
	require.NoError(t, err)
	news := resource.PropertyMap{
		"role":     resource.MakeComputed(resource.NewStringProperty("")),
		"imageUri": resource.MakeComputed(resource.NewStringProperty("")),
		"timeout":  resource.MakeComputed(resource.NewStringProperty("")),
	}
	s, err := plugin.MarshalProperties(news, plugin.MarshalOptions{KeepUnknowns: true})
	require.NoError(t, err)
	resp, err := p.Check(context.Background(), &pulumirpc.CheckRequest{Urn: urnOf(function, "f"), News: s})
	require.NoError(t, err)
	require.Empty(t, resp.Failures)
}

// A Lambda function needs exactly one source of code (aws_lambda_function
// filename, image_uri, s3_bucket: ExactlyOneOf in internal/service/lambda/
// function.go; pulumi-aws maps filename to code), worded as schema.go
// (validateExactlyOneAttribute).
func TestCheckRefusesAFunctionWithoutCode(t *testing.T) {
	reasons, _ := check(t, function, "payments", map[string]any{"role": "arn:aws:iam::123456789012:role/app"})
	require.Contains(t, reasons, "Invalid combination of arguments. \"filename\": one of `filename,image_uri,s3_bucket` must be specified. Examine values at 'payments.code'.")
	reasons, _ = check(t, function, "payments", with(okFunction, "imageUri", "123456789012.dkr.ecr.us-east-1.amazonaws.com/f:1"))
	require.Contains(t, reasons, "Invalid combination of arguments. \"image_uri\": only one of `filename,image_uri,s3_bucket` can be specified, but `image_uri,s3_bucket` were specified.. Examine values at 'payments.imageUri'.")
}

func diffOf(t *testing.T, token string, olds, news map[string]any) *pulumirpc.DiffResponse {
	t.Helper()
	p, err := standinaws.New(nil, "")
	require.NoError(t, err)
	resp, err := p.Diff(context.Background(), &pulumirpc.DiffRequest{Urn: urnOf(token, "x"), OldInputs: props(t, olds), Olds: props(t, olds), News: props(t, news)})
	require.NoError(t, err)
	return resp
}

// ForceNew, from the Terraform provider's schemas: aws_sfn_state_machine name
// and type are ForceNew, definition is not (internal/service/sfn/
// state_machine.go); aws_lambda_function_event_invoke_config function_name and
// qualifier are, maximum_retry_attempts is not; aws_iam_role_policy_attachment
// replaces deleting first (pulumi-aws resources.go: DeleteBeforeReplace).
func TestDiffReplacesWhereTheProviderForcesNew(t *testing.T) {
	base := map[string]any{"definition": "{}", "roleArn": "arn:aws:iam::123456789012:role/x", "name": "m-1234567", "type": "STANDARD"}
	require.Equal(t, []string{"type"}, diffOf(t, machine, base, with(base, "type", "EXPRESS")).Replaces)
	require.Equal(t, []string{"name"}, diffOf(t, machine, base, with(base, "name", "m-7654321")).Replaces)
	d := diffOf(t, machine, base, with(base, "definition", `{"StartAt":"A"}`))
	require.Equal(t, []string{"definition"}, d.Diffs)
	require.Empty(t, d.Replaces)

	cfg := map[string]any{"functionName": "f", "qualifier": "live", "maximumRetryAttempts": 0}
	require.Equal(t, []string{"qualifier"}, diffOf(t, invoke, cfg, with(cfg, "qualifier", "v2")).Replaces)
	require.Empty(t, diffOf(t, invoke, cfg, with(cfg, "maximumRetryAttempts", 1)).Replaces)

	att := map[string]any{"role": "r", "policyArn": "arn:aws:iam::aws:policy/a"}
	d = diffOf(t, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", att, with(att, "policyArn", "arn:aws:iam::aws:policy/b"))
	require.Equal(t, []string{"policyArn"}, d.Replaces)
	require.True(t, d.DeleteBeforeReplace)
}

// A Terraform set (aws_cloudwatch_metric_alarm alarm_actions is TypeSet in
// internal/service/cloudwatch/metric_alarm.go) has no order: reordering it is
// no change.
func TestDiffIgnoresTheOrderOfSets(t *testing.T) {
	base := map[string]any{"comparisonOperator": "GreaterThanThreshold", "evaluationPeriods": 1, "alarmActions": []any{"arn:a", "arn:b"}}
	require.Equal(t, pulumirpc.DiffResponse_DIFF_NONE, diffOf(t, alarm, base, with(base, "alarmActions", []any{"arn:b", "arn:a"})).Changes)
	require.Equal(t, pulumirpc.DiffResponse_DIFF_SOME, diffOf(t, alarm, base, with(base, "alarmActions", []any{"arn:b"})).Changes)
}

// A type the stand-in has no reference for fails, with the bridge's own
// wording (pkg/tfbridge/provider.go, Check: "unrecognized resource type").
func TestCheckRefusesTypesWithoutAReference(t *testing.T) {
	p, err := standinaws.New(nil, "")
	require.NoError(t, err)
	_, err = p.Check(context.Background(), &pulumirpc.CheckRequest{Urn: urnOf("aws:s3/bucket:Bucket", "b"), News: props(t, map[string]any{})})
	require.ErrorContains(t, err, "unrecognized resource type (Check): aws:s3/bucket:Bucket")
}

// The data sources the component calls answer for the fake account, with the
// property names of the SDK's result types.
func TestInvokesAnswerWithTheSDKsResultShapes(t *testing.T) {
	p, err := standinaws.New(nil, "")
	require.NoError(t, err)
	for tok, result := range map[string]any{
		"aws:index/getCallerIdentity:getCallerIdentity": aws.GetCallerIdentityResult{},
		"aws:index/getPartition:getPartition":           aws.GetPartitionResult{},
		"aws:index/getRegion:getRegion":                 aws.GetRegionResult{},
	} {
		resp, err := p.Invoke(context.Background(), &pulumirpc.InvokeRequest{Tok: tok})
		require.NoError(t, err, tok)
		got, err := plugin.UnmarshalProperties(resp.Return, plugin.MarshalOptions{})
		require.NoError(t, err)
		var keys, want []string
		for k := range got {
			keys = append(keys, string(k))
		}
		rt := reflect.TypeOf(result)
		for i := 0; i < rt.NumField(); i++ {
			want = append(want, strings.Split(rt.Field(i).Tag.Get("pulumi"), ",")[0])
		}
		sort.Strings(keys)
		sort.Strings(want)
		require.Equal(t, want, keys, tok)
	}
	resp, err := p.Invoke(context.Background(), &pulumirpc.InvokeRequest{Tok: "aws:index/getCallerIdentity:getCallerIdentity"})
	require.NoError(t, err)
	require.Equal(t, fakeaws.Account, resp.Return.Fields["accountId"].GetStringValue())
}

var repo = func() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", "..", ".."))
}()

// Every aws type the component and the examples create has a reference: the
// Go files' constructor calls (lambda.NewFunction -> aws:lambda/function:Function,
// pulumi-aws's token rule awsResource in provider/resources.go) and the
// TypeScript and Python examples' `new aws.x.Y(` / `aws.x.Y(`.
func TestReferenceCoversEveryTypeTheComponentAndExamplesCreate(t *testing.T) {
	ref, err := standinaws.LoadReference()
	require.NoError(t, err)
	tokens := map[string]string{}
	goFiles, _ := filepath.Glob(filepath.Join(repo, "component", "*.go"))
	goFiles = append(goFiles, filepath.Join(repo, "examples", "go", "main.go"))
	for _, f := range goFiles {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(token.NewFileSet(), f, nil, 0)
		require.NoError(t, err)
		awsPkgs := map[string]string{}
		for _, imp := range file.Imports {
			path := strings.Trim(imp.Path.Value, `"`)
			if strings.HasPrefix(path, "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/") {
				awsPkgs[filepath.Base(path)] = filepath.Base(path)
			}
		}
		ast.Inspect(file, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			pkg, ok := sel.X.(*ast.Ident)
			if ok && awsPkgs[pkg.Name] != "" && strings.HasPrefix(sel.Sel.Name, "New") {
				typ := strings.TrimPrefix(sel.Sel.Name, "New")
				tokens[fmt.Sprintf("aws:%s/%s%s:%s", pkg.Name, strings.ToLower(typ[:1]), typ[1:], typ)] = f
			}
			return true
		})
	}
	dynamic := regexp.MustCompile(`aws\.(\w+?)_?\.([A-Z]\w+)\(`)
	for _, f := range []string{filepath.Join(repo, "examples", "ts", "index.ts"), filepath.Join(repo, "examples", "python", "__main__.py")} {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, m := range dynamic.FindAllStringSubmatch(string(b), -1) {
			if strings.HasSuffix(m[2], "Args") {
				continue // an input type, not a resource
			}
			tokens[fmt.Sprintf("aws:%s/%s%s:%s", m[1], strings.ToLower(m[2][:1]), m[2][1:], m[2])] = f
		}
	}
	require.NotEmpty(t, tokens)
	for tok, f := range tokens {
		require.Contains(t, ref.Resources, tok, "%s creates %s", f, tok)
	}
	// Users pass aliases as the downstream's qualifier target.
	require.Contains(t, ref.Resources, "aws:lambda/alias:Alias")
}
