package circuit_test

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"
)

// StringMatches as the Choice state's reference describes it
// (https://docs.aws.amazon.com/step-functions/latest/dg/state-choice.html):
// '*' matches zero or more characters, "\*" and "\\" are a literal '*' and
// backslash, and no other character is special.
func TestStringMatches(t *testing.T) {
	for _, tc := range []struct {
		s, pattern string
		want       bool
	}{
		// No wildcard: equality.
		{"", "", true},
		{"a", "", false},
		{"", "a", false},
		{"abc", "abc", true},
		{"abc", "ab", false},
		// '*' alone, at either end, at both, repeated.
		{"", "*", true},
		{"anything at all", "*", true},
		{"a\nb\nc", "*", true}, // spans line terminators
		{"", "**", true},
		{"log.txt", "*.txt", true},
		{"log.txt.gz", "*.txt", false},
		{"log.txt", "log*", true},
		{"xlog.txt", "log*", false},
		{"a#b", "*#*", true},
		{"#", "*#*", true},
		{"ab", "*#*", false},
		{"abc", "a*c", true},
		{"ac", "a*c", true},
		{"abcbc", "a*bc", true},
		{"abcb", "a*bc", false},
		{"aXbYc", "a*b*c", true},
		{"acb", "a*b*c", false},
		{"aa", "a*a", true},
		{"a", "a*a", false}, // the two parts may not overlap
		{" a", " *", true},
		{"a ", " *", false},
		{"a ", "* ", true},
		{" ", "* ", true},
		{"", " *", false},
		// Escapes: "\*" is a literal star, "\\" a literal backslash.
		{"*", `\*`, true},
		{"a", `\*`, false},
		{`a\b`, `*\\*`, true},
		{"ab", `*\\*`, false},
		{`\`, `\\`, true},
		{`a*b`, `a\**`, true},
		{`ab`, `a\**`, false},
		{"x*", `*\*`, true},
		{"x", `*\*`, false},
		// Other characters are ordinary: '?', '[', '.', '$'.
		{"?", "?", true},
		{"a", "?", false},
		{"[a]", "[a]*", true},
		{"a", "[a]", false},
		{"$.x", "$.*", true},
		// Multi-byte characters: compared byte for byte, whole characters.
		{"café", "caf*", true},
		{"café", "*é", true},
		{"cafe\u0301", "*é", false}, // NFD is another string
		{"😃", "*😃*", true},
		{"a😃b", "a*b", true},
		{"é", "*e", false},
		{"éa", "*a", true},
		{"ü", "u*", false},
		{"\u2028", "*\u2028*", true},
		{"ab", "*\u2028*", false},
		{"Acme", "acme", false}, // no case folding
	} {
		if got := circuit.StringMatches(tc.s, tc.pattern); got != tc.want {
			t.Errorf("StringMatches(%q, %q) = %v, want %v", tc.s, tc.pattern, got, tc.want)
		}
	}
}

func TestCheckPattern(t *testing.T) {
	for _, ok := range []string{"", "*", `\*`, `\\`, `*\\*`, "a*b", "é*"} {
		if err := circuit.CheckPattern(ok); err != nil {
			t.Errorf("CheckPattern(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{`\`, `a\`, `\a`, `\?`, `\é`, "*\xa9"} {
		if err := circuit.CheckPattern(bad); err == nil {
			t.Errorf("CheckPattern(%q) accepts a pattern AWS does not document", bad)
		}
	}
	for _, s := range []string{"", "a", "*", `\`, `a*\b`, "**", `\*`} {
		p := circuit.MatchLiteral(s)
		if err := circuit.CheckPattern(p); err != nil {
			t.Errorf("MatchLiteral(%q) = %q: %v", s, p, err)
		}
		if !circuit.StringMatches(s, p) || circuit.StringMatches(s+"x", p) {
			t.Errorf("MatchLiteral(%q) = %q does not match exactly %q", s, p, s)
		}
	}
}

// The key rule is well formed: every pattern means what AWS documents, each
// forbidden character's check refuses that character alone (and nothing
// but it), and the space checks refuse a space at an end only.
func TestKeyChecks(t *testing.T) {
	checks := 0
	for i, row := range circuit.KeyChecks {
		if len(row.Checks) == 0 || row.Refusal == "" {
			t.Errorf("row %d: %+v", i+1, row)
		}
		for _, c := range row.Checks {
			checks++
			if c.Problem == "" {
				t.Errorf("row %d: %+v names no problem", i+1, c)
			}
			if c.Test == circuit.KeyStringMatches {
				if err := circuit.CheckPattern(c.Value); err != nil {
					t.Errorf("row %d: %v", i+1, err)
				}
			}
		}
	}
	if want := 3 + 1 + len(circuit.KeyControls()) + 4; checks != want {
		t.Errorf("%d checks, want %d", checks, want)
	}
	for _, r := range append(circuit.KeyControls(), '#', '\\') {
		if err := circuit.ValidateKey("svc", "a"+string(r)+"b"); err == nil || !strings.Contains(err.Error(), circuit.KeyRule) {
			t.Errorf("%U: %v", r, err)
		}
	}
	for _, k := range []string{"a b", "*", `\*`[1:], "é", "a\u00a0"} {
		if err := circuit.ValidateKey("svc", k); err != nil {
			t.Errorf("%q: %v", k, err)
		}
	}
}

// globRE is an independent reading of a StringMatches pattern: a regular
// expression where '*' is (?s).* and everything else is quoted.
func globRE(pattern string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`(?s)\A`)
	for i := 0; i < len(pattern); {
		r, size := utf8.DecodeRuneInString(pattern[i:])
		switch {
		case r == '*':
			b.WriteString(".*")
		case r == '\\' && i+size < len(pattern):
			i += size
			_, size = utf8.DecodeRuneInString(pattern[i:])
			fallthrough
		default:
			b.WriteString(regexp.QuoteMeta(pattern[i : i+size]))
		}
		i += size
	}
	b.WriteString(`\z`)
	return regexp.MustCompile(b.String())
}

// StringMatches agrees with the regular expression reading of the pattern on
// valid UTF-8 (Go's regexp reads invalid bytes as U+FFFD, StringMatches as
// bytes, so those are left out).
func FuzzStringMatches(f *testing.F) {
	for _, seed := range [][2]string{{"abc", "a*c"}, {"a\\b", `*\\*`}, {"x*", `*\*`}, {"😃é", "*é"}, {"", "*"}, {"a\nb", "a*b"}, {"aa", "a*a"}} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, s, pattern string) {
		if !utf8.ValidString(s) || !utf8.ValidString(pattern) || len(pattern) > 64 {
			return
		}
		if got, want := circuit.StringMatches(s, pattern), globRE(pattern).MatchString(s); got != want {
			t.Errorf("StringMatches(%q, %q) = %v, the regular expression says %v", s, pattern, got, want)
		}
	})
}
