package standinaws

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/dev/fakes/fakeaws"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// How the real provider words what it refuses, so that a stand-in failure
// reads as the real one would in `pulumi preview`:
//
//   - pulumi-terraform-bridge pkg/tfbridge/provider.go (Provider.Check) runs
//     the Terraform provider's ValidateResource and turns each diagnostic into
//     a CheckFailure (adapt_check_failures.go): "<summary>. <detail>", then
//     check_failures.go (NewCheckFailure) appends ". Examine values at
//     '<resource name>.<property path>'." and leaves CheckFailure.Property
//     empty on purpose ("Do not populate Property here as that changes the UX
//     of how it displays in CLI").
//   - The summaries and details are terraform-plugin-sdk/v2
//     helper/schema/schema.go (schemaMap.validate, validateObject,
//     validatePrimitive, validateList, validateConflictingAttributes,
//     validateExactlyOneAttribute, ...), quoted below; a validator's own
//     message (e.g. "expected length of name to be in the range (1 - 64), got
//     ...") is recorded by dev/tools/tfawsschema.
//   - Wrong types: the bridge's type checker (pkg/tfbridge/typechecker)
//     words them "expected <type> type, got <value> of type <type>". The real
//     provider only warns with it unless PULUMI_ERROR_TYPE_CHECKER is set (and
//     then the Terraform provider refuses what it cannot decode); the stand-in
//     refuses, as with that variable set, and accepts what the type checker
//     accepts (numbers and booleans as strings, numeric strings as numbers).
//   - Auto-naming: a name too long for pulumi-aws's limit fails Check itself
//     with the error of pulumi-terraform-bridge pkg/tfbridge/info/autonaming.go
//     (ComputeAutoNameDefault) around pulumi's resource.NewUniqueName.

type checker struct {
	urnName  string
	failures []*pulumirpc.CheckFailure
}

func (c *checker) fail(reason string, path resource.PropertyPath) {
	if len(path) > 0 {
		reason = fmt.Sprintf("%s. Examine values at '%s.%s'.", reason, c.urnName, path.String())
	}
	c.failures = append(c.failures, &pulumirpc.CheckFailure{Reason: reason})
}

// autoName gives the resource its physical name as pulumi-aws would when the
// program sets none: the old one on an update, else the logical name plus
// "-" and 7 random characters, refused when that exceeds pulumi-aws's limit.
// A property that conflicts with the name (namePrefix) turns auto-naming off,
// as the bridge skips defaults that would conflict (pkg/tfbridge/schema.go,
// applyDefaults).
func autoName(token string, ref *ResourceRef, urnName string, news, olds resource.PropertyMap) error {
	a := ref.AutoName
	if a == nil {
		return nil
	}
	key := resource.PropertyKey(a.Property)
	if news.HasValue(key) {
		return nil
	}
	for _, c := range ref.Inputs[a.Property].ConflictsWith {
		if news.HasValue(resource.PropertyKey(c.Pulumi)) {
			return nil
		}
	}
	if old, ok := olds[key]; ok && old.IsString() && old.StringValue() != "" {
		news[key] = old
		return nil
	}
	prefix := urnName + a.Separator
	if len(prefix)+a.RandLength > a.MaxLength {
		return fmt.Errorf("could not make instance of '%v': name '%s' plus %d random chars is longer than maximum length %d",
			token, prefix, a.RandLength, a.MaxLength)
	}
	news[key] = resource.NewStringProperty(fakeaws.AutoName(urnName))
	return nil
}

// checkInputs returns what the real provider's Check would refuse.
func checkInputs(ref *ResourceRef, urnName string, news resource.PropertyMap) []*pulumirpc.CheckFailure {
	c := &checker{urnName: urnName}
	c.object(ref.Inputs, news, nil, "", ref.ComputedOnly)
	return c.failures
}

func present(m resource.PropertyMap, k string) bool {
	v, ok := m[resource.PropertyKey(k)]
	return ok && !v.IsNull()
}

func unknown(v resource.PropertyValue) bool {
	return v.ContainsUnknowns()
}

func tfKeys(self string, refs []Ref) []string {
	keys := []string{self}
	for _, r := range refs {
		keys = append(keys, r.Terraform)
	}
	sort.Strings(keys)
	return slices.Compact(keys)
}

// object checks one level (the resource's inputs or a nested block) in the
// order schemaMap.validate checks each attribute, then the keys nothing
// declares (validateObject).
func (c *checker) object(props map[string]*Prop, values resource.PropertyMap, path resource.PropertyPath, tfPrefix string, computedOnly map[string]string) {
	names := make([]string, 0, len(props))
	for k := range props {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		p := props[k]
		at := append(append(resource.PropertyPath{}, path...), k)
		tfKey := tfPrefix + p.Terraform
		v, has := values[resource.PropertyKey(k)]
		has = has && !v.IsNull()
		if len(p.ExactlyOneOf) > 0 {
			keys := tfKeys(tfKey, p.ExactlyOneOf)
			var specified []string
			unknowns := 0
			for _, r := range append([]Ref{{Terraform: p.Terraform, Pulumi: k}}, p.ExactlyOneOf...) {
				if rv, ok := values[resource.PropertyKey(r.Pulumi)]; ok && !rv.IsNull() {
					if unknown(rv) {
						unknowns++
					} else if !slices.Contains(specified, tfPrefix+r.Terraform) {
						specified = append(specified, tfPrefix+r.Terraform)
					}
				}
			}
			sort.Strings(specified)
			if len(specified) == 0 && unknowns == 0 {
				c.fail(fmt.Sprintf("Invalid combination of arguments. %q: one of `%s` must be specified", tfKey, strings.Join(keys, ",")), at)
				continue
			}
			if len(specified) > 1 {
				c.fail(fmt.Sprintf("Invalid combination of arguments. %q: only one of `%s` can be specified, but `%s` were specified.",
					tfKey, strings.Join(keys, ","), strings.Join(specified, ",")), at)
				continue
			}
		}
		if len(p.AtLeastOneOf) > 0 {
			found := has
			for _, r := range p.AtLeastOneOf {
				found = found || present(values, r.Pulumi)
			}
			if !found {
				c.fail(fmt.Sprintf("Missing required argument. %q: one of `%s` must be specified", tfKey, strings.Join(tfKeys(tfKey, p.AtLeastOneOf), ",")), at)
				continue
			}
		}
		if !has {
			if p.Required || p.TerraformRequired {
				c.fail(fmt.Sprintf("Missing required argument. The argument %q is required, but no definition was found.", tfKey), at)
			}
			continue
		}
		if len(p.RequiredWith) > 0 {
			all := true
			for _, r := range p.RequiredWith {
				all = all && present(values, r.Pulumi)
			}
			if !all {
				c.fail(fmt.Sprintf("Missing required argument. %q: all of `%s` must be specified", tfKey, strings.Join(tfKeys(tfKey, p.RequiredWith), ",")), at)
				continue
			}
		}
		if p.ComputedOnly {
			c.fail(fmt.Sprintf("Value for unconfigurable attribute. Can't configure a value for %q: its value will be decided "+
				"automatically based on the result of applying this configuration.", tfKey), at)
			continue
		}
		if unknown(v) {
			continue // validated once known, as Terraform does
		}
		conflict := false
		for _, r := range p.ConflictsWith {
			if rv, ok := values[resource.PropertyKey(r.Pulumi)]; ok && !rv.IsNull() && !unknown(rv) {
				c.fail(fmt.Sprintf("Conflicting configuration arguments. %q: conflicts with %s", tfKey, tfPrefix+r.Terraform), at)
				conflict = true
				break
			}
		}
		if conflict {
			continue
		}
		c.value(p, v, at, tfKey)
	}
	var extra []string
	for k := range values {
		if _, ok := props[string(k)]; !ok && !strings.HasPrefix(string(k), "__") {
			extra = append(extra, string(k))
		}
	}
	sort.Strings(extra)
	for _, k := range extra {
		at := append(append(resource.PropertyPath{}, path...), k)
		if tf, ok := computedOnly[k]; ok {
			c.fail(fmt.Sprintf("Value for unconfigurable attribute. Can't configure a value for %q: its value will be decided "+
				"automatically based on the result of applying this configuration.", tf), at)
			continue
		}
		c.fail("Invalid or unknown key", at)
	}
}

// typeFailure is the bridge type checker's wording (newTypeFailure,
// previewPropertyValue).
func (c *checker) typeFailure(expected string, v resource.PropertyValue, at resource.PropertyPath) {
	preview := v.String()
	if v.IsString() {
		preview = strconv.Quote(v.StringValue())
	}
	if len(preview) > 30 {
		preview = preview[:27] + "..."
	}
	c.fail(fmt.Sprintf("expected %s type, got %s of type %s", expected, preview, v.TypeString()), at)
}

func (c *checker) value(p *Prop, v resource.PropertyValue, at resource.PropertyPath, tfKey string) {
	for v.IsSecret() || v.IsOutput() {
		if v.IsSecret() {
			v = v.SecretValue().Element
		} else {
			if !v.OutputValue().Known {
				return
			}
			v = v.OutputValue().Element
		}
	}
	if v.IsComputed() || v.IsNull() || v.IsResourceReference() {
		return // as the bridge's type checker: references are not type checked
	}
	switch p.Type {
	case "string":
		if !v.IsString() && !v.IsNumber() && !v.IsBool() {
			c.typeFailure("string", v, at)
			return
		}
		if v.IsString() {
			c.validateString(p.Validation, v.StringValue(), at)
		}
	case "integer", "number":
		n := 0.0
		switch {
		case v.IsNumber():
			n = v.NumberValue()
		case v.IsString():
			f, err := strconv.ParseFloat(strings.TrimSpace(v.StringValue()), 64)
			if err != nil {
				c.typeFailure(p.Type, v, at)
				return
			}
			n = f
		default:
			c.typeFailure(p.Type, v, at)
			return
		}
		if p.Type == "integer" {
			if n != math.Trunc(n) {
				c.fail(fmt.Sprintf("Attribute must be a whole number, got %v", n), at)
				return
			}
			c.validateInt(p.Validation, int(n), at)
		}
	case "boolean":
		if !v.IsBool() && !(v.IsString() && (v.StringValue() == "true" || v.StringValue() == "false")) {
			c.typeFailure("boolean", v, at)
		}
	case "any":
		// pulumi-aws takes a string or a resource (AltTypes); Terraform sees a
		// single value either way.
		switch {
		case v.IsArray():
			c.fail("Attribute must be a single value, not a list", at)
		case v.IsObject():
			c.fail("Attribute must be a single value, not a map", at)
		case v.IsString():
			c.validateString(p.Validation, v.StringValue(), at)
		}
	case "archive":
		if !v.IsArchive() {
			c.typeFailure("archive", v, at)
		}
	case "asset":
		if !v.IsAsset() {
			c.typeFailure("asset", v, at)
		}
	case "assetOrArchive":
		if !v.IsAsset() && !v.IsArchive() {
			c.typeFailure("asset or archive", v, at)
		}
	case "array":
		if !v.IsArray() {
			c.typeFailure("array", v, at)
			return
		}
		items := v.ArrayValue()
		if p.MaxItems > 0 && len(items) > p.MaxItems {
			c.fail(fmt.Sprintf("Too many list items. Attribute %s supports %d item maximum, but config has %d declared.", tfKey, p.MaxItems, len(items)), at)
			return
		}
		if p.MinItems > 0 && len(items) < p.MinItems {
			c.fail(fmt.Sprintf("Not enough list items. Attribute %s requires %d item minimum, but config has only %d declared.", tfKey, p.MinItems, len(items)), at)
			return
		}
		for i, item := range items {
			c.item(p.Items, item, append(append(resource.PropertyPath{}, at...), i), fmt.Sprintf("%s.%d", tfKey, i))
		}
	case "map":
		if !v.IsObject() {
			c.typeFailure("object", v, at)
			return
		}
		m := v.ObjectValue()
		keys := m.StableKeys()
		for _, k := range keys {
			c.item(p.Items, m[k], append(append(resource.PropertyPath{}, at...), string(k)), tfKey+"."+string(k))
		}
	case "object":
		if !v.IsObject() {
			c.typeFailure("object", v, at)
			return
		}
		c.object(p.Properties, v.ObjectValue(), at, tfKey+".0.", nil)
	}
}

// item checks one element of a list or map: a nested block or a primitive.
func (c *checker) item(p *Prop, v resource.PropertyValue, at resource.PropertyPath, tfKey string) {
	if p == nil || v.IsComputed() {
		return
	}
	if p.Type == "object" && p.Terraform == "" {
		if !v.IsObject() {
			c.typeFailure("object", v, at)
			return
		}
		c.object(p.Properties, v.ObjectValue(), at, tfKey+".", nil)
		return
	}
	c.value(p, v, at, tfKey)
}

func message(val *Validation, key, value, fallback string) string {
	if t, ok := val.Messages[key]; ok && t != "" {
		return strings.ReplaceAll(t, "{value}", value)
	}
	return fallback
}

func (c *checker) validateString(val *Validation, s string, at resource.PropertyPath) {
	if val == nil {
		return
	}
	switch val.Kind {
	case "enum":
		if !slices.Contains(val.Enum, s) && !(val.Pattern != "" && matches(val.Pattern, s)) {
			c.fail(message(val, "notInEnum", s, fmt.Sprintf("expected value to be one of %q, got %s", val.Enum, s)), at)
		}
	case "pattern":
		if !matches(val.Pattern, s) {
			c.fail(message(val, "noMatch", s, fmt.Sprintf("expected value to match regular expression %q, got %s", val.Pattern, s)), at)
		}
	case "string":
		if (val.MinLength != nil && len(s) < *val.MinLength) || (val.MaxLength != nil && len(s) > *val.MaxLength) {
			limit := "unbounded"
			if val.MaxLength != nil {
				limit = strconv.Itoa(*val.MaxLength)
			}
			c.fail(message(val, "tooLong", s, fmt.Sprintf("expected length to be in the range (%d - %s), got %s", *val.MinLength, limit, s)), at)
		}
		if !charsOK(val, s) {
			c.fail(message(val, "badChar", s, fmt.Sprintf("invalid value %q: allowed characters are %q", s, val.Chars)), at)
		}
	}
}

// charsOK is the character model dev/tools/tfawsschema probed (and compared with
// the real validator on generated samples).
func charsOK(val *Validation, s string) bool {
	rs := []rune(s)
	for i, r := range rs {
		set := val.Chars
		switch {
		case i == 0:
			set = val.FirstChars
		case i == len(rs)-1:
			set = val.LastChars
		}
		// A character the probes never tried is not refused.
		if strings.ContainsRune(val.Alphabet, r) && !strings.ContainsRune(set, r) {
			return false
		}
	}
	return true
}

func (c *checker) validateInt(val *Validation, n int, at resource.PropertyPath) {
	if val == nil {
		return
	}
	switch val.Kind {
	case "intRange":
		if (val.Min != nil && n < *val.Min) || (val.Max != nil && n > *val.Max) {
			c.fail(message(val, "outOfRange", strconv.Itoa(n), fmt.Sprintf("expected value to be in range, got %d", n)), at)
		}
	case "intEnum":
		if !slices.Contains(val.IntEnum, n) {
			c.fail(message(val, "notInEnum", strconv.Itoa(n), fmt.Sprintf("expected value to be one of %v, got %d", val.IntEnum, n)), at)
		}
	}
}

var patterns sync.Map // pattern -> *regexp.Regexp

// matches reports whether s matches pattern; a pattern that does not compile
// (a bad reference) matches nothing, so the stand-in refuses rather than
// passes what it cannot check.
func matches(pattern, s string) bool {
	re, ok := patterns.Load(pattern)
	if !ok {
		compiled, err := regexp.Compile(pattern)
		if err != nil {
			return false
		}
		re, _ = patterns.LoadOrStore(pattern, compiled)
	}
	return re.(*regexp.Regexp).MatchString(s)
}
