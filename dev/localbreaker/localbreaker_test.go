package localbreaker

import (
	"strings"
	"testing"
)

func TestClassify(t *testing.T) {
	for states, want := range map[string]Path{
		"ReadCircuit,CheckCircuit,InvokeDownstream":                                                                                                PathHealthy,
		"ReadCircuit,CheckCircuit,InvokeDownstreamAfterFailures,ResetFailures":                                                                     PathReset,
		"ReadCircuit,CheckCircuit,InvokeDownstream,RecordFailure,CheckFailureThreshold,DownstreamFailed,RaiseDownstreamError":                      PathFailing,
		"ReadCircuit,CheckCircuit,InvokeDownstream,RecordFailure,CheckFailureThreshold,Trip,DownstreamFailed,RaiseDownstreamError":                 PathTrip,
		"ReadCircuit,CheckCircuit,RejectOpen":                                                                                                      PathOpen,
		"ReadCircuit,CheckCircuit,RejectHealthcheckAlarm":                                                                                          PathOpen,
		"ReadCircuit,CheckCircuit,PrepareElection,CheckElectionClaim,ClaimElection,ElectProbe,CheckElection,RejectProbeNotAdmitted":                PathNotAdmitted,
		"ReadCircuit,CheckCircuit,PrepareElection,CheckElectionClaim,ClaimElection,RejectElectionClaimed":                                          PathNotAdmitted,
		"ReadCircuit,CheckCircuit,PrepareElection,CheckElectionClaim,RejectElectionClaimed":                                                        PathNotAdmitted,
		"ReadCircuit,CheckCircuit,PrepareElection,CheckElectionClaim,ClaimElection,ElectProbe,CheckElection,InvokeProbe,CloseCircuit":              PathProbeClosed,
		"ReadCircuit,CheckCircuit,PrepareElection,CheckElectionClaim,ClaimElection,ElectProbe,CheckElection,InvokeProbe,CloseCircuit,ReturnResult": PathProbeSucceeded,
		"ReadCircuit,CheckCircuit,JoinProbe,InvokeProbe,Reopen,DownstreamFailed,RaiseDownstreamError":                                              PathProbeReopened,
		"ReadCircuit,InvokeDownstream": PathFailOpen,
	} {
		if got := Classify(strings.Split(states, ",")); got != want {
			t.Errorf("%s: %s, want %s", states, got, want)
		}
	}
}
