package component_test

import (
	"strings"
	"testing"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/component"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"
)

const roleType = "aws:iam/role:Role"

// everyRoleArgs turns on every part of the graph that brings a role of its
// own (events with the created table, the healthcheck runner, reconciliation,
// the request path and our Lambdas) and the optional parts that bring none
// today (the dashboard, the slow-call alarm), so that a role added to any of
// them is walked.
func everyRoleArgs(f userFunctions) component.Args {
	a := baseArgs(f)
	a.Dashboard = pulumi.BoolRef(true)
	a.SlowCallMonitoring = &component.SlowCallMonitoringArgs{ThresholdMs: pulumi.Float64Ref(1000)}
	return a
}

// Issue 16, item 1: iamRolePath and iamPermissionsBoundary reach every role the
// breaker creates, and an unset one reaches none. The walk is over every
// registered aws:iam/role:Role, so a role created without newIAMRole (which
// applies both) fails here.
func TestEveryRoleHasTheIAMGuardrails(t *testing.T) {
	const (
		path     = "/platform/circuit-breakers/"
		boundary = "arn:aws:iam::123456789012:policy/platform/breaker-boundary"
	)
	rec, _, err := deploy(t, func(f userFunctions) component.Args {
		a := everyRoleArgs(f)
		a.IAMRolePath = pulumi.StringRef(path)
		a.IAMPermissionsBoundary = pulumi.StringRef(boundary)
		return a
	})
	require.NoError(t, err)
	roles := rec.of(roleType)
	// At least the state machine's, the controller's, the alarm handler's,
	// the healthcheck runner's, the schedule's, reconciliation's and the
	// event publisher's: a floor, so that a new role is walked, not counted.
	require.GreaterOrEqual(t, len(roles), 7, "the breaker's roles")
	for _, r := range roles {
		require.Truef(t, strings.HasSuffix(r.Parent, "::breaker"), "%s is not the breaker's", r.Name)
		require.Equalf(t, resource.NewStringProperty(path), r.Inputs["path"], "%s's path: create every role with newIAMRole (component/iam.go)", r.Name)
		require.Equalf(t, resource.NewStringProperty(boundary), r.Inputs["permissionsBoundary"], "%s's permissions boundary: create every role with newIAMRole (component/iam.go)", r.Name)
		// The path is part of the role's ARN, which the functions, the state
		// machine and the schedules are given.
		require.Containsf(t, r.State["arn"].StringValue(), ":role"+path, "%s's ARN", r.Name)
	}

	rec, _, err = deploy(t, everyRoleArgs)
	require.NoError(t, err)
	roles = rec.of(roleType)
	require.GreaterOrEqual(t, len(roles), 7)
	for _, r := range roles {
		for _, k := range []resource.PropertyKey{"path", "permissionsBoundary"} {
			_, set := r.Inputs[k]
			require.Falsef(t, set, "%s has %s although the input is unset (an existing stack would see a diff)", r.Name, k)
		}
	}
}

// Bad guardrails are refused at preview, each naming the input and the fix.
// The rules are IAM's CreateRole (IAM API Reference; botocore's model of IAM
// 2010-05-08: Path is a pathType, 1-512 characters matching
// (\u002F)|(\u002F[\u0021-\u007E]+\u002F); PermissionsBoundary an arnType of
// 20-2048 characters, "the ARN of the managed policy"), and the Terraform AWS
// provider's aws_iam_role (internal/service/iam/role.go: path
// StringLenBetween(0, 512); permissions_boundary verify.ValidARN, which checks
// the partition ^aws(-[a-z]+)*$, an empty Region and the account
// ^(aws|aws-managed|\d{12})$).
func TestBadIAMGuardrailsAreRefusedAtPreview(t *testing.T) {
	resolve := func(path, boundary *string) (map[string]string, error) {
		_, err := component.Resolve(component.Args{ServiceName: "payments", DownstreamFunction: nilFn(), HealthcheckFunction: nilFn(),
			IAMRolePath: path, IAMPermissionsBoundary: boundary})
		if err != nil {
			return inputError(t, err), err
		}
		return nil, nil
	}
	for _, ok := range []string{"/", "/platform/", "/a/b/c/", "/" + strings.Repeat("p", 510) + "/", "/!~:@_-+=,./"} {
		_, err := resolve(&ok, nil)
		require.NoError(t, err, ok)
	}
	for _, ok := range []string{
		"arn:aws:iam::123456789012:policy/boundary",
		"arn:aws:iam::123456789012:policy/platform/team/boundary",
		"arn:aws:iam::aws:policy/PowerUserAccess",
		"arn:aws-us-gov:iam::123456789012:policy/b",
		"arn:aws-cn:iam::123456789012:policy/a+b=c,d.e@f-g_h",
	} {
		_, err := resolve(nil, &ok)
		require.NoError(t, err, ok)
	}
	for _, tc := range []struct {
		name, path, boundary, field, want string
	}{
		{"path without slashes", "platform", "", "iamRolePath", `"platform" must start and end with '/'; write e.g. "/platform/"`},
		{"path without its last slash", "/platform", "", "iamRolePath", "must start and end with '/'"},
		{"path too long", "/" + strings.Repeat("p", 511) + "/", "", "iamRolePath", "has 513 characters; IAM takes a path of 1 to 512 characters"},
		{"space in a path", "/plat form/", "", "iamRolePath", "characters IAM refuses in a path"},
		{"non-ASCII in a path", "/plätform/", "", "iamRolePath", "characters IAM refuses in a path"},
		{"a role's ARN", "", "arn:aws:iam::123456789012:role/boundary", "iamPermissionsBoundary", "is not the ARN of a managed policy"},
		{"a Region", "", "arn:aws:iam:us-east-1:123456789012:policy/b", "iamPermissionsBoundary", "no Region: IAM is global"},
		{"a policy name alone", "", "platform-boundary-policy", "iamPermissionsBoundary", "use arn:<partition>:iam::<account ID or aws>:policy/<path><name>"},
		{"short account", "", "arn:aws:iam::12345:policy/boundary", "iamPermissionsBoundary", "is not the ARN of a managed policy"},
		{"bad partition", "", "arn:amazon:iam::123456789012:policy/boundary", "iamPermissionsBoundary", "is not the ARN of a managed policy"},
		{"no name", "", "arn:aws:iam::123456789012:policy/", "iamPermissionsBoundary", "is not the ARN of a managed policy"},
		{"too short", "", "arn:aws:iam::aws:p/", "iamPermissionsBoundary", "has 19 characters; IAM takes an ARN of 20 to 2048 characters"},
		{"too long", "", "arn:aws:iam::123456789012:policy/" + strings.Repeat("p/", 1008) + "b", "iamPermissionsBoundary", "has 2050 characters"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var path, boundary *string
			if tc.path != "" {
				path = &tc.path
			}
			if tc.boundary != "" {
				boundary = &tc.boundary
			}
			props, err := resolve(path, boundary)
			require.Error(t, err)
			require.Contains(t, props[tc.field], tc.want, "%v", err)
		})
	}
}
