package component

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Tags AWS refuses are refused at preview. The rules every service the breaker
// tags applies (AWS General Reference / Tagging AWS Resources User Guide,
// "Tag naming limits and requirements"; the same in each service's Tag API
// type, e.g. Amazon ECS API Reference, Tag): at most 50 tags per resource; a
// key of 1 to 128 Unicode characters, a value of 0 to 256; letters, numbers
// and spaces representable in UTF-8 and `+ - = . _ : / @`; no `aws:` prefix, in
// any case, on a key or a value (reserved for AWS). The Terraform AWS
// provider's tags schema checks none of it (tftags.TagsSchema: a plain map),
// so AWS refuses it only at up, resource by resource.

// MaxTags is AWS's limit of tags per resource.
const MaxTags = 50

// componentTags is how many tags the breaker adds to a child of its own
// (none: every child carries the user's tags only), counted against MaxTags.
const componentTags = 0

var tagChars = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)

// CheckTags explains the tags AWS would refuse, or returns nil.
func CheckTags(tags map[string]string) error {
	var p problems
	tagProblems(&p, tags)
	return p.err()
}

func tagProblems(p *problems, tags map[string]string) {
	if n := len(tags) + componentTags; n > MaxTags {
		p.add("tags", "has %d tags; AWS allows at most %d per resource (the aws provider's defaultTags count too): drop %d", len(tags), MaxTags, n-MaxTags)
	}
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := tags[k]
		field := fmt.Sprintf("tags[%q]", k)
		switch n := utf8.RuneCountInString(k); {
		case n == 0:
			p.add("tags", "has an empty key; a tag key has 1 to 128 characters")
			continue
		case n > 128:
			p.add(field, "the key has %d characters; AWS allows at most 128", n)
		}
		if n := utf8.RuneCountInString(v); n > 256 {
			p.add(field, "the value has %d characters; AWS allows at most 256", n)
		}
		for _, s := range []struct{ what, text string }{{"key", k}, {"value", v}} {
			if strings.HasPrefix(strings.ToLower(s.text), "aws:") {
				p.add(field, "the %s starts with %q, a prefix AWS reserves for its own tags; rename it", s.what, s.text[:4])
			}
			if !utf8.ValidString(s.text) || !tagChars.MatchString(s.text) {
				p.add(field, "the %s %q has characters AWS refuses in tags; use letters, numbers, spaces and + - = . _ : / @", s.what, s.text)
			}
		}
	}
}

// knownTags returns the tags when they are plain strings, known before
// anything is registered (a Go program's pulumi.StringMap of pulumi.String).
func knownTags(in pulumi.StringMapInput) (map[string]string, bool) {
	m, ok := in.(pulumi.StringMap)
	if !ok {
		return nil, false
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		s, ok := v.(pulumi.String)
		if !ok {
			return nil, false
		}
		out[k] = string(s)
	}
	return out, true
}

// tagsCheck is CheckTags on tags that are outputs (an SDK's, through
// Construct), once known: at preview when they are. nil when there are no
// tags or they were checked by Resolve.
func tagsCheck(in pulumi.StringMapInput) pulumi.Input {
	if in == nil {
		return nil
	}
	if _, known := knownTags(in); known {
		return nil
	}
	return in.ToStringMapOutput().ApplyT(func(m map[string]string) (int, error) {
		return len(m), CheckTags(m)
	}).(pulumi.IntOutput)
}
