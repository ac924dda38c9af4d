package component_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/component"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/dynamodb"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"
)

// twoBreakers runs a program with two breakers built by args (given the user's
// functions and a table of the program's own, named "circuits" in AWS) and
// returns the recorder and the program's error.
func twoBreakers(t *testing.T, args func(ctx *pulumi.Context, f userFunctions, mine *dynamodb.Table) (first, second func(*component.CircuitBreaker) component.Args), opts ...pulumi.RunOption) (*recorder, error) {
	t.Helper()
	rec := &recorder{}
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		f, err := newFunctions(ctx)
		if err != nil {
			return err
		}
		mine, err := dynamodb.NewTable(ctx, "circuits", &dynamodb.TableArgs{Name: pulumi.String("circuits"), HashKey: pulumi.String("serviceName")})
		if err != nil {
			return err
		}
		first, second := args(ctx, f, mine)
		a, err := component.NewCircuitBreaker(ctx, "first", first(nil))
		if err != nil {
			return err
		}
		_, err = component.NewCircuitBreaker(ctx, "second", second(a))
		return err
	}, append([]pulumi.RunOption{pulumi.WithMocks("project", "stack", rec)}, opts...)...)
	return rec, err
}

// Issue 14, item 21 (a): two breakers with one serviceName on one table would
// share one item, each taking the other's failures, trips, probes and
// overrides for its own. Where both are in one program, the second is refused
// at preview (and at up, before it creates anything), naming the field and
// the other breaker: a table passed to both, a breaker's own table passed to
// the other (`table: first.table`), and two table resources with one physical
// name. Different serviceNames on one table, and one serviceName on two
// tables, are fine.
func TestOneServiceNameOnOneTableIsRefused(t *testing.T) {
	svc := func(name string, table func(*component.CircuitBreaker) dynamodb.TableOutput, f userFunctions) func(*component.CircuitBreaker) component.Args {
		return func(first *component.CircuitBreaker) component.Args {
			a := baseArgs(f)
			a.ServiceName = name
			if table != nil {
				a.Table = table(first)
			}
			return a
		}
	}
	mineOf := func(mine *dynamodb.Table) func(*component.CircuitBreaker) dynamodb.TableOutput {
		return func(*component.CircuitBreaker) dynamodb.TableOutput { return mine.ToTableOutput() }
	}
	firstsTable := func(first *component.CircuitBreaker) dynamodb.TableOutput { return first.Table }
	for _, mode := range []struct {
		name string
		opts []pulumi.RunOption
	}{{"preview", []pulumi.RunOption{preview}}, {"up", nil}} {
		t.Run(mode.name, func(t *testing.T) {
			for _, tc := range []struct {
				name string
				args func(ctx *pulumi.Context, f userFunctions, mine *dynamodb.Table) (func(*component.CircuitBreaker) component.Args, func(*component.CircuitBreaker) component.Args)
				want string // the table as the error names it; "" for no error
			}{
				{"one table passed to both", func(_ *pulumi.Context, f userFunctions, mine *dynamodb.Table) (func(*component.CircuitBreaker) component.Args, func(*component.CircuitBreaker) component.Args) {
					return svc("payments", mineOf(mine), f), svc("payments", mineOf(mine), f)
				}, "circuits"},
				{"the first's own table passed to the second", func(_ *pulumi.Context, f userFunctions, _ *dynamodb.Table) (func(*component.CircuitBreaker) component.Args, func(*component.CircuitBreaker) component.Args) {
					return svc("payments", nil, f), svc("payments", firstsTable, f)
				}, "first-table"},
				{"two table resources with one name", func(ctx *pulumi.Context, f userFunctions, mine *dynamodb.Table) (func(*component.CircuitBreaker) component.Args, func(*component.CircuitBreaker) component.Args) {
					again, err := dynamodb.NewTable(ctx, "circuits-again", &dynamodb.TableArgs{Name: pulumi.String("circuits"), HashKey: pulumi.String("serviceName")})
					require.NoError(t, err)
					return svc("payments", mineOf(mine), f), svc("payments", mineOf(again), f)
				}, "table circuits"},
				{"two names on one table", func(_ *pulumi.Context, f userFunctions, mine *dynamodb.Table) (func(*component.CircuitBreaker) component.Args, func(*component.CircuitBreaker) component.Args) {
					return svc("payments", mineOf(mine), f), svc("refunds", mineOf(mine), f)
				}, ""},
				{"one name on two tables", func(_ *pulumi.Context, f userFunctions, mine *dynamodb.Table) (func(*component.CircuitBreaker) component.Args, func(*component.CircuitBreaker) component.Args) {
					return svc("payments", nil, f), svc("payments", mineOf(mine), f)
				}, ""},
			} {
				t.Run(tc.name, func(t *testing.T) {
					rec, err := twoBreakers(t, tc.args, mode.opts...)
					if tc.want == "" {
						require.NoError(t, err)
						return
					}
					require.Error(t, err)
					why := inputError(t, err)["serviceName"]
					require.Contains(t, why, `"payments" is also the serviceName of the CircuitBreaker "`)
					// Either claim (by resource or by physical name) may resolve
					// first: the message names the table either way.
					require.Regexp(t, `on the same table \((table )?`+regexp.QuoteMeta(strings.TrimPrefix(tc.want, "table ")), why)
					require.Contains(t, why, "give each breaker sharing a table its own serviceName")
					if tc.name != "the first's own table passed to the second" {
						// Both bring the table, so whichever claims second
						// is refused before it creates anything.
						var second, first int
						for _, c := range rec.children {
							switch {
							case strings.HasSuffix(c.Parent, "::first"):
								first++
							case strings.HasSuffix(c.Parent, "::second"):
								second++
							}
						}
						require.True(t, first == 0 || second == 0, "both breakers created children (%d, %d)", first, second)
					}
				})
			}
		})
	}
}

// Issue 14, item 28: events.enabled on a breaker whose table another breaker
// of the program created would make a second event source mapping on that
// stream, publishing each of its transitions twice (docs/events.md, "Shared
// tables": the creator publishes every circuit in its table). It is refused
// at preview, naming the field, the creator and the fix.
func TestEventsOnATableAnotherBreakerCreatedAreRefused(t *testing.T) {
	for _, mode := range []struct {
		name string
		opts []pulumi.RunOption
	}{{"preview", []pulumi.RunOption{preview}}, {"up", nil}} {
		t.Run(mode.name, func(t *testing.T) {
			rec, err := twoBreakers(t, func(_ *pulumi.Context, f userFunctions, _ *dynamodb.Table) (func(*component.CircuitBreaker) component.Args, func(*component.CircuitBreaker) component.Args) {
				return func(*component.CircuitBreaker) component.Args { return baseArgs(f) }, func(first *component.CircuitBreaker) component.Args {
					a := baseArgs(f)
					a.ServiceName = "refunds"
					a.Table = first.Table
					a.Events = &component.EventsArgs{Enabled: pulumi.BoolRef(true)}
					return a
				}
			}, mode.opts...)
			require.Error(t, err)
			why := inputError(t, err)["events.enabled"]
			require.Contains(t, why, `is true, but the table is the one the CircuitBreaker "first" created`)
			require.Contains(t, why, `drop events.enabled here (set events, and events.busName, on "first" instead)`)
			for _, c := range rec.children {
				require.Falsef(t, strings.HasSuffix(c.Parent, "::second"), "second created %s %s", c.Type, c.Name)
			}
		})
	}
	// Without events.enabled, the second breaker shares the first's table
	// and its publisher (TestEventsOnASharedTableHaveOneReader).
}

func TestCreatedByBreakerReadsTheTablesParent(t *testing.T) {
	for urn, want := range map[string]string{
		"urn:pulumi:stack::project::circuitbreaker:index:CircuitBreaker$aws:dynamodb/table:Table::first-table":         "first",
		"urn:pulumi:stack::project::my:app:Shop$circuitbreaker:index:CircuitBreaker$aws:dynamodb/table:Table::x-table": "x",
		"urn:pulumi:stack::project::aws:dynamodb/table:Table::circuits":                                                "",
		"urn:pulumi:stack::project::my:app:Shop$aws:dynamodb/table:Table::circuits":                                    "",
		"not a urn": "",
	} {
		got, ok := component.CreatedByBreaker(urn)
		require.Equal(t, want != "", ok, urn)
		require.Equal(t, want, got, urn)
	}
}

// Issue 14, item 21 (b): the reconciler records its breaker as the item's
// owner (functions/reconciler/owner.go), by the
// identity the component gives it, with a lease of three reconciliation
// periods (at least 15 minutes; the handler's default of a day for a cron
// schedule).
func TestReconcilerKnowsItsBreakersIdentity(t *testing.T) {
	env := func(rec *recorder) map[string]any {
		return rec.one(t, "aws:lambda/function:Function", "-reconciler").Inputs["environment"].ObjectValue()["variables"].Mappable().(map[string]any)
	}
	rec, _, err := deploy(t, baseArgs)
	require.NoError(t, err)
	vars := env(rec)
	require.Equal(t, "project/stack/breaker", vars["CIRCUIT_OWNER"])
	require.Equal(t, component.BreakerIdentity("project", "stack", "breaker"), vars["CIRCUIT_OWNER"])
	require.Equal(t, "900", vars["CIRCUIT_OWNER_LEASE_SECONDS"], "three runs of rate(5 minutes)")

	rec, _, err = deploy(t, func(f userFunctions) component.Args {
		a := baseArgs(f)
		a.ReconcileSchedule = pulumi.StringRef("cron(0/10 * * * ? *)")
		return a
	})
	require.NoError(t, err)
	require.NotContains(t, env(rec), "CIRCUIT_OWNER_LEASE_SECONDS", "a cron schedule's period varies: the handler's default")

	for schedule, want := range map[string]int{"rate(1 minute)": 900, "rate(5 minutes)": 900, "rate(1 hour)": 3 * 3600, "rate(2 days)": 6 * 86400, "cron(0 * * * ? *)": 0} {
		require.Equal(t, want, component.OwnerLeaseSeconds(schedule), schedule)
	}
}
