// Command tfawsschema is TEST-ONLY tooling: it dumps, from the Terraform AWS
// provider's own Go code (the code pulumi-aws wraps), what that provider
// refuses and replaces for the few resource types the circuit breaker and its
// examples create, so that the test-only stand-in aws plugin
// (dev/fakes/standinaws) can refuse and replace the same way without anyone
// copying limits by hand.
//
// For each Terraform resource it records every attribute's type, whether it is
// required, optional or computed, ForceNew, MaxItems/MinItems, ConflictsWith /
// ExactlyOneOf / AtLeastOneOf / RequiredWith, whether a DiffSuppressFunc or the
// resource's CustomizeDiff exists (those the stand-in cannot run), and, for
// attributes with a ValidateFunc or ValidateDiagFunc, what that validator
// accepts, found by calling it with generated values:
//
//   - enumerations (the validator's "one of [...]" list, then every listed
//     value re-checked as accepted and a junk value as refused);
//   - integer ranges (bounds found by bisection and re-checked at and beyond
//     each bound) and integer enumerations;
//   - string lengths (every length from 0 to 4096 of "aaa...") and characters
//     (every printable ASCII character first, inside and last), then the model
//     compared with the real validator on generated samples; disagreements are
//     recorded, so the stand-in's docs can say where it is approximate;
//   - the validator's own messages for a too-long value and a bad character.
//
// It imports the provider's internal service packages, which Go allows only
// from a module path inside the provider's (hence this module's path). It is
// not part of `make test`: it needs the provider's module and links a large
// part of it (minutes, gigabytes). Run it with `make standin-tf-reference`,
// which writes dev/fakes/standinaws/reference/terraform-aws.json.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand"
	"os"
	"regexp"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/go-cty/cty"
	"github.com/hashicorp/terraform-plugin-sdk/v2/helper/schema"
	"github.com/hashicorp/terraform-provider-aws/internal/conns"
	"github.com/hashicorp/terraform-provider-aws/internal/service/cloudwatch"
	"github.com/hashicorp/terraform-provider-aws/internal/service/dynamodb"
	"github.com/hashicorp/terraform-provider-aws/internal/service/iam"
	"github.com/hashicorp/terraform-provider-aws/internal/service/lambda"
	"github.com/hashicorp/terraform-provider-aws/internal/service/logs"
	"github.com/hashicorp/terraform-provider-aws/internal/service/scheduler"
	"github.com/hashicorp/terraform-provider-aws/internal/service/sfn"
	"github.com/hashicorp/terraform-provider-aws/internal/service/sns"
	"github.com/hashicorp/terraform-provider-aws/internal/service/sqs"
)

// wanted are the Terraform resources behind the aws types the component, the
// examples and the engine tests create (pulumi-aws provider/resources.go maps
// each to its token; dev/fakes/standinaws/gen checks the mapping).
var wanted = []string{
	"aws_cloudwatch_dashboard",
	"aws_cloudwatch_log_group",
	"aws_cloudwatch_log_metric_filter",
	"aws_cloudwatch_metric_alarm",
	"aws_dynamodb_table",
	"aws_iam_role",
	"aws_iam_role_policy",
	"aws_iam_role_policy_attachment",
	"aws_lambda_alias",
	"aws_lambda_event_source_mapping",
	"aws_lambda_function",
	"aws_lambda_function_event_invoke_config",
	"aws_lambda_permission",
	"aws_scheduler_schedule",
	"aws_sfn_state_machine",
	"aws_sns_topic",
	"aws_sns_topic_policy",
	"aws_sns_topic_subscription",
	"aws_sqs_queue",
}

// Dump is the file this command writes.
type Dump struct {
	Comment   []string            `json:"//"`
	Module    string              `json:"module"`
	Version   string              `json:"version"`
	Resources map[string]Resource `json:"resources"`
}

// Resource is one Terraform resource type.
type Resource struct {
	Attributes    map[string]*Attribute `json:"attributes"`
	CustomizeDiff bool                  `json:"customizeDiff,omitempty"`
}

// Attribute is one attribute or nested block.
type Attribute struct {
	Type          string                `json:"type"` // string, int, float, bool, list, set, map
	Required      bool                  `json:"required,omitempty"`
	Optional      bool                  `json:"optional,omitempty"`
	Computed      bool                  `json:"computed,omitempty"`
	ForceNew      bool                  `json:"forceNew,omitempty"`
	Sensitive     bool                  `json:"sensitive,omitempty"`
	DiffSuppress  bool                  `json:"diffSuppress,omitempty"`
	MaxItems      int                   `json:"maxItems,omitempty"`
	MinItems      int                   `json:"minItems,omitempty"`
	ConflictsWith []string              `json:"conflictsWith,omitempty"`
	ExactlyOneOf  []string              `json:"exactlyOneOf,omitempty"`
	AtLeastOneOf  []string              `json:"atLeastOneOf,omitempty"`
	RequiredWith  []string              `json:"requiredWith,omitempty"`
	Default       any                   `json:"default,omitempty"`
	Elem          *Attribute            `json:"elem,omitempty"`  // element of a list, set or map of primitives
	Block         map[string]*Attribute `json:"block,omitempty"` // element of a list or set of objects
	Validation    *Validation           `json:"validation,omitempty"`
}

// Validation is what probing the attribute's validator found.
type Validation struct {
	// Kind: enum, intRange, intEnum, string (length and characters), or
	// unmodeled (a validator exists but none of the models fits it).
	Kind       string   `json:"kind"`
	Enum       []string `json:"enum,omitempty"`
	IntEnum    []int    `json:"intEnum,omitempty"`
	Min        *int     `json:"min,omitempty"`
	Max        *int     `json:"max,omitempty"`
	MinLength  *int     `json:"minLength,omitempty"`
	MaxLength  *int     `json:"maxLength,omitempty"`
	FirstChars string   `json:"firstChars,omitempty"`
	Chars      string   `json:"chars,omitempty"`
	LastChars  string   `json:"lastChars,omitempty"`
	Alphabet   string   `json:"alphabet,omitempty"` // the characters probed
	// Messages are the validator's own, with the offending value replaced by
	// {value}: tooLong, badChar, notInEnum, outOfRange.
	Messages map[string]string `json:"messages,omitempty"`
	// Samples and Disagreements: generated values on which the model and the
	// real validator were compared, and those on which they differ.
	Samples       int      `json:"samples,omitempty"`
	Disagreements []string `json:"disagreements,omitempty"`
	Note          string   `json:"note,omitempty"`
}

func main() {
	out := flag.String("out", "-", "file to write, - for stdout")
	flag.Parse()
	ctx := context.Background()
	factories := map[string]func() *schema.Resource{}
	for _, sp := range []conns.ServicePackage{
		cloudwatch.ServicePackage(ctx), dynamodb.ServicePackage(ctx), iam.ServicePackage(ctx),
		lambda.ServicePackage(ctx), logs.ServicePackage(ctx), scheduler.ServicePackage(ctx),
		sfn.ServicePackage(ctx), sns.ServicePackage(ctx), sqs.ServicePackage(ctx),
	} {
		for _, r := range sp.SDKResources(ctx) {
			factories[r.TypeName] = r.Factory
		}
	}
	module, version := providerVersion()
	d := Dump{
		Comment: []string{
			"GENERATED by dev/tools/tfawsschema (`make standin-tf-reference`): do not edit.",
			"What the Terraform AWS provider " + module + "@" + version + " declares and validates for the resources the",
			"circuit breaker creates, read from its Go schema and by calling its validators. pulumi-aws 6.83 wraps the 5.x",
			"line of this provider; this is the 6.x line (the one the Go module proxy serves): see docs/sdks.md, Version skew.",
		},
		Module: module, Version: version, Resources: map[string]Resource{},
	}
	for _, name := range wanted {
		f, ok := factories[name]
		if !ok {
			fail("the provider has no SDKv2 resource %s", name)
		}
		r := f()
		d.Resources[name] = Resource{Attributes: attributes(name, "", r.SchemaMap()), CustomizeDiff: r.CustomizeDiff != nil}
	}
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		fail("%v", err)
	}
	b = append(b, '\n')
	if *out == "-" {
		os.Stdout.Write(b)
		return
	}
	if err := os.WriteFile(*out, b, 0o644); err != nil {
		fail("%v", err)
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "tfawsschema: "+format+"\n", args...)
	os.Exit(1)
}

func providerVersion() (string, string) {
	const mod = "github.com/hashicorp/terraform-provider-aws"
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == mod {
				return mod, d.Version
			}
		}
	}
	fail("cannot tell which %s was linked", mod)
	return "", ""
}

var typeNames = map[schema.ValueType]string{
	schema.TypeBool: "bool", schema.TypeInt: "int", schema.TypeFloat: "float", schema.TypeString: "string",
	schema.TypeList: "list", schema.TypeMap: "map", schema.TypeSet: "set",
}

// attributes describes a schema map; key is the Terraform path of the map's
// parent ("" at the top, "block.0" inside a block), as the SDK passes it to
// validators.
func attributes(res, key string, m map[string]*schema.Schema) map[string]*Attribute {
	out := map[string]*Attribute{}
	for name, s := range m {
		k := name
		if key != "" {
			k = key + "." + name
		}
		out[name] = attribute(res, k, s)
	}
	return out
}

func attribute(res, k string, s *schema.Schema) *Attribute {
	a := &Attribute{
		Type: typeNames[s.Type], Required: s.Required, Optional: s.Optional, Computed: s.Computed,
		ForceNew: s.ForceNew, Sensitive: s.Sensitive, DiffSuppress: s.DiffSuppressFunc != nil,
		MaxItems: s.MaxItems, MinItems: s.MinItems,
		ConflictsWith: s.ConflictsWith, ExactlyOneOf: s.ExactlyOneOf, AtLeastOneOf: s.AtLeastOneOf, RequiredWith: s.RequiredWith,
	}
	if a.Type == "" {
		fail("%s %s: unknown type %v", res, k, s.Type)
	}
	if s.Default != nil {
		if _, err := json.Marshal(s.Default); err == nil {
			a.Default = s.Default
		}
	}
	switch e := s.Elem.(type) {
	case *schema.Schema:
		a.Elem = attribute(res, k+".0", e)
	case *schema.Resource:
		a.Block = attributes(res, k+".0", e.SchemaMap())
	}
	if s.ValidateFunc != nil || s.ValidateDiagFunc != nil {
		v := validator{s: s, k: k}
		switch s.Type {
		case schema.TypeString:
			a.Validation = v.probeString()
		case schema.TypeInt:
			a.Validation = v.probeInt()
		default:
			a.Validation = &Validation{Kind: "unmodeled", Note: "validator on a " + a.Type}
		}
	}
	return a
}

// validator calls one attribute's validator as the SDK does
// (helper/schema.(*Schema).validateFunc) and collects the error texts.
type validator struct {
	s *schema.Schema
	k string
}

func (v validator) errors(val any) []string {
	var errs []string
	if v.s.ValidateDiagFunc != nil {
		for _, d := range v.s.ValidateDiagFunc(val, cty.GetAttrPath(v.k)) {
			if d.Severity == 0 { // diag.Error
				msg := d.Summary
				if d.Detail != "" {
					msg += ". " + d.Detail
				}
				errs = append(errs, msg)
			}
		}
		return errs
	}
	_, es := v.s.ValidateFunc(val, v.k)
	for _, e := range es {
		errs = append(errs, e.Error())
	}
	return errs
}

func (v validator) ok(val any) bool { return len(v.errors(val)) == 0 }

// alphabet is every character the probes try: printable ASCII, the usual
// whitespace and a few beyond ASCII. The stand-in refuses only characters of
// this alphabet the validator refused, so an untried character is accepted.
var alphabet = func() string {
	var b strings.Builder
	b.WriteString("\t\n\r")
	for c := rune(0x20); c < 0x7f; c++ {
		b.WriteRune(c)
	}
	b.WriteString("é中😀")
	return b.String()
}()

var oneOf = regexp.MustCompile(`to be one of \[(.*)\], got`)
var quoted = regexp.MustCompile(`"((?:[^"\\]|\\.)*)"`)

const junk = "\x01not-a-value\x01"

func (v validator) probeString() *Validation {
	if errs := v.errors(junk); len(errs) > 0 {
		if m := oneOf.FindStringSubmatch(errs[0]); m != nil {
			var values []string
			for _, q := range quoted.FindAllString(m[1], -1) {
				s, err := strconv.Unquote(q)
				if err == nil {
					values = append(values, s)
				}
			}
			verified := len(values) > 0
			for _, s := range values {
				verified = verified && v.ok(s)
			}
			// A pure enumeration refuses everything else (not, say,
			// validation.Any(StringInSlice, ...)).
			for _, s := range []string{"a", "A", "0", "aaaaaaaa", "-", "arn:aws:x"} {
				verified = verified && (slices.Contains(values, s) || !v.ok(s))
			}
			if verified {
				return &Validation{Kind: "enum", Enum: values, Messages: map[string]string{"notInEnum": template(errs[0], junk)}}
			}
		}
	}
	// Lengths of "aaa...": contiguous accepted lengths give the bounds.
	const maxProbe = 4096
	minLen, maxLen := -1, -1
	contiguous := true
	for n := 0; n <= maxProbe; n++ {
		if v.ok(strings.Repeat("a", n)) {
			if minLen < 0 {
				minLen = n
			} else if maxLen != n-1 {
				contiguous = false
			}
			maxLen = n
		}
	}
	if minLen < 0 {
		return &Validation{Kind: "unmodeled", Note: "refuses every run of 'a' (a pattern such as an ARN, JSON or a schedule expression)"}
	}
	if !contiguous {
		return &Validation{Kind: "unmodeled", Note: "accepted lengths of 'a' are not contiguous"}
	}
	val := &Validation{Kind: "string", MinLength: &minLen, Messages: map[string]string{}}
	if maxLen < maxProbe {
		val.MaxLength = &maxLen
		long := strings.Repeat("a", maxLen+1)
		if errs := v.errors(long); len(errs) > 0 {
			val.Messages["tooLong"] = template(errs[0], long)
		}
	}
	// Characters, at a length inside the bounds.
	n := max(minLen, 3)
	if val.MaxLength != nil && n > maxLen {
		return &Validation{Kind: "unmodeled", Note: "too short to probe characters", MinLength: &minLen, MaxLength: &maxLen}
	}
	var first, middle, last strings.Builder
	for _, c := range alphabet {
		cs := string(c)
		if v.ok(cs + strings.Repeat("a", n-1)) {
			first.WriteRune(c)
		}
		if v.ok("a" + cs + strings.Repeat("a", n-2)) {
			middle.WriteRune(c)
		}
		if v.ok(strings.Repeat("a", n-1) + cs) {
			last.WriteRune(c)
		}
	}
	val.FirstChars, val.Chars, val.LastChars = first.String(), middle.String(), last.String()
	val.Alphabet = alphabet
	if bad := firstMissing(val.Chars); bad != "" {
		s := "a" + bad + strings.Repeat("a", n-2)
		if errs := v.errors(s); len(errs) > 0 {
			val.Messages["badChar"] = template(errs[0], s)
		}
	}
	// Compare the model with the real validator on generated samples.
	rng := rand.New(rand.NewSource(1))
	letters := []rune(alphabet)
	allowed := []rune(val.Chars)
	upper := maxLen
	if val.MaxLength == nil {
		upper = 300
	}
	for i := 0; i < 4000; i++ {
		l := minLen + rng.Intn(upper-minLen+3)
		var b strings.Builder
		for j := 0; j < l; j++ {
			if rng.Intn(4) == 0 || len(allowed) == 0 {
				b.WriteRune(letters[rng.Intn(len(letters))])
			} else {
				b.WriteRune(allowed[rng.Intn(len(allowed))])
			}
		}
		s := b.String()
		val.Samples++
		if model(val, s) != v.ok(s) && len(val.Disagreements) < 8 {
			val.Disagreements = append(val.Disagreements, fmt.Sprintf("%q: real %v, model %v", s, v.ok(s), model(val, s)))
		}
	}
	return val
}

// model is the rule the stand-in applies (dev/fakes/standinaws keeps the same).
func model(v *Validation, s string) bool {
	if len(s) < *v.MinLength || (v.MaxLength != nil && len(s) > *v.MaxLength) {
		return false
	}
	rs := []rune(s)
	for i, c := range rs {
		set := v.Chars
		if i == 0 {
			set = v.FirstChars
		} else if i == len(rs)-1 {
			set = v.LastChars
		}
		if strings.ContainsRune(v.Alphabet, c) && !strings.ContainsRune(set, c) {
			return false
		}
	}
	return true
}

func firstMissing(set string) string {
	for _, c := range ".:/ #" {
		if !strings.ContainsRune(set, c) {
			return string(c)
		}
	}
	return ""
}

func template(msg, value string) string {
	return strings.ReplaceAll(msg, value, "{value}")
}

var intOneOf = regexp.MustCompile(`to be one of \[([-0-9 ]*)\]`)
var number = regexp.MustCompile(`-?[0-9]+`)

func (v validator) probeInt() *Validation {
	const lo, hi = math.MinInt32, math.MaxInt32
	probe := -987654321
	errs := v.errors(probe)
	if len(errs) > 0 {
		if m := intOneOf.FindStringSubmatch(errs[0]); m != nil {
			var values []int
			for _, f := range strings.Fields(m[1]) {
				n, err := strconv.Atoi(f)
				if err == nil && v.ok(n) {
					values = append(values, n)
				}
			}
			pure := len(values) > 0 && len(values) == len(strings.Fields(m[1]))
			// A pure enumeration refuses everything else (not, say,
			// validation.Any(IntInSlice, IntDivisibleBy)).
			for n := -100; pure && n <= 100000; n += 7 {
				pure = slices.Contains(values, n) || !v.ok(n)
			}
			for n := 0; pure && n <= 100000; n += 60 {
				pure = slices.Contains(values, n) || !v.ok(n)
			}
			if !pure {
				return &Validation{Kind: "unmodeled", Note: "accepts values outside the list its message names"}
			}
			if len(values) > 0 {
				return &Validation{Kind: "intEnum", IntEnum: values, Messages: map[string]string{"notInEnum": template(errs[0], strconv.Itoa(probe))}}
			}
		}
	}
	// An accepted value: 0, 1, or a number the validator names.
	candidates := []int{0, 1, 60, 128, 1000}
	for _, e := range errs {
		for _, s := range number.FindAllString(e, -1) {
			if n, err := strconv.Atoi(s); err == nil {
				candidates = append(candidates, n)
			}
		}
	}
	acc, found := 0, false
	for _, c := range candidates {
		if v.ok(c) {
			acc, found = c, true
			break
		}
	}
	if !found {
		return &Validation{Kind: "unmodeled", Note: "no accepted integer found"}
	}
	// Bisect each bound, assuming an interval; then check it is one.
	low := acc
	if v.ok(lo) {
		low = lo
	} else {
		a, b := lo, acc // a refused, b accepted
		for b-a > 1 {
			m := a + (b-a)/2
			if v.ok(m) {
				b = m
			} else {
				a = m
			}
		}
		low = b
	}
	high := acc
	if v.ok(hi) {
		high = hi
	} else {
		a, b := acc, hi // a accepted, b refused
		for b-a > 1 {
			m := a + (b-a)/2
			if v.ok(m) {
				a = m
			} else {
				b = m
			}
		}
		high = a
	}
	rng := rand.New(rand.NewSource(1))
	points := []int{low, high, low + (high-low)/2, low + (high-low)/3}
	for i := 0; i < 200; i++ {
		points = append(points, low+int(rng.Int63n(int64(high)-int64(low)+1)))
	}
	for _, n := range points {
		if !v.ok(n) {
			return &Validation{Kind: "unmodeled", Note: fmt.Sprintf("accepted integers are not an interval (%d refused)", n)}
		}
	}
	val := &Validation{Kind: "intRange", Messages: map[string]string{}}
	if low > lo {
		val.Min = &low
		if errs := v.errors(low - 1); len(errs) > 0 {
			val.Messages["outOfRange"] = template(errs[0], strconv.Itoa(low-1))
		}
	}
	if high < hi {
		val.Max = &high
		if errs := v.errors(high + 1); len(errs) > 0 && val.Messages["outOfRange"] == "" {
			val.Messages["outOfRange"] = template(errs[0], strconv.Itoa(high+1))
		}
	}
	return val
}
