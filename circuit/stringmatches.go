package circuit

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// StringMatches is Amazon States Language's StringMatches comparison, in Go:
// whether s matches pattern, whose only wildcard '*' matches any run of
// characters (none included), and where '\' escapes the next character ("\*"
// a literal '*', "\\" a literal backslash). "No characters other than '*'
// have any special meaning during matching"
// (https://docs.aws.amazon.com/step-functions/latest/dg/state-choice.html,
// Choice Rules (JSONPath), StringMatches). Literal parts compare byte for
// byte, as DynamoDB compares keys (no case folding, no normalisation); in
// UTF-8 that is character for character, so no part matches inside a
// multi-byte character. '*' spans every character, line terminators included
// (KeyChecks says why that choice never decides a key).
func StringMatches(s, pattern string) bool {
	lits, stars := splitPattern(pattern)
	// lits[0] * lits[1] * ... * lits[n]: the first part anchors at the start,
	// the last at the end, and taking each part between at its leftmost
	// occurrence leaves the most room for the rest (no backtracking needed).
	if stars == 0 {
		return s == lits[0]
	}
	if !strings.HasPrefix(s, lits[0]) {
		return false
	}
	s = s[len(lits[0]):]
	last := lits[len(lits)-1]
	for _, lit := range lits[1 : len(lits)-1] {
		i := strings.Index(s, lit)
		if i < 0 {
			return false
		}
		s = s[i+len(lit):]
	}
	return strings.HasSuffix(s, last)
}

// splitPattern splits pattern at its unescaped stars into its literal parts
// (unescaped, byte for byte), one more than the stars.
func splitPattern(pattern string) (lits []string, stars int) {
	var b strings.Builder
	for i := 0; i < len(pattern); {
		r, size := utf8.DecodeRuneInString(pattern[i:])
		switch r {
		case '*':
			lits = append(lits, b.String())
			b.Reset()
			stars++
		case '\\':
			if i+size < len(pattern) { // the next character, whatever it is
				i += size
				_, size = utf8.DecodeRuneInString(pattern[i:])
			} // else a trailing backslash escapes nothing: itself
			fallthrough
		default:
			b.WriteString(pattern[i : i+size])
		}
		i += size
	}
	return append(lits, b.String()), stars
}

// CheckPattern refuses a StringMatches pattern whose meaning AWS does not
// document: a backslash that escapes neither '*' nor '\', or ends the
// pattern; or one that is not UTF-8 (no JSON string is).
func CheckPattern(pattern string) error {
	if !utf8.ValidString(pattern) {
		return fmt.Errorf("StringMatches pattern %q is not UTF-8", pattern)
	}
	escaped := false
	for _, r := range pattern {
		switch {
		case escaped && r != '*' && r != '\\':
			return fmt.Errorf("StringMatches pattern %q escapes %q: only '*' and '\\' may be escaped", pattern, r)
		case escaped:
			escaped = false
		case r == '\\':
			escaped = true
		}
	}
	if escaped {
		return fmt.Errorf("StringMatches pattern %q ends with a lone backslash", pattern)
	}
	return nil
}

// MatchLiteral is the StringMatches pattern matching exactly s: its '*' and
// '\' escaped.
func MatchLiteral(s string) string {
	return strings.NewReplacer(`\`, `\\`, `*`, `\*`).Replace(s)
}
