package circuitctl

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit/circuitstore"
)

type tool struct {
	api   API
	store *circuitstore.Store
	opts  options
	env   Env
}

// newTool reads and writes through the Lambdas' own store: its decoder never
// fails (a value no rule can read, a counter written by hand as "three",
// reads as its default, noted in Circuit.Unreadable), so the tool can show,
// force and repair such an item, the case where an operator needs it most.
func newTool(api API, o options, env Env) *tool {
	return &tool{api: api, opts: o, env: env, store: circuitstore.New(api, o.Table)}
}

// limits are what status and repair take as the most a correct writer can
// leave ahead of now (circuit.Limits): an opening of --max-open-duration at
// most; the probe timeout is unknown to the tool, so a half-open deadline is
// left alone (clear-hold ends it).
func (t *tool) limits() circuit.Limits {
	return circuit.Limits{Open: circuit.Policy{OpenDuration: time.Duration(t.opts.maxOpen) * time.Second}}
}

// problems is everything repair would fix in c (circuit.Repair's lines): the
// values the decoder could not read, then the ones the rules cannot act on.
func (t *tool) problems(c circuit.Circuit) []string {
	_, fixes := c.Repair(t.env.Now().UTC(), t.limits())
	return fixes
}

// The overrides the write commands set.
var (
	forcedOpen   = circuit.ForcedOpen
	forcedClosed = circuit.ForcedClosed
	released     = circuit.NoOverride
)

// baseService is the service a circuit belongs to (itself, or the service of
// a per-key circuit's item key, circuit.SplitItemKey).
func baseService(name string) string {
	s, _ := circuit.SplitItemKey(name)
	return s
}

// read is the circuit's item, strongly consistent like the store's own reads;
// exists says whether there was an item at all (c.Unreadable lists the values
// read as their defaults).
func (t *tool) read(ctx context.Context) (c circuit.Circuit, exists bool, err error) {
	out, err := t.api.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(t.opts.Table),
		Key:            circuitstore.Item{circuit.KeyAttribute: &types.AttributeValueMemberS{Value: t.opts.service}},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return circuit.Circuit{}, false, err
	}
	c, err = circuitstore.Decode(t.opts.service, out.Item)
	return c, len(out.Item) > 0, err
}

func (t *tool) notFound() error {
	return &exitError{code: ExitCircuitNotFound, msg: fmt.Sprintf(
		"circuit %q has no item in table %s: never written (it is CLOSED) or misspelt; `circuitctl list --table %s` shows the circuits there",
		t.opts.service, t.opts.Table, t.opts.Table)}
}

func (t *tool) status(ctx context.Context) error {
	c, exists, err := t.read(ctx)
	if err != nil {
		return err
	}
	v := viewOf(c, exists, t.opts.Table)
	v.Problems = t.problems(c)
	v.WouldRejects = t.shadowView(ctx)
	if t.opts.output == "json" {
		if err := writeJSON(t.env.Stdout, v); err != nil {
			return err
		}
	} else {
		writeStatus(t.env.Stdout, v, t.env.Now())
	}
	if !exists {
		return t.notFound()
	}
	return nil
}

func (t *tool) list(ctx context.Context) error {
	var views []View
	p := dynamodb.NewScanPaginator(t.api, t.scanInput(t.opts.service))
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, item := range page.Items {
			key, ok := item[circuit.KeyAttribute].(*types.AttributeValueMemberS)
			if !ok {
				// Not a circuit's item (a table keyed otherwise fails every
				// GetItem anyway): say so rather than hide it.
				fmt.Fprintf(t.env.Stderr, "circuitctl: skipping an item whose %s is not a string\n", circuit.KeyAttribute)
				continue
			}
			c, err := circuitstore.Decode(key.Value, item)
			if err != nil {
				return err
			}
			v := viewOf(c, true, t.opts.Table)
			v.Problems = t.problems(c)
			views = append(views, v)
		}
	}
	// Grouped: a service, then its per-key circuits; services by name.
	sort.Slice(views, func(i, j int) bool {
		a, b := views[i], views[j]
		if a.Service != b.Service {
			return a.Service < b.Service
		}
		return a.Key < b.Key
	})
	if t.opts.output == "json" {
		if views == nil {
			views = []View{}
		}
		return writeJSON(t.env.Stdout, views)
	}
	writeList(t.env.Stdout, views, t.opts.Table)
	var broken []string
	for _, v := range views {
		if len(v.Problems) > 0 {
			broken = append(broken, shellWord(v.Circuit))
		}
	}
	if len(broken) > 0 {
		fmt.Fprintf(t.env.Stderr, "circuitctl: %d circuit(s) hold values the breaker cannot act on (`circuitctl status NAME` shows which, `circuitctl repair NAME --reason TEXT` fixes them): %s\n",
			len(broken), strings.Join(broken, " "))
	}
	return nil
}

// scanInput reads the whole table, strongly consistent like the store's own
// reads; with a service, only its items: SERVICE and SERVICE#... (the filter
// saves the transfer, not the read capacity: a Scan reads every item).
func (t *tool) scanInput(service string) *dynamodb.ScanInput {
	in := &dynamodb.ScanInput{TableName: aws.String(t.opts.Table), ConsistentRead: aws.Bool(true)}
	if service != "" {
		in.FilterExpression = aws.String("#k = :service OR begins_with(#k, :prefix)")
		in.ExpressionAttributeNames = map[string]string{"#k": circuit.KeyAttribute}
		in.ExpressionAttributeValues = map[string]types.AttributeValue{
			":service": &types.AttributeValueMemberS{Value: service},
			":prefix":  &types.AttributeValueMemberS{Value: service + circuit.KeySeparator},
		}
	}
	return in
}

// WriteResult is what open, close and release print in JSON.
type WriteResult struct {
	Command string `json:"command"`
	Changed bool   `json:"changed"`
	Circuit View   `json:"circuit"`
}

func (t *tool) override(ctx context.Context, cmd string, o circuit.Override) error {
	_, exists, err := t.read(ctx)
	if err != nil {
		return err
	}
	if !exists && (o == circuit.NoOverride || !t.opts.create) {
		if o == circuit.NoOverride {
			return t.notFound()
		}
		e := t.notFound().(*exitError)
		e.msg += "; to force a circuit that has no item yet, rerun with --create"
		return e
	}
	var before circuit.Circuit
	now := t.env.Now().UTC()
	after, err := t.store.Update(ctx, t.opts.service, func(c circuit.Circuit) (circuit.Circuit, bool, error) {
		before = c
		return c.SetOverride(o, now, t.opts.reason)
	})
	if err != nil {
		return err
	}
	changed := after.Version != before.Version
	t.noteRewritten(before, changed)
	v := viewOf(after, true, t.opts.Table)
	if t.opts.output == "json" {
		return writeJSON(t.env.Stdout, WriteResult{Command: cmd, Changed: changed, Circuit: v})
	}
	name := shownName(t.opts.service)
	if changed {
		tr := after.LastTransition
		fmt.Fprintf(t.env.Stdout, "%s: %s -> %s (%s), version %d\n", name, shown(string(tr.From)), shown(string(tr.To)), shown(tr.Reason), after.Version)
	} else if o == circuit.NoOverride {
		fmt.Fprintf(t.env.Stdout, "%s: no override to release; unchanged (%s, version %d)\n", name, shown(string(after.Effective())), after.Version)
	} else {
		fmt.Fprintf(t.env.Stdout, "%s: already %s; unchanged (version %d)\n", name, o, after.Version)
	}
	return nil
}

// writeJSON is every command's --output json: indented, with the runes a
// terminal could act on escaped (safeJSON).
func writeJSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(safeJSON(buf.Bytes()))
	return err
}
