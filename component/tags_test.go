package component_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/component"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"
)

// Issue 14, item 23: the tags AWS refuses are refused at preview, each by its
// tag. The rules are AWS's for every service the breaker tags (Tagging AWS
// Resources User Guide, "Tag naming limits and requirements"; the same text in
// the services' Tag API types, e.g. Amazon ECS API Reference, Tag): at most 50
// tags per resource; keys of 1 to 128 Unicode characters, values of 0 to 256;
// letters, numbers and spaces representable in UTF-8 and + - = . _ : / @; no
// aws: prefix, in any case, on a key or a value. The Terraform AWS provider's
// tags attribute checks none of this (a plain map), so AWS refused it at up,
// one child at a time.
func TestTagsAWSRefusesAreRefusedAtPreview(t *testing.T) {
	resolve := func(tags map[string]string) (map[string]string, error) {
		m := pulumi.StringMap{}
		for k, v := range tags {
			m[k] = pulumi.String(v)
		}
		_, err := component.Resolve(component.Args{ServiceName: "payments", DownstreamFunction: nilFn(), HealthcheckFunction: nilFn(), Tags: m})
		if err != nil {
			return inputError(t, err), err
		}
		return nil, nil
	}
	ok := map[string]string{"team": "checkout", "Cost Center": "4711", "owner@": "a:b/c=d+e-f_g.h", "ünïcödé": "中文", "empty": "",
		strings.Repeat("k", 128): strings.Repeat("v", 256), "Name": "aws-like but not the prefix", "awsome": "x"}
	_, err := resolve(ok)
	require.NoError(t, err)

	for _, tc := range []struct {
		name  string
		tags  map[string]string
		field string
		want  string
	}{
		{"reserved key prefix", map[string]string{"aws:team": "x"}, `tags["aws:team"]`, `the key starts with "aws:", a prefix AWS reserves`},
		{"reserved prefix in any case", map[string]string{"AwS:team": "x"}, `tags["AwS:team"]`, `the key starts with "AwS:"`},
		{"reserved value prefix", map[string]string{"team": "AWS:checkout"}, `tags["team"]`, `the value starts with "AWS:"`},
		{"key too long", map[string]string{strings.Repeat("k", 129): "x"}, fmt.Sprintf("tags[%q]", strings.Repeat("k", 129)), "the key has 129 characters; AWS allows at most 128"},
		{"key too long in characters, not bytes", map[string]string{strings.Repeat("é", 129): "x"}, fmt.Sprintf("tags[%q]", strings.Repeat("é", 129)), "129 characters"},
		{"value too long", map[string]string{"team": strings.Repeat("v", 257)}, `tags["team"]`, "the value has 257 characters; AWS allows at most 256"},
		{"character in a key", map[string]string{"team!": "x"}, `tags["team!"]`, `the key "team!" has characters AWS refuses`},
		{"character in a value", map[string]string{"team": "check#out"}, `tags["team"]`, `the value "check#out" has characters AWS refuses`},
		{"empty key", map[string]string{"": "x"}, "tags", "empty key"},
		{"51 tags", func() map[string]string {
			m := map[string]string{}
			for i := range 51 {
				m[fmt.Sprintf("t%02d", i)] = "x"
			}
			return m
		}(), "tags", "has 51 tags; AWS allows at most 50 per resource"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			props, err := resolve(tc.tags)
			require.Error(t, err)
			require.Contains(t, props[tc.field], tc.want, "%v", err)
		})
	}
}

// Tags that are outputs (an SDK's, through Construct) are checked once known:
// at preview when they are, and before any child is created.
func TestTagsThatAreOutputsAreCheckedToo(t *testing.T) {
	rec, _, err := deployOn(t, &recorder{}, func(f userFunctions) component.Args {
		a := baseArgs(f)
		a.Tags = pulumi.StringMap{"aws:team": pulumi.String("checkout").ToStringOutput()}
		return a
	}, preview)
	require.Error(t, err)
	require.Contains(t, err.Error(), `the key starts with "aws:"`)
	for _, c := range rec.children {
		require.Falsef(t, strings.HasSuffix(c.Parent, "::breaker"), "created %s %s", c.Type, c.Name)
	}
}
