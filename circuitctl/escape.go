package circuitctl

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Everything the tool prints from the table (item keys, reasons, states,
// override values) was written by someone else: a caller's circuit key, an
// operator's reason, a hand edit. A terminal executes escape sequences and
// a newline starts a row, so a hostile key could recolour, hide or forge
// output. Text output therefore escapes every such string (shown), and JSON
// output escapes every non-printable rune (safeJSON).

// shown is s as text output prints it: unchanged when every rune is
// printable (unicode.IsPrint: letters, marks, numbers, punctuation, symbols,
// ASCII space) and it does not start with a double quote, else quoted with
// Go's escapes (strconv.Quote: \x1b, \x00, \n, \u202e, invalid UTF-8 as
// \xff). The leading-quote rule keeps the two forms apart: a raw string never
// looks like a quoted one.
func shown(s string) string {
	if strings.HasPrefix(s, `"`) || !printable(s) {
		return strconv.Quote(s)
	}
	return s
}

// shownName is shown for a name in a column (a circuit, a key): it is also
// quoted when empty or when it holds a space, so that it reads as one cell
// and cannot pass for two columns.
func shownName(s string) string {
	if s == "" || strings.ContainsRune(s, ' ') {
		return strconv.Quote(s)
	}
	return shown(s)
}

func printable(s string) bool {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return false // invalid UTF-8
			}
		}
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// safeJSON rewrites encoding/json's output so that no rune a terminal could
// act on is left raw: encoding/json already escapes the C0 controls, U+2028
// and U+2029 inside strings and replaces invalid UTF-8 with U+FFFD, but it
// leaves DEL, the C1 controls (U+0080 to U+009F, some terminals' CSI) and
// the format characters (bidi overrides U+202E, U+2066 to U+2069, zero-width
// ones) as they are. Those can only occur inside strings, where \uXXXX is the
// JSON escape (RFC 8259, section 7; UTF-16 surrogate pairs above U+FFFF), so
// the document stays the same JSON value.
func safeJSON(b []byte) []byte {
	var out bytes.Buffer
	out.Grow(len(b))
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		switch {
		case r == '\n' || r == ' ' || r == '\t' || r == '\r':
			out.WriteRune(r) // json's own whitespace between tokens
		case r < utf8.RuneSelf && unicode.IsPrint(r):
			out.WriteByte(byte(r))
		case r == utf8.RuneError && size == 1:
			// Cannot happen after encoding/json; escape the byte's U+FFFD.
			out.WriteString(`\ufffd`)
		case r >= utf8.RuneSelf && unicode.IsPrint(r):
			out.Write(b[:size])
		case r > 0xffff:
			r1, r2 := utf16.EncodeRune(r)
			fmt.Fprintf(&out, `\u%04x\u%04x`, r1, r2)
		default:
			fmt.Fprintf(&out, `\u%04x`, r)
		}
		b = b[size:]
	}
	return out.Bytes()
}

// shellWord is s as a word to paste into a POSIX shell (in the hints the
// tool prints): unchanged when made of characters no shell treats
// specially, single-quoted otherwise, and Go-quoted (shown) when it holds
// what a terminal must not receive raw.
func shellWord(s string) string {
	if !printable(s) {
		return strconv.Quote(s)
	}
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.,:/@%+=") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
