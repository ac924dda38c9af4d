package bench

// The original's paths, read from its definition (see
// localbreaker.OriginalModel), with its logging at ALL with execution data.
type originalPath struct {
	name   string
	u      Usage
	events int // execution history events, all logged
}

func originalPaths() []originalPath {
	// Events: ExecutionStarted; the upstream Task: StateEntered, Scheduled,
	// Started, Succeeded, StateExited; the Choice: Entered, Exited; then the
	// downstream Task (5 events, or StateEntered, Scheduled, Started, Failed
	// and the catch-all Pass's Entered, Exited) or the fast-fail Pass (2);
	// ExecutionSucceeded.
	mk := func(name string, downstream float64, events int, states float64) originalPath {
		return originalPath{name: name, events: events, u: Usage{
			SFNDynamoCalls: 0, StatesEntered: states, Downstream: downstream, Own: 1,
			// The upstream's GetItem: the SDK's default, eventually consistent.
			RRU:      0.5,
			LogBytes: float64(events)*Assumed.OriginalEventBytes + Assumed.UpstreamLogBytes,
		}}
	}
	return []originalPath{
		mk("closed, healthy", 1, 14, 3),
		mk("closed, failing", 1, 15, 4),
		mk("open, fail fast (503)", 0, 11, 3),
	}
}
