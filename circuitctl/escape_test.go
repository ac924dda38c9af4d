package circuitctl

import (
	"encoding/json"
	"strconv"
	"testing"
	"unicode"
	"unicode/utf8"
)

// FuzzEscapes: whatever a stored string holds, text output gets only
// printable runes and can be read back (a quoted form unquotes to the
// original), and safeJSON keeps encoding/json's document the same value with
// every non-printable rune escaped.
func FuzzEscapes(f *testing.F) {
	for _, s := range []string{"", "payments", "\x1b[31m", "a\nb", "\u202e", "\xff\xfe", `"q"`, "a b", "\U0001F600\u200b", "\x7f\u0085"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, out := range []string{shown(s), shownName(s), shellWord(s)} {
			for _, r := range out {
				if !unicode.IsPrint(r) {
					t.Fatalf("%q printed as %q: holds %U", s, out, r)
				}
			}
			if !utf8.ValidString(out) {
				t.Fatalf("%q printed as invalid UTF-8 %q", s, out)
			}
		}
		if q := shown(s); q != s {
			back, err := strconv.Unquote(q)
			if err != nil || back != s {
				t.Fatalf("%q shown as %q, which reads back as %q (%v)", s, q, back, err)
			}
		}
		raw, err := json.Marshal(map[string]string{s: s})
		if err != nil {
			t.Fatal(err)
		}
		safe := safeJSON(raw)
		for _, r := range string(safe) {
			if !unicode.IsPrint(r) {
				t.Fatalf("safeJSON left %U in %q", r, safe)
			}
		}
		var a, b map[string]string
		if err := json.Unmarshal(raw, &a); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(safe, &b); err != nil {
			t.Fatalf("safeJSON made invalid JSON %q: %v", safe, err)
		}
		if len(a) != 1 || len(b) != 1 {
			t.Fatalf("%v / %v", a, b)
		}
		for k, v := range a {
			if b[k] != v {
				t.Fatalf("safeJSON changed the value: %q -> %q", v, b[k])
			}
		}
	})
}
