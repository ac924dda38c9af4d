// Package circuitctl is the operators' command-line tool (cmd/circuitctl):
// see a circuit (status, list), force it (open, close) and release it, clear
// an alarm source or a hold, repair an item the breaker cannot act on, and
// prune redundant per-key items; replay evaluates a breaker's alarms on a
// function's CloudWatch history (replay.go, docs/replay.md).
//
// It reads the circuit table with GetItem and Scan, and writes only through
// circuitstore.Update with the rules of package circuit (SetOverride, the
// operators' overrides, which no Lambda applies; ClearSource, ClearHold and
// ManualRepair, Repair being the rule the Lambdas apply on each write): the
// same conditional, versioned read-modify-write as
// every writer, so that it never races the state machine or the alarm
// handler (a lost race re-reads and re-applies). prune is
// circuitstore.PruneKeys, each delete conditional on the version it read.
package circuitctl

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit/circuitstore"
)

// API is the part of the DynamoDB client the tool uses.
type API interface {
	circuitstore.API
	Scan(ctx context.Context, in *dynamodb.ScanInput, opts ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
}

// Env is what Run takes from its surroundings; tests replace parts of it.
type Env struct {
	Stdout, Stderr io.Writer
	// Version is what --version prints (cmd/circuitctl's link-time variable).
	Version string
	// Now is the clock transitions are recorded with; nil: time.Now.
	Now func() time.Time
	// NewClient builds the DynamoDB client from the connection flags; nil: the
	// SDK's default chain (environment, shared config and --profile, SSO, IMDS).
	NewClient func(ctx context.Context, c Conn) (API, error)
	// NewMetrics and NewFunctions build replay's CloudWatch and Lambda
	// clients; nil: the SDK's, configured like NewClient's.
	NewMetrics   func(ctx context.Context, c Conn) (MetricsAPI, error)
	NewFunctions func(ctx context.Context, c Conn) (FunctionsAPI, error)
}

// Conn is where the table is.
type Conn struct {
	Table, Region, Profile, EndpointURL string
}

// commands, in the order --help lists them.
var commands = []struct{ name, args, summary string }{
	{"status", "[SERVICE]", "one circuit: state, effective state, override, last transition (when, from, to, why), counters, both alarm sources, open / half-open until, version"},
	{"list", "[SERVICE]", "every circuit in the table (Scan), per-key circuits SERVICE#KEY grouped under their service; with SERVICE, that service's alone"},
	{"open", "[SERVICE] --reason TEXT", "force the circuit open: every call fails fast with CircuitOpen (no Lambda invoked) until released"},
	{"close", "[SERVICE] --reason TEXT", "force the circuit closed: every call invokes the downstream and nothing is counted, until released"},
	{"release", "[SERVICE] [--reason TEXT]", "clear the override: the circuit is back to its own state (an elapsed open duration then elects a probe)"},
	{"clear-alarm", "[SERVICE] --source S --reason TEXT", "forget what alarm source S (downstream, slowCalls, healthcheck) recorded, its state and time (and the healthcheck's runs), so that its next notice applies whatever its time; a healthcheck hold is released"},
	{"clear-hold", "[SERVICE] --reason TEXT", "end what holds the circuit now: a healthcheck hold, the open duration, a half-open period; the next call is a probe"},
	{"repair", "[SERVICE] --reason TEXT", "rewrite what the breaker cannot act on (status lists it under needs repair): unreadable values, an unknown state, override or alarm state, counters out of range, event times ahead of now, an opening beyond --max-open-duration"},
	{"prune", "SERVICE [--yes]", "delete SERVICE's per-key circuits that are CLOSED with no override and no failures (a missing item is the same circuit), each only if unchanged since read; without --yes, only show them"},
	{"replay", "--function NAME | --stack PATH", "what-if: the openings the breaker's alarms would have caused on the downstream's CloudWatch metrics (up to 15 days); `circuitctl replay --help`"},
	{"history", "[SERVICE]", "not kept: the item holds only the last transition (shown by status); see below"},
}

const usageFooter = `
Flags (before or after the command's arguments):
  --table NAME          the circuit table (the stack's tableName output)
  --service NAME        the circuit: the breaker's serviceName, or SERVICE#KEY for a per-key circuit
                        (or give it as the first argument)
  --stack PATH          read tableName, serviceName (and the region, from tableArn) from the JSON of
                        ` + "`pulumi stack output --json > outputs.json`" + `; PATH is that file or its directory
  --region REGION       AWS region (default: the SDK's: AWS_REGION, the profile's region)
  --profile NAME        shared config profile (default: AWS_PROFILE, else the default chain)
  --endpoint-url URL    DynamoDB endpoint (dynalite, DynamoDB Local)
  --output text|json    output format (default text)
  --reason TEXT         why (required by open and close; recorded as the transition's reason)
  --create              open / close a circuit that has no item yet (a healthy circuit that never
                        failed may have none; without --create a misspelt name is refused)
  --source S            clear-alarm: the alarm source, downstream, slowCalls or healthcheck
  --max-open-duration N status, list, repair: an openUntil more than N seconds ahead is wrong (default
                        86400; give the breaker's maxOpenDurationSeconds to be strict)
  --shadow              status: also the would-rejects of shadow mode (enforce: false) in the last hour
                        and day, from CloudWatch (cloudwatch:GetMetricData on CircuitBreaker WouldRejects)
  --yes                 prune: delete (without it prune only lists what it would delete)
  --debug               on an error, also print the underlying AWS SDK error
  --version             print the release version

Exit codes:
  0  ok (a write that changed nothing, e.g. open on an already forced-open circuit, is ok too)
  1  usage: bad flags or arguments; nothing was sent
  2  circuit not found: the table has no item for it. status still prints it, as CLOSED: a circuit
     with no item is closed. open / close need --create for it, release has nothing to release.
  3  table not found (DynamoDB ResourceNotFoundException)
  4  access denied (DynamoDB AccessDeniedException, or credentials AWS refused), or no credentials found
  5  conflict (the item kept changing under the conditional write) or any other error

History: the circuit's item keeps only its last transition, which status shows. Every transition
of every writer is published as an event on EventBridge (docs/events.md): route
those to a log or a store to keep a history.
`

func usage(w io.Writer) {
	fmt.Fprintln(w, "circuitctl: see, force and release the circuits of pulumi-circuitbreaker breakers.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: circuitctl COMMAND [SERVICE] [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-11s %-35s %s\n", c.name, c.args, c.summary)
	}
	fmt.Fprint(w, usageFooter)
}

// options are the parsed flags and arguments.
type options struct {
	Conn
	service, stack, output, reason, source string
	create, debug, yes, shadow             bool
	maxOpen                                int
}

// Run runs one command line (without the program name) and returns its exit
// code.
func Run(ctx context.Context, args []string, env Env) int {
	if env.Now == nil {
		env.Now = time.Now
	}
	if env.NewClient == nil {
		env.NewClient = defaultClient
	}
	if env.NewMetrics == nil {
		env.NewMetrics = defaultMetrics
	}
	if env.NewFunctions == nil {
		env.NewFunctions = defaultFunctions
	}
	if len(args) == 0 {
		usage(env.Stderr)
		return ExitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage(env.Stdout)
		return ExitOK
	case "-version", "--version", "version":
		fmt.Fprintln(env.Stdout, "circuitctl", env.Version)
		return ExitOK
	}
	cmd := args[0]
	if cmd == "replay" {
		return runReplay(ctx, args[1:], env)
	}
	known := false
	for _, c := range commands {
		known = known || c.name == cmd
	}
	if !known {
		fmt.Fprintf(env.Stderr, "circuitctl: unknown command %q\n\n", cmd)
		usage(env.Stderr)
		return ExitUsage
	}
	o, err := parse(cmd, args[1:], env)
	if errors.Is(err, flag.ErrHelp) {
		usage(env.Stdout)
		return ExitOK
	}
	if err == nil {
		err = run(ctx, cmd, o, env)
	}
	if err == nil {
		return ExitOK
	}
	ee := classify(err, o.Table, o.service)
	fmt.Fprintln(env.Stderr, "circuitctl:", ee.Error())
	if ee.code == ExitUsage {
		fmt.Fprintln(env.Stderr, "run `circuitctl --help` for the commands and flags")
	}
	if o.debug && ee.err != nil {
		fmt.Fprintln(env.Stderr, "circuitctl: debug:", ee.err.Error())
	}
	return ee.code
}

func parse(cmd string, args []string, env Env) (options, error) {
	var o options
	fs := flag.NewFlagSet("circuitctl "+cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.Table, "table", "", "")
	fs.StringVar(&o.Region, "region", "", "")
	fs.StringVar(&o.Profile, "profile", "", "")
	fs.StringVar(&o.EndpointURL, "endpoint-url", "", "")
	fs.StringVar(&o.service, "service", "", "")
	fs.StringVar(&o.stack, "stack", "", "")
	fs.StringVar(&o.output, "output", "text", "")
	fs.StringVar(&o.reason, "reason", "", "")
	fs.BoolVar(&o.create, "create", false, "")
	fs.BoolVar(&o.debug, "debug", false, "")
	fs.StringVar(&o.source, "source", "", "")
	fs.IntVar(&o.maxOpen, "max-open-duration", DefaultMaxOpenSeconds, "")
	fs.BoolVar(&o.yes, "yes", false, "")
	fs.BoolVar(&o.shadow, "shadow", false, "")

	// Go's flag package stops at the first argument; operators write
	// `circuitctl open payments --reason x`, so parse around positionals.
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return o, err
			}
			return o, usageError("%s", flagError(err))
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
	switch {
	case len(positional) > 1:
		return o, usageError("%s takes one circuit, got %q", cmd, positional)
	case len(positional) == 1 && o.service != "" && positional[0] != o.service:
		return o, usageError("the circuit is given twice: %q and --service %q", positional[0], o.service)
	case len(positional) == 1:
		o.service = positional[0]
	}
	if o.output != "text" && o.output != "json" {
		return o, usageError("--output %q: use text or json", o.output)
	}
	if o.stack != "" {
		s, err := readStack(o.stack, o.service)
		if err != nil {
			return o, err
		}
		if o.Table == "" {
			o.Table = s.TableName
		}
		// list reads the whole table: the stack's serviceName only picks the
		// breaker's outputs, it is no filter (a circuit given on the command
		// line is).
		if o.service == "" && cmd != "list" {
			o.service = s.ServiceName
		}
		if o.Region == "" {
			o.Region = regionOfArn(s.TableArn)
		}
	}
	if o.Table == "" {
		return o, usageError("--table is required (the stack's tableName output), or --stack with a stack's outputs")
	}
	needsService := cmd != "list"
	if needsService && o.service == "" {
		return o, usageError("%s needs the circuit: give the breaker's serviceName as an argument or --service (the stack does not export serviceName unless you export it)", cmd)
	}
	if o.service != "" {
		if err := checkCircuit(cmd, o.service); err != nil {
			return o, err
		}
	}
	if (cmd == "open" || cmd == "close") && strings.TrimSpace(o.reason) == "" {
		return o, usageError("%s needs --reason TEXT: say why the circuit is forced (it is recorded on the circuit and shown by status)", cmd)
	}
	if (cmd == "clear-alarm" || cmd == "clear-hold" || cmd == "repair") && strings.TrimSpace(o.reason) == "" {
		return o, usageError("%s needs --reason TEXT: say why (it is recorded as the circuit's transition and shown by status)", cmd)
	}
	if o.create && cmd != "open" && cmd != "close" {
		return o, usageError("--create is for open and close only")
	}
	if o.source != "" && cmd != "clear-alarm" {
		return o, usageError("--source is for clear-alarm only")
	}
	if cmd == "clear-alarm" && !slices.Contains(circuit.Sources, circuit.Source(o.source)) {
		return o, usageError("clear-alarm needs --source, one of %s (got %q)", sourceNames(), o.source)
	}
	if o.yes && cmd != "prune" {
		return o, usageError("--yes is for prune only")
	}
	if o.maxOpen < 1 {
		return o, usageError("--max-open-duration %d: give the breaker's maxOpenDurationSeconds, a number of seconds >= 1", o.maxOpen)
	}
	if cmd == "prune" && strings.Contains(o.service, circuit.KeySeparator) {
		return o, usageError("prune %q: give the service (prune deletes its per-key circuits SERVICE#KEY), not one circuit", o.service)
	}
	return o, nil
}

// flagError is the flag package's parse error as the tool prints it. The
// flag package echoes the argument raw ("flag provided but not defined:
// -\x1b[2J", "flag needs an argument: -..."), which would reach the terminal
// (issue 14 item 10; found by FuzzCommandLine): what follows its message is
// bounded (circuit.Echo) and escaped (shown).
func flagError(err error) string {
	msg := err.Error()
	if printable(msg) && len(msg) <= 2*circuit.MaxEcho {
		return msg
	}
	if head, tail, ok := strings.Cut(msg, ": "); ok && printable(head) && len(head) <= 2*circuit.MaxEcho {
		return head + ": " + shown(circuit.Echo(tail))
	}
	return shown(circuit.Echo(msg))
}

// DefaultMaxOpenSeconds is the --max-open-duration default: a day, far above
// the component's default maxOpenDurationSeconds (600), so that status does
// not call a legitimate long opening wrong, while an opening until 9998 is.
const DefaultMaxOpenSeconds = 86400

func sourceNames() string {
	names := make([]string, len(circuit.Sources))
	for i, s := range circuit.Sources {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}

// checkCircuit refuses a circuit name no item can be meant by: a blank
// service, or SERVICE# with nothing after the separator (circuit.ItemKey
// never makes one; an empty key is the breaker's own circuit, SERVICE). It
// does not apply the request path's key rule (circuit.ValidateKey): an item a
// caller created under an older rule must stay reachable, to see, repair or
// prune it.
func checkCircuit(cmd, name string) error {
	service, key := circuit.SplitItemKey(name)
	per := strings.Contains(name, circuit.KeySeparator)
	switch {
	case strings.TrimSpace(service) != service:
		return usageError("the circuit %q has leading or trailing spaces: give the breaker's serviceName exactly", name)
	case service == "":
		return usageError("the circuit %q has no service before %q: give SERVICE or SERVICE%sKEY", name, circuit.KeySeparator, circuit.KeySeparator)
	case per && key == "" && cmd == "list":
		return usageError("list %q: give the service alone (%s) to list it and its per-key circuits", name, shellWord(service))
	case per && key == "":
		return usageError("the circuit %q has an empty key: give SERVICE%sKEY for one per-key circuit, or %s for the breaker's own circuit", name, circuit.KeySeparator, shellWord(service))
	case cmd == "list" && per:
		return usageError("list %q: list takes a service (its per-key circuits are listed under it), not one per-key circuit; use status for that", name)
	}
	return nil
}

// loadConfig is the SDK's configuration from the connection flags, with its
// credentials resolved.
func loadConfig(ctx context.Context, c Conn) (aws.Config, error) {
	var opts []func(*config.LoadOptions) error
	if c.Region != "" {
		opts = append(opts, config.WithRegion(c.Region))
	}
	if c.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(c.Profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	var noProfile config.SharedConfigProfileNotExistError
	if errors.As(err, &noProfile) {
		return aws.Config{}, usageError("--profile %q is not in the shared config files %v: check the name (aws configure list-profiles)", noProfile.Profile, noProfile.Filename)
	}
	if err != nil {
		return aws.Config{}, fmt.Errorf("loading the AWS configuration (--profile, --region): %w", err)
	}
	if cfg.Region == "" {
		return aws.Config{}, usageError("no AWS region: pass --region, set AWS_REGION, or use a profile with a region")
	}
	// The SDK resolves credentials lazily, at the first call, and its error is
	// the whole provider chain (environment, shared files, SSO, IMDS, ...) on
	// one line. Resolve them now to say what to do instead; --debug shows the
	// chain. The cache keeps them for the calls that follow.
	if cfg.Credentials != nil {
		if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
			return aws.Config{}, noCredentials(c, err)
		}
	}
	return cfg, nil
}

func defaultClient(ctx context.Context, c Conn) (API, error) {
	cfg, err := loadConfig(ctx, c)
	if err != nil {
		return nil, err
	}
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		if c.EndpointURL != "" {
			o.BaseEndpoint = aws.String(c.EndpointURL)
		}
	}), nil
}

func run(ctx context.Context, cmd string, o options, env Env) error {
	if cmd == "history" {
		fmt.Fprintln(env.Stdout, "circuitctl keeps no history: the circuit's item holds only its last transition, shown by `circuitctl status`.")
		fmt.Fprintln(env.Stdout, "Every transition is published on EventBridge (docs/events.md): route those events to keep one.")
		return nil
	}
	client, err := env.NewClient(ctx, o.Conn)
	if err != nil {
		return err
	}
	t := newTool(client, o, env)
	switch cmd {
	case "status":
		return t.status(ctx)
	case "list":
		return t.list(ctx)
	case "open":
		return t.override(ctx, cmd, forcedOpen)
	case "close":
		return t.override(ctx, cmd, forcedClosed)
	case "release":
		return t.override(ctx, cmd, released)
	case "clear-alarm", "clear-hold", "repair":
		return t.fix(ctx, cmd)
	case "prune":
		return t.prune(ctx)
	}
	return usageError("unknown command %q", cmd)
}
