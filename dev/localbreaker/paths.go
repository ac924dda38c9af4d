package localbreaker

import "github.com/pulumi-circuitbreaker/pulumi-circuitbreaker/circuit"

// Path is the way one execution went through the definition, named for
// people: the benchmark reports calls and cost per path. The paths and how
// an execution's states show them are the rulebook's (circuit.Paths,
// circuit.PathMarks).
type Path = circuit.Path

const (
	PathHealthy        = circuit.PathHealthy
	PathReset          = circuit.PathReset
	PathFailing        = circuit.PathFailing
	PathTrip           = circuit.PathTrip
	PathOpen           = circuit.PathOpen
	PathNotAdmitted    = circuit.PathNotAdmitted
	PathProbeClosed    = circuit.PathProbeClosed
	PathProbeSucceeded = circuit.PathProbeSucceeded
	PathProbeReopened  = circuit.PathProbeReopened
	PathProbeIgnored   = circuit.PathProbeIgnored
	PathForcedClosed   = circuit.PathForcedClosed
	PathFailOpen       = circuit.PathFailOpen
	PathWouldReject    = circuit.PathWouldReject
	PathOther          = circuit.PathOther
)

// Paths lists the paths in the order reports show them.
var Paths = func() []Path {
	paths := make([]Path, len(circuit.Paths))
	for i, p := range circuit.Paths {
		paths[i] = p.Path
	}
	return paths
}()

// Classify names the path of an execution from the states it entered.
func Classify(states []string) Path { return circuit.ClassifyPath(states) }
