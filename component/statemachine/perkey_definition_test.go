package statemachine

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

var updatePlain = flag.Bool("update-plain", false, "rewrite testdata/plain-definitions.sha256.json from today's definitions")

// Without CircuitKey the definition is the one before per-key circuits, byte
// for byte: the SHA-256 of each validator config's definition, recorded from
// main at 0469a92 (before per-key circuits). A deliberate change to the plain
// definition regenerates it: go test ./component/statemachine -run
// TestPlainDefinitionUnchangedByPerKey -update-plain.
func TestPlainDefinitionUnchangedByPerKey(t *testing.T) {
	file := filepath.Join("testdata", "plain-definitions.sha256.json")
	got := map[string]string{}
	for name, cfg := range validatorConfigs() {
		if cfg.CircuitKey != "" {
			continue
		}
		def, err := Definition(cfg)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte(def))
		got[name] = hex.EncodeToString(sum[:])
	}
	if *updatePlain {
		b, _ := json.MarshalIndent(got, "", "  ")
		if err := os.WriteFile(file, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]string
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, len(want))
	for n := range want {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if got[n] != want[n] {
			t.Errorf("config %q: the plain definition changed (sha256 %s, recorded %s)", n, got[n], want[n])
		}
	}
	for _, d := range []string{mustDef(t, validConfig())} {
		for _, s := range []string{StateCheckCircuitKey, StateSelectCircuit, "batchGetItem", `"key.$"`, pathCircuit} {
			if strings.Contains(d, s) {
				t.Errorf("the plain definition mentions %s", s)
			}
		}
	}
}

func mustDef(t *testing.T, cfg Config) string {
	t.Helper()
	d, err := Definition(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func keyedConfig() Config {
	c := validConfig()
	c.CircuitKey = "$.provider"
	return c
}

func TestKeyedDefinitionShape(t *testing.T) {
	cfg := keyedConfig()
	d := doc(t, cfg)
	if at(t, d, "StartAt") != StateCheckCircuitKey {
		t.Fatalf("StartAt = %v", at(t, d, "StartAt"))
	}
	read := at(t, d, "States", StateReadCircuit).(map[string]any)
	if read["Resource"] != "arn:aws:states:::aws-sdk:dynamodb:batchGetItem" {
		t.Errorf("the keyed read is %v, want one BatchGetItem", read["Resource"])
	}
	keys := at(t, read, "Parameters", "RequestItems", cfg.TableName, "Keys").([]any)
	itemKey := `"States.Format('` + cfg.ServiceName + `#{}', $.Circuit.key)"`
	assertJSON(t, "the two keys read", keys, `[{"serviceName":{"S":"`+cfg.ServiceName+`"}},{"serviceName":{"S.$":`+itemKey+`}}]`)
	// The key is held once in the state until DynamoDB accepted it: a key of
	// up to the input's quota must reach DynamoDB's refusal, not overflow the
	// state's (States.DataLimitExceeded).
	assertJSON(t, "the key kept", at(t, d, "States", StateResolveCircuitKey, "Parameters"), `{"Circuit": {"key.$": "$.provider"}}`)
	for _, name := range []string{StateReadBreakerFirst, StateReadKeyFirst, StateReadBreakerOnly, StateReadKeyOnly, StateUseNewKeyCircuit} {
		assertJSON(t, name+" item key", at(t, d, "States", name, "Parameters", "Circuit"), `{"key.$": "$.Circuit.key", "itemKey.$": `+itemKey+`}`)
	}
	// Every write and every controller call acts on the governing item.
	for name, raw := range at(t, d, "States").(map[string]any) {
		s := raw.(map[string]any)
		switch s["Resource"] {
		case "arn:aws:states:::dynamodb:updateItem":
			assertJSON(t, name+" key", at(t, s, "Parameters", "Key"), `{"serviceName":{"S.$":"$.Circuit.itemKey"}}`)
		case "arn:aws:states:::lambda:invoke":
			if at(t, s, "Parameters", "FunctionName") == cfg.ControllerArn && at(t, s, "Parameters", "Payload", "key.$") != "$.Circuit.key" {
				t.Errorf("%s does not send the key to the controller", name)
			}
		}
	}
	// Retries of the aws-sdk read use that integration's error names.
	assertJSON(t, "read retry", at(t, read, "Retry", 0, "ErrorEquals"), mustJSON(TransientDynamoDBSDKErrors()))
}

func mustJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

func TestCircuitKeyValidated(t *testing.T) {
	for _, bad := range []string{"provider", "$", "$.", "$..provider", "$.a[0]", "$['provider']", "$.pro vider", "$$.Execution.Input.provider"} {
		cfg := validConfig()
		cfg.CircuitKey = bad
		err := cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), "Config.CircuitKey") || !strings.Contains(err.Error(), "$.provider") {
			t.Errorf("CircuitKey %q: %v, want an error naming the field and an example", bad, err)
		}
	}
	cfg := keyedConfig()
	cfg.ServiceName = `pay{ments}`
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "Config.ServiceName") {
		t.Errorf("a service name the intrinsic would need to escape: %v", err)
	}
	for _, ok := range []string{"$.provider", "$.payment.provider_id", "$.a.b.c"} {
		cfg := validConfig()
		cfg.CircuitKey = ok
		if err := cfg.Validate(); err != nil {
			t.Errorf("CircuitKey %q: %v", ok, err)
		}
	}
}

func TestKeyedWorstCaseIsBounded(t *testing.T) {
	plain, err := WorstCaseOf(validConfig())
	if err != nil {
		t.Fatal(err)
	}
	keyed, err := WorstCaseOf(keyedConfig())
	if err != nil {
		t.Fatal(err)
	}
	// The keyed read is one Task with the plain read's timeout and retry; when
	// it fails, the breaker's item is read alone, with the same: the worst
	// case is the plain one and that read's. The other states added are
	// Choice and Pass.
	fallback := taskWorst(newBuilder(keyedConfig()).build().States[StateReadBreakerItem])
	if fallback != taskWorst(newBuilder(validConfig()).build().States[StateReadCircuit]) {
		t.Errorf("reading the breaker's item alone may take %v s, the plain read %v s", fallback, taskWorst(newBuilder(validConfig()).build().States[StateReadCircuit]))
	}
	if keyed.Seconds() != plain.Seconds()+ceil(fallback) {
		t.Errorf("keyed worst case %d s, plain %d s, reading the breaker's item again %v s", keyed.Seconds(), plain.Seconds(), fallback)
	}
	t.Logf("worst case: plain %d s, keyed %d s", plain.Seconds(), keyed.Seconds())
}
