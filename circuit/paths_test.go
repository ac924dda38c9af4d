package circuit

import (
	"slices"
	"strings"
	"testing"
)

func TestClassifyPath(t *testing.T) {
	for states, want := range map[string]Path{
		"ReadCircuit,CheckCircuit,InvokeDownstream":                                                                                PathHealthy,
		"ReadCircuit,CheckCircuit,InvokeDownstream,DownstreamFailed,RaiseDownstreamError":                                          PathOther,
		"ReadCircuit,CheckCircuit,InvokeDownstreamAfterFailures,ResetFailures":                                                     PathReset,
		"ReadCircuit,CheckCircuit,InvokeDownstreamAfterFailures,ReturnResult":                                                      PathReset,
		"ReadCircuit,CheckCircuit,InvokeDownstreamAfterFailures,DownstreamFailed,RaiseDownstreamError":                             PathOther,
		"ReadCircuit,CheckCircuit,InvokeDownstream,RecordFailure,CheckFailureThreshold,DownstreamFailed,RaiseDownstreamError":      PathFailing,
		"ReadCircuit,CheckCircuit,InvokeDownstream,RecordFailure,CheckFailureThreshold,Trip,DownstreamFailed,RaiseDownstreamError": PathTrip,
		"ReadCircuit,CheckCircuit,RejectOpen":                                                                                      PathOpen,
		"ReadCircuit,CheckCircuit,RejectHealthcheckAlarm":                                                                          PathOpen,
		"ReadCircuit,CheckCircuit,RejectHalfOpenFull":                                                                              PathOpen,
		"ReadCircuit,CheckCircuit,InvokeFallback":                                                                                  PathOpen,
		"ReadCircuit,CheckCircuit,InvokeForcedClosed":                                                                              PathForcedClosed,
		"ReadCircuit,CheckCircuit,ElectProbe,CheckElection,RejectProbeNotAdmitted":                                                 PathNotAdmitted,
		"ReadCircuit,CheckCircuit,JoinProbe,RejectProbeNotAdmitted":                                                                PathNotAdmitted,
		"ReadCircuit,CheckCircuit,ElectProbe,CheckElection,InvokeProbe,CloseCircuit":                                               PathProbeClosed,
		"ReadCircuit,CheckCircuit,ElectProbe,CheckElection,InvokeProbe,CloseCircuit,ReturnResult":                                  PathProbeSucceeded,
		"ReadCircuit,CheckCircuit,JoinProbe,InvokeProbe,RecordProbeSuccess,CheckProbeSuccesses,ReturnResult":                       PathProbeSucceeded,
		"ReadCircuit,CheckCircuit,JoinProbe,InvokeProbe,Reopen,DownstreamFailed,RaiseDownstreamError":                              PathProbeReopened,
		"ReadCircuit,CheckCircuit,JoinProbe,InvokeProbe,ReleaseProbe,DownstreamFailed,RaiseDownstreamError":                        PathProbeIgnored,
		"ReadCircuit,InvokeDownstream":                                                                                             PathFailOpen,
		"ReadCircuit,CheckCircuit,CountWouldReject,InvokeWouldReject":                                                              PathWouldReject,
		"ReadCircuit,CheckCircuit,PrepareElection,CheckElectionClaim,RejectElectionClaimed":                                        PathNotAdmitted,
		"ReadCircuit,CheckCircuit,PrepareElection,CheckElectionClaim,CountWouldReject,InvokeWouldReject,DownstreamFailed":          PathWouldReject,
		"ReadCircuit,CountWouldReject,InvokeWouldReject":                                                                           PathWouldReject,
		"CheckCircuitKey,RejectCircuitKeyMissing":                                                                                  PathOther,
		"CheckCircuitKey,ResolveCircuitKey,ReadCircuit,UseNewKeyCircuit,CheckCircuit,InvokeDownstream":                             PathHealthy,
	} {
		if got := ClassifyPath(strings.Split(states, ",")); got != want {
			t.Errorf("%s: %s, want %s", states, got, want)
		}
	}
}

// Every path but "other" has a mark, and every mark names a path reports know.
func TestPathsAndMarksAgree(t *testing.T) {
	marked := map[Path]bool{}
	for _, m := range PathMarks() {
		marked[m.Path] = true
		if !slices.ContainsFunc(Paths, func(p PathInfo) bool { return p.Path == m.Path }) {
			t.Errorf("mark %s names the unknown path %q", m, m.Path)
		}
	}
	for _, p := range Paths {
		if !marked[p.Path] && p.Path != PathOther {
			t.Errorf("no mark shows the path %q", p.Path)
		}
	}
}
