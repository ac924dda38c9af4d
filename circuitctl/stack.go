package circuitctl

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
)

// StackOutputsFile is what --stack reads inside a directory.
const StackOutputsFile = "outputs.json"

// stackOutputs is what --stack takes from `pulumi stack output --json`: the
// component's own output names (component/circuitbreaker.go: tableName,
// tableArn) as the stack exported them, plus serviceName, which the component
// has as an input only, so the stack must export it itself.
type stackOutputs struct {
	TableName   string
	TableArn    string
	ServiceName string
	// AlarmHandlerName (the component's alarmHandlerName) is what replay
	// reads the breaker's alarms and open durations from.
	AlarmHandlerName string
}

// readStack reads path, a JSON file of stack outputs or a directory holding
// outputs.json. The outputs are either top level (`export const tableName =
// breaker.tableName`) or one exported object holding them (`export const
// payments = { tableName: breaker.tableName, ... }` or the whole breaker):
// with several such objects the caller must pick one with --service.
func readStack(path, wantService string) (stackOutputs, error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		path = filepath.Join(path, StackOutputsFile)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return stackOutputs{}, usageError("--stack: %v (write it with `pulumi stack output --json > %s`)", err, StackOutputsFile)
	}
	var top map[string]any
	if err := json.Unmarshal(raw, &top); err != nil {
		return stackOutputs{}, usageError("--stack: %s is not the JSON object `pulumi stack output --json` writes: %v", path, err)
	}
	if o, ok := outputsIn(top); ok {
		return o, nil
	}
	var found []stackOutputs
	var names []string
	for name, v := range top {
		m, isObj := v.(map[string]any)
		if !isObj {
			continue
		}
		if o, ok := outputsIn(m); ok {
			if wantService != "" && o.ServiceName != "" && baseService(wantService) != o.ServiceName {
				continue
			}
			found = append(found, o)
			names = append(names, name)
		}
	}
	switch len(found) {
	case 0:
		return stackOutputs{}, usageError("--stack: %s has no tableName output; export it from the stack (`export const tableName = breaker.tableName`) or pass --table", path)
	case 1:
		return found[0], nil
	}
	return stackOutputs{}, usageError("--stack: %s holds several breakers (%s); pick one with --service", path, strings.Join(names, ", "))
}

func outputsIn(m map[string]any) (stackOutputs, bool) {
	str := func(k string) string { s, _ := m[k].(string); return s }
	o := stackOutputs{TableName: str("tableName"), TableArn: str("tableArn"), ServiceName: str("serviceName"), AlarmHandlerName: str("alarmHandlerName")}
	return o, o.TableName != ""
}

// regionOfArn is the region field of an ARN (arn:partition:service:region:...),
// so that --stack also gives the region when the stack exported tableArn.
func regionOfArn(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return ""
	}
	return parts[3]
}
