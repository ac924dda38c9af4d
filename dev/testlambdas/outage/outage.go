// Package outage is the time-driven script the demo's stand-in Lambdas follow:
// windows, relative to a shared start instant, during which the downstream
// fails and the healthcheck reports it. Both functions read the same two
// environment variables, so that they agree on when the service is down
// without talking to each other, as a real dependency and its healthcheck would.
package outage

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Environment variables of the demo Lambdas.
const (
	// EnvEpoch is the scenario's start, RFC 3339 with nanoseconds.
	EnvEpoch = "DEMO_EPOCH"
	// EnvOutages lists the windows, e.g. "20s/30s,65s/2s": down from 20 s to
	// 50 s after the epoch, and again from 65 s to 67 s.
	EnvOutages = "OUTAGES"
)

// Window is one outage: from After to After+For, relative to the epoch.
type Window struct {
	After, For time.Duration
}

// Schedule is a scenario's outages.
type Schedule struct {
	Epoch   time.Time
	Windows []Window
}

// Down reports whether the service is down at t and, if so, which window
// (1-based) and how long it has been down.
func (s Schedule) Down(t time.Time) (window int, since time.Duration, down bool) {
	at := t.Sub(s.Epoch)
	for i, w := range s.Windows {
		if at >= w.After && at < w.After+w.For {
			return i + 1, at - w.After, true
		}
	}
	return 0, 0, false
}

// Env is the schedule as the Lambdas' environment.
func (s Schedule) Env() map[string]string {
	parts := make([]string, len(s.Windows))
	for i, w := range s.Windows {
		parts[i] = w.After.String() + "/" + w.For.String()
	}
	return map[string]string{
		EnvEpoch:   s.Epoch.UTC().Format(time.RFC3339Nano),
		EnvOutages: strings.Join(parts, ","),
	}
}

// ParseWindows reads "AFTER/FOR[,AFTER/FOR...]" in Go duration syntax.
func ParseWindows(v string) ([]Window, error) {
	var ws []Window
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		a, f, ok := strings.Cut(part, "/")
		if !ok {
			return nil, fmt.Errorf("outage %q: want AFTER/FOR, e.g. 20s/30s", part)
		}
		after, err := time.ParseDuration(a)
		if err != nil {
			return nil, fmt.Errorf("outage %q: %v", part, err)
		}
		dur, err := time.ParseDuration(f)
		if err != nil {
			return nil, fmt.Errorf("outage %q: %v", part, err)
		}
		if after < 0 || dur <= 0 {
			return nil, fmt.Errorf("outage %q: AFTER must be >= 0 and FOR > 0", part)
		}
		ws = append(ws, Window{After: after, For: dur})
	}
	return ws, nil
}

// FromEnv reads the schedule the Lambdas were started with.
func FromEnv(getenv func(string) string) (Schedule, error) {
	e := getenv(EnvEpoch)
	if e == "" {
		return Schedule{}, errors.New(EnvEpoch + " is not set")
	}
	epoch, err := time.Parse(time.RFC3339Nano, e)
	if err != nil {
		return Schedule{}, fmt.Errorf("%s: %v", EnvEpoch, err)
	}
	ws, err := ParseWindows(getenv(EnvOutages))
	if err != nil {
		return Schedule{}, fmt.Errorf("%s: %v", EnvOutages, err)
	}
	return Schedule{Epoch: epoch, Windows: ws}, nil
}
