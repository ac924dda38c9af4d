package circuitctl_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runbookCommand is one `circuitctl` line of docs/runbook.md: its
// environment assignments and its arguments, as a POSIX shell splits them.
type runbookCommand struct {
	line string
	env  map[string]string
	args []string
}

// runbookCommands extracts every circuitctl command line from the sh blocks
// of docs/runbook.md: continuation lines joined, comments dropped, words
// split as sh does for the quoting the runbook uses ('...', "...",
// backslash).
func runbookCommands(t *testing.T) []runbookCommand {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "docs", "runbook.md"))
	require.NoError(t, err)
	section := string(raw)
	var cmds []runbookCommand
	for _, block := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(section, -1) {
		text := strings.ReplaceAll(block[1], "\\\n", " ")
		for _, line := range strings.Split(text, "\n") {
			words, ok := shellWords(line)
			require.True(t, ok, "cannot split %q", line)
			c := runbookCommand{line: line, env: map[string]string{}}
			for len(words) > 0 && regexp.MustCompile(`^[A-Z_][A-Z0-9_]*=`).MatchString(words[0]) {
				k, v, _ := strings.Cut(words[0], "=")
				c.env[k] = v
				words = words[1:]
			}
			if len(words) == 0 || words[0] != "circuitctl" {
				continue
			}
			c.args = words[1:]
			cmds = append(cmds, c)
		}
	}
	return cmds
}

// shellWords splits one line as sh does, for what the runbook writes: words
// separated by blanks, '...' and "..." quoting, backslash escapes, and a
// comment from a # that starts a word. Lines with expansions ($, `) are left
// to the shell: ok is true and the words are only used when the command is
// circuitctl, whose lines have none.
func shellWords(line string) (words []string, ok bool) {
	var w strings.Builder
	inWord := false
	for i := 0; i < len(line); i++ {
		ch := line[i]
		switch {
		case ch == ' ' || ch == '\t':
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
		case ch == '#' && !inWord:
			return words, true
		case ch == '\'':
			end := strings.IndexByte(line[i+1:], '\'')
			if end < 0 {
				return nil, false
			}
			w.WriteString(line[i+1 : i+1+end])
			i += end + 1
			inWord = true
		case ch == '"':
			i++
			for ; i < len(line) && line[i] != '"'; i++ {
				if line[i] == '\\' && i+1 < len(line) && strings.IndexByte("\"\\$`", line[i+1]) >= 0 {
					i++
				}
				w.WriteByte(line[i])
			}
			if i >= len(line) {
				return nil, false
			}
			inWord = true
		case ch == '\\' && i+1 < len(line):
			i++
			w.WriteByte(line[i])
			inWord = true
		default:
			w.WriteByte(ch)
			inWord = true
		}
	}
	if inWord {
		words = append(words, w.String())
	}
	return words, true
}

func TestShellWords(t *testing.T) {
	for line, want := range map[string][]string{
		`circuitctl open payments --reason "INC-7: provider down"   # fail fast`: {"circuitctl", "open", "payments", "--reason", "INC-7: provider down"},
		`circuitctl status 'payments#acme' --stack outputs.json`:                 {"circuitctl", "status", "payments#acme", "--stack", "outputs.json"},
		`A=b circuitctl open x --reason "acme's \"API\""`:                        {"A=b", "circuitctl", "open", "x", "--reason", `acme's "API"`},
		`circuitctl list payments#acme`:                                          {"circuitctl", "list", "payments#acme"},
	} {
		got, ok := shellWords(line)
		assert.True(t, ok)
		assert.Equal(t, want, got, line)
	}
}
