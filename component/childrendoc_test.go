package component_test

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/component"
)

// The children list in docs/architecture.md is what a default breaker named
// "breaker" creates, so the doc cannot drift from graph.build.
// UPDATE_DOCS=1 rewrites the list.
func TestArchitectureDocListsEveryChild(t *testing.T) {
	rec, _, err := deploy(t, baseArgs)
	require.NoError(t, err)
	var rows []string
	for _, c := range rec.children {
		if c.Type == component.TypeToken || c.Name == "payments" || c.Name == "payments-health" {
			continue
		}
		rows = append(rows, fmt.Sprintf("| `%s` | `%s` |", c.Name, c.Type))
	}
	sort.Strings(rows)
	list := fmt.Sprintf("| child (breaker `breaker`) | type |\n|---|---|\n%s\n\n%d children.\n", strings.Join(rows, "\n"), len(rows))

	const begin, end = "<!-- children: begin (TestArchitectureDocListsEveryChild) -->\n", "<!-- children: end -->"
	path := filepath.Join("..", "docs", "architecture.md")
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	doc := string(raw)
	i, j := strings.Index(doc, begin), strings.Index(doc, end)
	require.True(t, i >= 0 && j > i, "docs/architecture.md has no children markers")
	if os.Getenv("UPDATE_DOCS") == "1" {
		require.NoError(t, os.WriteFile(path, []byte(doc[:i+len(begin)]+list+doc[j:]), 0o644))
		return
	}
	require.Equal(t, list, doc[i+len(begin):j], "docs/architecture.md's children list is stale: run UPDATE_DOCS=1 go test ./component -run TestArchitectureDocListsEveryChild")
}
