package circuitctl

import (
	"context"
	"fmt"
	"strings"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit/circuitstore"
)

// The repair commands: clear-alarm, clear-hold, repair (one circuit, written
// through circuitstore.Update with the rules of package circuit the Lambdas
// apply, ClearSource, ClearHold and ManualRepair, so that they never
// overwrite a concurrent writer) and prune (circuitstore.PruneKeys: per-key
// items deleted, each conditional on the version it was read at).

// FixResult is what clear-alarm, clear-hold and repair print in JSON.
type FixResult struct {
	Command string `json:"command"`
	Changed bool   `json:"changed"`
	// Fixes are repair's, one line per value it rewrote.
	Fixes   []string `json:"fixes,omitempty"`
	Circuit View     `json:"circuit"`
}

// noteRewritten says on stderr which unreadable values a write stored as
// their defaults (the decoder read them so, before.Unreadable; any write of
// the item stores every model attribute).
func (t *tool) noteRewritten(before circuit.Circuit, changed bool) {
	if changed && before.Unreadable != "" {
		notes := strings.Split(before.Unreadable, circuit.UnreadableSeparator)
		fmt.Fprintf(t.env.Stderr, "circuitctl: %s held %d unreadable value(s), now written as read: %s\n",
			shownName(t.opts.service), len(notes), shown(fmt.Sprint(notes)))
	}
}

func (t *tool) fix(ctx context.Context, cmd string) error {
	_, exists, err := t.read(ctx)
	if err != nil {
		return err
	}
	if !exists {
		return t.notFound()
	}
	now := t.env.Now().UTC()
	var fixes []string
	var before circuit.Circuit
	after, err := t.store.Update(ctx, t.opts.service, func(c circuit.Circuit) (circuit.Circuit, bool, error) {
		before = c
		switch cmd {
		case "clear-alarm":
			return c.ClearSource(circuit.Source(t.opts.source), now, t.opts.reason)
		case "clear-hold":
			return c.ClearHold(now, t.opts.reason)
		}
		next, f, changed, err := c.ManualRepair(now, t.limits(), t.opts.reason)
		fixes = f
		return next, changed, err
	})
	if err != nil {
		return err
	}
	changed := after.Version != before.Version
	if cmd != "repair" {
		t.noteRewritten(before, changed)
	}
	v := viewOf(after, true, t.opts.Table)
	if !changed {
		v.Problems = t.problems(after)
	}
	if t.opts.output == "json" {
		return writeJSON(t.env.Stdout, FixResult{Command: cmd, Changed: changed, Fixes: fixes, Circuit: v})
	}
	name := shownName(t.opts.service)
	switch {
	case !changed && cmd == "clear-alarm":
		fmt.Fprintf(t.env.Stdout, "%s: the %s alarm source has nothing recorded; unchanged (version %d)\n", name, t.opts.source, after.Version)
	case !changed && cmd == "clear-hold":
		fmt.Fprintf(t.env.Stdout, "%s: nothing holds it (%s, no healthcheck hold, no deadline ahead); unchanged (version %d)\n", name, shown(string(after.Effective())), after.Version)
	case !changed:
		fmt.Fprintf(t.env.Stdout, "%s: nothing to repair; unchanged (version %d)\n", name, after.Version)
	default:
		tr := after.LastTransition
		fmt.Fprintf(t.env.Stdout, "%s: %s -> %s (%s), version %d\n", name, shown(string(tr.From)), shown(string(tr.To)), shown(tr.Reason), after.Version)
		for _, f := range fixes {
			fmt.Fprintf(t.env.Stdout, "  fixed: %s\n", shown(f))
		}
	}
	return nil
}

// PruneResult is what prune prints in JSON: the per-key circuits it found
// prunable (deleted with --yes), and with --yes those a concurrent write kept.
type PruneResult struct {
	Service  string   `json:"service"`
	Table    string   `json:"table"`
	DryRun   bool     `json:"dryRun"`
	Scanned  int      `json:"scanned"`
	Prunable []string `json:"prunable"`
	Deleted  []string `json:"deleted"`
	// Changed are prunable circuits written since the scan read them: kept.
	Changed []string `json:"changed"`
}

// prune deletes the service's per-key items that say nothing a missing item
// does not (circuit.Prunable: CLOSED, no override, no failures, nothing the
// decoder could not read) with circuitstore.PruneKeys, the one
// implementation: each delete is conditional on the version the scan read
// (every writer bumps it, the state machine's own updates included), so a
// call that counted a failure or tripped the key in between wins, and its
// item stays.
func (t *tool) prune(ctx context.Context) error {
	rep, err := circuitstore.PruneKeys(ctx, t.api, t.opts.Table, t.opts.service, !t.opts.yes)
	if err != nil {
		return err
	}
	res := PruneResult{Service: t.opts.service, Table: t.opts.Table, DryRun: !t.opts.yes, Scanned: rep.Keys,
		Prunable: orEmpty(rep.Prunable), Deleted: orEmpty(rep.Deleted), Changed: orEmpty(rep.Changed)}
	if t.opts.output == "json" {
		return writeJSON(t.env.Stdout, res)
	}
	verb := "would delete"
	if t.opts.yes {
		verb = "deleted"
	}
	list := res.Prunable
	if t.opts.yes {
		list = res.Deleted
	}
	for _, k := range list {
		_, key := circuit.SplitItemKey(k)
		fmt.Fprintf(t.env.Stdout, "  #%s\n", shownName(key))
	}
	fmt.Fprintf(t.env.Stdout, "%s: %s %d of %d per-key circuits (CLOSED, no override, no failures) in table %s",
		shownName(t.opts.service), verb, len(list), res.Scanned, shown(t.opts.Table))
	switch {
	case !t.opts.yes && len(list) > 0:
		fmt.Fprint(t.env.Stdout, "; rerun with --yes to delete them")
	case len(res.Changed) > 0:
		fmt.Fprintf(t.env.Stdout, "; %d changed since read and kept", len(res.Changed))
	}
	fmt.Fprintln(t.env.Stdout)
	return nil
}

// orEmpty is l, or an empty list for JSON's [] rather than null.
func orEmpty(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}
