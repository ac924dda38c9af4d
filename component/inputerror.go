package component

import (
	"strings"

	perrors "github.com/pulumi/pulumi/sdk/v3/go/pulumi/errors"
)

// problem is one bad input: the property it is about (a property path such as
// `downstreamMonitoring.threshold` or `ignoreErrors[1]`) and what to do.
type problem struct{ field, reason string }

// problems collects every bad input at once, so that one preview shows them all.
type problems []problem

func (p *problems) add(field, format string, a ...any) {
	*p = append(*p, problem{field: field, reason: sprintf(format, a...)})
}

func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return &InputError{problems: append(problems(nil), p...)}
}

// InputError is the component's bad input. Go callers read it as text, one
// "field: reason" line per problem. Through the engine it is a Pulumi
// InputPropertiesError (errors.As), which the Go SDK's construct sends as a
// gRPC InvalidArgument status with one PropertyError per input, and which the
// engine prints against the component, property by property, with each
// property's value (pkg/resource/deploy/source_eval.go, errorToMessage), as it
// prints a provider's Check failures.
type InputError struct{ problems problems }

const inputErrorMessage = "invalid CircuitBreaker inputs"

func (e *InputError) Error() string {
	var b strings.Builder
	b.WriteString(inputErrorMessage + ":")
	for _, p := range e.problems {
		b.WriteString("\n" + p.field + ": " + p.reason)
	}
	return b.String()
}

// Fields are the inputs the problems are about, in order.
func (e *InputError) Fields() []string {
	out := make([]string, len(e.problems))
	for i, p := range e.problems {
		out[i] = p.field
	}
	return out
}

// As lets errors.As find a *perrors.InputPropertiesError. A problem that is
// not about one input (the component's own name, the aws provider's account,
// the request path as a whole) goes into the message, where the engine shows
// it before the properties.
//
// So does a problem with an input that holds a resource (the functions, the
// aliases, the table), written as the engine writes a property whose value it
// does not show: the engine renders each property error with the property's
// value, and for a resource reference that rendering fails its internal
// assertion (pulumi v3.274.1: errorToMessage calls propertyprint.Value, which
// panics with "unsupported property value" on a resource reference; seen
// through the engine in dev/tests/engine/sharing_test.go), crashing the CLI.
func (e *InputError) As(target any) bool {
	t, ok := target.(**perrors.InputPropertiesError)
	if !ok {
		return false
	}
	message := inputErrorMessage
	var details []perrors.InputPropertyErrorDetails
	for _, p := range e.problems {
		switch {
		case !isInput(p.field):
			message += "; " + p.field + ": " + p.reason
		case resourceInputs[p.field]:
			message += "\n\t\t- property " + p.field + " has a problem: " + p.reason
		default:
			details = append(details, perrors.InputPropertyErrorDetails{PropertyPath: p.field, Reason: p.reason})
		}
	}
	*t = perrors.NewInputPropertiesError(message, details...)
	return true
}

// resourceInputs are the inputs whose values are aws resources (args.go).
var resourceInputs = map[string]bool{
	"downstreamFunction": true, "healthcheckFunction": true, "fallbackFunction": true,
	"downstreamAlias": true, "healthcheckAlias": true, "fallbackAlias": true, "table": true,
}

// isInput: property paths start with an input's name (a lower-case letter),
// unlike "(request path)", "aws provider" and the resource's "name".
func isInput(field string) bool {
	return field != "" && field != "name" && !strings.ContainsAny(field, " ()") && field[0] >= 'a' && field[0] <= 'z'
}
