#!/usr/bin/env bash
# make fuzz: every Go fuzz target (func FuzzX in an untagged *_test.go), found by grep so that a new
# one is picked up, run for FUZZTIME each, one at a time as `go test -fuzz` requires. FUZZ, a regular
# expression, picks targets by name; FUZZPARALLEL sets the workers (default: GOMAXPROCS). A crasher
# is written by go test to the package's testdata/fuzz/FuzzX/: commit it with a named test
# (docs/fuzzing.md). Prints one line per target: target, package, executions, new inputs, result.
set -uo pipefail
cd "$(dirname "$0")/../.."
FUZZTIME=${FUZZTIME:-30s}
FUZZ=${FUZZ:-.}
parallel=()
if [ -n "${FUZZPARALLEL:-}" ]; then parallel=(-parallel "$FUZZPARALLEL"); fi

mapfile -t files < <(git ls-files -co --exclude-standard -- '*_test.go' | grep -v '^dev/tools/' | sort)
targets=()
for f in "${files[@]}"; do
	[ -f "$f" ] || continue
	grep -q '^//go:build' "$f" && continue # a tagged tier's file: its tier runs it
	while read -r name; do
		targets+=("$(dirname "$f") $name")
	done < <(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$f" | grep -E -- "$FUZZ")
done
if [ ${#targets[@]} -eq 0 ]; then echo "fuzz: no target matches FUZZ=$FUZZ" >&2; exit 1; fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
summary=()
failed=0
for t in "${targets[@]}"; do
	read -r dir name <<<"$t"
	echo "== $name (./$dir), $FUZZTIME"
	if go test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" "${parallel[@]}" "./$dir" >"$log" 2>&1; then
		result=ok
	else
		result=FAILED
		failed=1
		cat "$log"
	fi
	last=$(grep -o 'execs: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
	new=$(grep -o 'new interesting: [0-9]*' "$log" | tail -1 | cut -d' ' -f3)
	summary+=("$(printf '%-32s %-40s %12s execs %5s new  %s' "$name" "./$dir" "${last:-0}" "${new:-0}" "$result")")
done
echo
echo "fuzz: ${#targets[@]} targets, $FUZZTIME each"
printf '%s\n' "${summary[@]}"
exit $failed
