package component

import (
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// qualifier is the alias or version the breaker invokes and monitors for one
// of the user's functions: a plain string (downstreamQualifier, ...), or the
// name of an aws.lambda.Alias the user passed (downstreamAlias, ...), so that
// the breaker's children depend on the alias. Whether there is one is known
// while previewing (an alias always has a name), so the graph's shape (the
// alarms' Resource dimension, the invoke config's qualifier) never waits on
// an output.
type qualifier struct {
	set  bool
	name pulumi.StringOutput
}

func qualifierOf(plain string, alias *lambda.Alias) qualifier {
	if alias != nil {
		// An alias's name is a required input of aws.lambda.Alias, so it is
		// always present (known at preview unless computed from unknowns).
		return qualifier{set: true, name: alias.Name}
	}
	return qualifier{set: plain != "", name: pulumi.String(plain).ToStringOutput()}
}

// qualify is the function's ARN with the qualifier, as the state machine and
// the scheduler invoke it.
func (q qualifier) qualify(arn pulumi.StringOutput) pulumi.StringOutput {
	return pulumi.All(arn, q.name).ApplyT(func(v []any) string { return Qualified(v[0].(string), v[1].(string)) }).(pulumi.StringOutput)
}

// aliasOf pairs an alias input with the function input it must belong to.
type aliasOf struct {
	field, functionField string
	alias                *lambda.Alias
	fn                   *lambda.Function
}

// checkAliases fails the deployment when an alias belongs to another function
// than the one it qualifies: the breaker would invoke a qualifier that does not
// exist on that function. Like the brought table's keys, the check is an
// output of the component that no child waits on: it fails the preview when
// the names are known, and the update otherwise.
func checkAliases(aliases []aliasOf) pulumi.Input {
	checks := pulumi.Map{}
	for _, a := range aliases {
		if a.alias == nil || a.fn == nil {
			continue
		}
		a := a
		checks[a.field] = pulumi.All(a.alias.FunctionName, a.alias.Name, a.fn.Name, a.fn.Arn).ApplyT(func(v []any) (string, error) {
			aliasFn, aliasName, name, arn := str(v[0]), str(v[1]), str(v[2]), str(v[3])
			return aliasName, AliasBelongsTo(a.field, a.functionField, aliasName, aliasFn, name, arn)
		}).(pulumi.StringOutput)
	}
	if len(checks) == 0 {
		return nil
	}
	return checks
}

// AliasBelongsTo explains an alias of another function. An alias's
// functionName is what the user passed to aws.lambda.Alias: the function's
// name, its ARN, or a partial ARN (123456789012:function:NAME), as Lambda's
// CreateAlias accepts
// (https://docs.aws.amazon.com/lambda/latest/api/API_CreateAlias.html).
func AliasBelongsTo(field, functionField, aliasName, aliasFunction, functionName, functionArn string) error {
	if aliasFunction == functionName || aliasFunction == functionArn || functionNameOf(aliasFunction) == functionName {
		return nil
	}
	var p problems
	p.add(field, "alias %q belongs to function %q, not to %s %q; pass an alias of %s (its functionName), or drop %s",
		aliasName, aliasFunction, functionField, functionName, functionField, field)
	return p.err()
}

// functionNameOf is the name in a function ARN or partial ARN, else s itself.
func functionNameOf(s string) string {
	const marker = ":function:"
	i := strings.Index(s, marker)
	if i < 0 {
		return s
	}
	name, _, _ := strings.Cut(s[i+len(marker):], ":")
	return name
}
