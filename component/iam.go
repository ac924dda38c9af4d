package component

import (
	"regexp"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// iamRole is a role with its single inline policy. Resources that must not run
// before the policy exists depend on policy, not just on role.
type iamRole struct {
	role   *iam.Role
	policy *iam.RolePolicy
}

// newIAMRole is the only place the breaker creates a role, so that every role
// carries the organisation's guardrails (iamRolePath, iamPermissionsBoundary);
// TestEveryRoleHasTheIAMGuardrails fails on a role created elsewhere.
func newIAMRole(g *graph, suffix, service string, policy pulumi.StringOutput) (*iamRole, error) {
	trust := g.account.ApplyT(func(account string) string { return AssumeRolePolicy(service, account) }).(pulumi.StringOutput)
	args := &iam.RoleArgs{
		AssumeRolePolicy: trust,
		Description:      pulumi.Sprintf("Circuit breaker %s: %s", g.s.ServiceName, suffix),
		Tags:             g.tags,
	}
	// Unset stays unset (not "/" or ""), so that existing stacks see no diff.
	if g.s.IAMRolePath != "" {
		args.Path = pulumi.String(g.s.IAMRolePath)
	}
	if g.s.IAMPermissionsBoundary != "" {
		args.PermissionsBoundary = pulumi.String(g.s.IAMPermissionsBoundary)
	}
	role, err := iam.NewRole(g.ctx, g.child(suffix+"-role"), args, g.parent)
	if err != nil {
		return nil, err
	}
	rp, err := iam.NewRolePolicy(g.ctx, g.child(suffix+"-policy"), &iam.RolePolicyArgs{
		Role:   role.Name,
		Policy: policy,
	}, g.parent)
	if err != nil {
		return nil, err
	}
	return &iamRole{role: role, policy: rp}, nil
}

// iamPathPattern is IAM's pathType (IAM API Reference, CreateRole, Path; the
// API model's pattern `(\u002F)|(\u002F[\u0021-\u007E]+\u002F)`): "/" alone,
// or '/' ... '/' around printable ASCII from '!' to '~'. Its length range is
// IAMRolePathLength.
var iamPathPattern = regexp.MustCompile(`^(/|/[\x21-\x7E]+/)$`)

// iamPolicyArnPattern is the ARN of a managed policy, the only thing IAM takes
// as a permissions boundary (CreateRole, PermissionsBoundary: "The ARN of the
// managed policy"): arn:<partition>::iam::<account>:policy/<path><name>, the
// account 12 digits or "aws" for an AWS managed policy. The partition, the
// empty Region and the account are what the Terraform AWS provider's
// verify.ValidARN (aws_iam_role.permissions_boundary) checks; the policy's
// name is IAM's policyNameType ([\w+=,.@-]+, 1-128) after an optional path.
var iamPolicyArnPattern = regexp.MustCompile(`^arn:(aws(-[a-z]+)*):iam::(\d{12}|aws):policy/((?:[\x21-\x7E]*/)?)([\w+=,.@-]{1,128})$`)

// checkIAMGuardrails checks iamRolePath and iamPermissionsBoundary against
// what IAM's CreateRole accepts, at preview (the aws provider checks only the
// path's length and the ARN's outline, and IAM refuses the rest at up).
func checkIAMGuardrails(p *problems, s Settings) {
	if path := s.IAMRolePath; path != "" {
		r := IAMRolePathLength
		switch {
		case !r.Contains(len(path)):
			p.add("iamRolePath", "has %d characters; IAM takes a path of %s characters, e.g. \"/platform/\"", len(path), r)
		case !strings.HasPrefix(path, "/") || !strings.HasSuffix(path, "/"):
			p.add("iamRolePath", "%q must start and end with '/'; write e.g. \"/%s/\"", path, strings.Trim(path, "/"))
		case !iamPathPattern.MatchString(path):
			p.add("iamRolePath", "%q has characters IAM refuses in a path (spaces, control or non-ASCII characters); use printable ASCII between the slashes, e.g. \"/platform/\"", path)
		}
	}
	if arn := s.IAMPermissionsBoundary; arn != "" {
		r := IAMPolicyArnLength
		switch {
		case !r.Contains(len(arn)):
			p.add("iamPermissionsBoundary", "has %d characters; IAM takes an ARN of %s characters: the ARN of a managed policy, e.g. \"arn:aws:iam::123456789012:policy/platform-boundary\"", len(arn), r)
		case !iamPolicyArnPattern.MatchString(arn):
			p.add("iamPermissionsBoundary", "%q is not the ARN of a managed policy; use arn:<partition>:iam::<account ID or aws>:policy/<path><name>, e.g. \"arn:aws:iam::123456789012:policy/platform-boundary\" (no Region: IAM is global)", arn)
		}
	}
}
