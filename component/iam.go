package component

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// iamRole is a role with its single inline policy. Resources that must not run
// before the policy exists depend on policy, not just on role.
type iamRole struct {
	role   *iam.Role
	policy *iam.RolePolicy
}

func newIAMRole(g *graph, suffix, service string, policy pulumi.StringOutput) (*iamRole, error) {
	trust := g.account.ApplyT(func(account string) string { return AssumeRolePolicy(service, account) }).(pulumi.StringOutput)
	role, err := iam.NewRole(g.ctx, g.child(suffix+"-role"), &iam.RoleArgs{
		AssumeRolePolicy: trust,
		Description:      pulumi.Sprintf("Circuit breaker %s: %s", g.s.ServiceName, suffix),
		Tags:             g.tags,
	}, g.parent)
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
