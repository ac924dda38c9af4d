package testenv

import (
	"bufio"
	"bytes"
	"encoding/json"
)

// JSONLines parses a captured JSON log (our Lambdas' slog JSON handler: one
// object per line) and fails t on a line that is not a JSON object.
func JSONLines(t T, log []byte) []map[string]any {
	t.Helper()
	var lines []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(log))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("log line is not JSON: %s: %v", sc.Text(), err)
		}
		lines = append(lines, m)
	}
	return lines
}
