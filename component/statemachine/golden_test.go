package statemachine

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

var updateGolden = flag.Bool("update-golden", false, "rewrite testdata/golden from today's definitions")

// goldenMatrix is every combination of the Config fields that change which
// states exist or what they say: keyed or not, the probe thresholds (one
// success closes, or several are counted), a fallback, failing closed,
// ignored errors, the downstream's retry, and odd names in another partition.
// The asl-validator configurations are part of it. (Logging is the state
// machine resource's, not the definition's.)
func goldenMatrix() map[string]Config {
	out := map[string]Config{}
	for _, keyed := range []string{"", "$.payment.provider"} {
		for _, th := range []struct{ failures, max, successes int }{{5, 1, 1}, {1, 5, 3}, {2, 4, 1}} {
			for _, fallback := range []bool{false, true} {
				for _, failClosed := range []bool{false, true} {
					for _, ignore := range []bool{false, true} {
						for _, retry := range []string{"default", "none", "custom"} {
							for _, names := range []string{"plain", "odd"} {
								c := validConfig()
								c.CircuitKey = keyed
								c.FailureThreshold, c.HalfOpenMaxCalls, c.SuccessThreshold = th.failures, th.max, th.successes
								if fallback {
									c.FallbackArn = "arn:aws:lambda:us-east-1:123456789012:function:orders-fallback:live"
								}
								c.FailClosed = failClosed
								if ignore {
									c.IgnoreErrors = []string{"ValidationError", "States.Timeout"}
								}
								switch retry {
								case "none":
									c.Retry = &RetryPolicy{}
								case "custom":
									c.Retry = &RetryPolicy{MaxAttempts: 4, IntervalSeconds: 3, BackoffRate: 1.5, MaxDelaySeconds: 9, Errors: []string{"States.ALL"}}
								}
								if names == "odd" {
									c.ServiceName = "svc.odd_name:1-x"
									if keyed == "" {
										c.ServiceName = `svc "quoted" <&> ünïcode $.x {} 'q' \`
									}
									c.TableName = "My.Table_name-1"
									c.DownstreamArn = "arn:aws-cn:lambda:cn-north-1:123456789012:function:orders:3"
									c.ControllerArn = "arn:aws-cn:lambda:cn-north-1:123456789012:function:orders-controller"
									if fallback {
										c.FallbackArn = "arn:aws-cn:lambda:cn-north-1:123456789012:function:orders-fallback"
									}
								}
								name := fmt.Sprintf("keyed=%t thresholds=%d/%d/%d fallback=%t failClosed=%t ignore=%t retry=%s names=%s",
									keyed != "", th.failures, th.max, th.successes, fallback, failClosed, ignore, retry, names)
								out[name] = c
							}
						}
					}
				}
			}
		}
	}
	for name, c := range validatorConfigs() {
		out["validator: "+name] = c
	}
	return out
}

// goldenFull are the configurations whose whole definition is kept, so that a
// change shows as a readable diff; the rest of the matrix is kept as SHA-256.
var goldenFull = map[string]string{
	"default":          "keyed=false thresholds=5/1/1 fallback=false failClosed=false ignore=false retry=default names=plain",
	"several-probes":   "keyed=false thresholds=1/5/3 fallback=false failClosed=false ignore=false retry=default names=plain",
	"everything":       "keyed=false thresholds=1/5/3 fallback=true failClosed=true ignore=true retry=custom names=odd",
	"keyed":            "keyed=true thresholds=5/1/1 fallback=false failClosed=false ignore=false retry=default names=plain",
	"keyed-probes":     "keyed=true thresholds=2/4/1 fallback=true failClosed=false ignore=true retry=none names=plain",
	"keyed-everything": "keyed=true thresholds=1/5/3 fallback=true failClosed=true ignore=true retry=custom names=odd",
	"shadow":           "validator: shadow fail closed with fallback",
	"result-failures":  "validator: result failures",
}

// The rendered definition is byte for byte the one the hand-written builder
// made before the rules became data (recorded from it at a644b9c): over the
// whole goldenMatrix by SHA-256, and in full for goldenFull. A deliberate
// change to the definition regenerates them:
// go test ./component/statemachine -run TestDefinitionGolden -update-golden
func TestDefinitionGolden(t *testing.T) {
	dir := filepath.Join("testdata", "golden")
	matrix := goldenMatrix()
	sums := map[string]string{}
	defs := map[string]string{}
	for name, cfg := range matrix {
		def, err := Definition(cfg)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		defs[name] = def
		sum := sha256.Sum256([]byte(def))
		sums[name] = hex.EncodeToString(sum[:])
	}
	sumsFile := filepath.Join(dir, "matrix.sha256.json")
	if *updateGolden {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		b, _ := json.MarshalIndent(sums, "", "  ")
		if err := os.WriteFile(sumsFile, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		for file, name := range goldenFull {
			if err := os.WriteFile(filepath.Join(dir, file+".json"), []byte(defs[name]+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	raw, err := os.ReadFile(sumsFile)
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]string
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	if len(want) != len(matrix) {
		t.Errorf("%d goldens recorded, the matrix has %d configurations", len(want), len(matrix))
	}
	names := make([]string, 0, len(want))
	for n := range want {
		names = append(names, n)
	}
	sort.Strings(names)
	changed := 0
	for _, n := range names {
		if sums[n] != want[n] {
			changed++
			if changed <= 5 {
				t.Errorf("%s: the definition changed (sha256 %s, recorded %s)", n, sums[n], want[n])
			}
		}
	}
	if changed > 5 {
		t.Errorf("... and %d more configurations changed", changed-5)
	}
	for file, name := range goldenFull {
		b, err := os.ReadFile(filepath.Join(dir, file+".json"))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := defs[name], strings.TrimSuffix(string(b), "\n"); got != want {
			t.Errorf("%s (%s): the definition differs from the golden at %s", file, name, firstDifference(got, want))
		}
	}
	t.Logf("%d configurations compared", len(matrix))
}

// firstDifference shows where two documents part, with a little context.
func firstDifference(got, want string) string {
	gl, wl := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(gl) || i < len(wl); i++ {
		var g, w string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			return fmt.Sprintf("line %d:\n got: %s\nwant: %s", i+1, g, w)
		}
	}
	return "no line (trailing bytes)"
}
