package component

import (
	"runtime"
	"strings"
	"sync"
	"weak"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Two breakers with one serviceName on one table share one item: each reads
// the other's failures, trips, probes and overrides as its own, silently. A
// breaker claims (table, serviceName) when it is built, and the second
// claimant in a program is refused at preview, naming both (NewCircuitBreaker
// registers the check as an output, like the other checks on outputs). The
// table is known by its resource (URN) and, once known, by its physical name,
// so that a table passed as a resource and the same table read with
// aws.dynamodb.Table.get by name meet too. Breakers of other programs (other
// stacks, other projects) are not visible here: the alarm handler's
// reconciliation reports those at run time (the item records its owner).

// ClaimScope is where the breakers of one program claim their items: every
// NewCircuitBreaker of one *pulumi.Context shares one by default; the
// provider, which builds each breaker of a deployment in a Context of its
// own (one Construct call each), gives them all its own scope
// (WithClaimScope).
type ClaimScope struct {
	mu     sync.Mutex
	owners map[string]string // claim -> the claiming component's name
}

// NewClaimScope returns an empty scope.
func NewClaimScope() *ClaimScope { return &ClaimScope{owners: map[string]string{}} }

type claimScopeKey struct{}

// WithClaimScope makes every breaker built in ctx claim in s.
func WithClaimScope(ctx *pulumi.Context, s *ClaimScope) *pulumi.Context {
	return ctx.WithValue(claimScopeKey{}, s)
}

// programScopes are the default scopes, one per Context, dropped with it.
var programScopes sync.Map // weak.Pointer[pulumi.Context] -> *ClaimScope

func claimScopeOf(ctx *pulumi.Context) *ClaimScope {
	if s, ok := ctx.Value(claimScopeKey{}).(*ClaimScope); ok && s != nil {
		return s
	}
	key := weak.Make(ctx)
	s, loaded := programScopes.LoadOrStore(key, NewClaimScope())
	if !loaded {
		runtime.AddCleanup(ctx, func(k weak.Pointer[pulumi.Context]) { programScopes.Delete(k) }, key)
	}
	return s.(*ClaimScope)
}

// claim records owner as the breaker of serviceName on the table known as
// table, within one project and stack, and returns the other owner when
// another breaker claimed it first. The same owner claiming again (a
// component built twice in one process: preview, then update) is no conflict.
func (s *ClaimScope) claim(project, stack, table, serviceName, owner string) string {
	key := project + "\x00" + stack + "\x00" + table + "\x00" + serviceName
	s.mu.Lock()
	defer s.mu.Unlock()
	if other, ok := s.owners[key]; ok && other != owner {
		return other
	}
	s.owners[key] = owner
	return ""
}

// ServiceNameTaken explains two breakers with one serviceName on one table.
func ServiceNameTaken(serviceName, table, other string) error {
	var p problems
	p.add("serviceName", "%q is also the serviceName of the CircuitBreaker %q on the same table (%s): both would read and write one item, "+
		"each taking the other's failures, trips, probes and overrides for its own; give each breaker sharing a table its own serviceName",
		serviceName, other, table)
	return p.err()
}

// claimItem is the check that this breaker alone uses serviceName on the
// table whose resource URN is tableURN and whose physical name is tableName.
// The breaker is known by its name, unique among the program's breakers but
// for breakers nested in components of different types: its URN is an output
// of the component, and a check every child waits for (graph.gate) must not
// depend on the component, whose children it would then wait for.
func (g *graph) claimItem(tableURN pulumi.URNOutput, tableName pulumi.StringOutput) pulumi.Input {
	scope := claimScopeOf(g.ctx)
	project, stack, svc, owner := g.ctx.Project(), g.ctx.Stack(), g.s.ServiceName, g.name
	claim := func(table, shown string) error {
		if other := scope.claim(project, stack, table, svc, owner); other != "" {
			return ServiceNameTaken(svc, shown, other)
		}
		return nil
	}
	return pulumi.Map{
		// Known at preview: a resource's URN always is.
		"byResource": tableURN.ApplyT(func(u pulumi.URN) (string, error) {
			return string(u), claim("urn:"+string(u), resource.URN(u).Name())
		}).(pulumi.StringOutput),
		// Known at preview for a table that exists; a new table's auto-name
		// is unknown until up.
		"byName": tableName.ApplyT(func(name string) (string, error) {
			return name, claim("name:"+name, "table "+name)
		}).(pulumi.StringOutput),
	}
}

// breakerTableSuffix is the table child's suffix (table.go: g.child("table")).
const breakerTableSuffix = "-table"

// CreatedByBreaker reports whether tableURN is a table a CircuitBreaker
// created (its parent in the URN's type chain is a CircuitBreaker), and that
// breaker's name.
func CreatedByBreaker(tableURN string) (breaker string, ok bool) {
	u := resource.URN(tableURN)
	if !u.IsValid() {
		return "", false
	}
	types := strings.Split(string(u.QualifiedType()), "$")
	if len(types) < 2 || types[len(types)-2] != TypeToken {
		return "", false
	}
	return strings.TrimSuffix(u.Name(), breakerTableSuffix), true
}
