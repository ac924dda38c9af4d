package testenv

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// readyTimeout bounds how long we wait for an emulator to accept connections. It is
// generous because CI machines are slow and shared; it is not an assertion on speed.
const readyTimeout = 30 * time.Second

// process is one emulator we started, in its own process group.
type process struct {
	name string
	cmd  *exec.Cmd
	out  *LockedBuffer
	done chan struct{} // closed when the process has exited
	err  error         // Wait's result, valid after done
	stop sync.Once
}

// LockedBuffer collects a process's output; the process writes while tests read.
type LockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *LockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *LockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func startProcess(name string, argv []string, env []string, dir string) (*process, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	cmd.Dir = dir
	// Own process group, so that stopping it also stops whatever it spawned and a
	// Ctrl-C on `go test` does not leave it to the terminal's mercy.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p := &process{name: name, cmd: cmd, out: &LockedBuffer{}, done: make(chan struct{})}
	cmd.Stdout = p.out
	cmd.Stderr = p.out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// waitListening waits until addr accepts TCP connections, or the process exits
// (typically because it lost the race for its port).
func (p *process) waitListening(addr string) error {
	deadline := time.Now().Add(readyTimeout)
	for {
		select {
		case <-p.done:
			return fmt.Errorf("%s exited before listening on %s (%v); output:\n%s", p.name, addr, p.err, p.out.String())
		default:
		}
		conn, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			conn.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not listen on %s within %s; output:\n%s", p.name, addr, readyTimeout, p.out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// exited reports whether the process has already exited.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// kill stops the process group and every process group its descendants moved
// into (the RIE starts the bootstrap with Setpgid, so killing the RIE's group
// alone would leave the bootstrap running), then reaps the process.
func (p *process) kill() {
	p.stop.Do(func() {
		pid := p.cmd.Process.Pid
		groups := map[int]bool{pid: true}
		others := descendants(pid)
		for _, d := range others {
			if pgid, err := syscall.Getpgid(d); err == nil {
				groups[pgid] = true
			}
			// Also the process itself, in case it shares a group we must not kill.
			_ = syscall.Kill(d, syscall.SIGKILL)
		}
		for g := range groups {
			if g == syscall.Getpgrp() {
				continue // never our own group: that would kill the test binary
			}
			_ = syscall.Kill(-g, syscall.SIGKILL)
		}
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
		}
		// The descendants are not our children, so we cannot wait for them; SIGKILL
		// is asynchronous, so poll until they are gone, lest the next test (or the
		// test binary's exit) races with a dying bootstrap.
		deadline := time.Now().Add(10 * time.Second)
		for _, d := range others {
			for alive(d) && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
		}
	})
}

// alive reports whether pid still runs: a zombie (exited, not yet reaped by
// whoever adopted it) counts as gone.
func alive(pid int) bool {
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false // no /proc entry: gone (descendants only come from /proc)
	}
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 >= len(s) {
		return true
	}
	state := s[i+2]
	return state != 'Z' && state != 'X'
}

// descendants lists the pids below pid, read from /proc (Linux). Elsewhere it
// returns nothing and only the process group is killed.
func descendants(pid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	children := map[int][]int{}
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// The command name is in parentheses and may contain spaces: parse after it.
		s := string(stat)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		fields := strings.Fields(s[i+1:])
		if len(fields) < 2 {
			continue
		}
		ppid, err := strconv.Atoi(fields[1])
		if err != nil {
			continue
		}
		children[ppid] = append(children[ppid], child)
	}
	var out []int
	queue := []int{pid}
	for len(queue) > 0 {
		next := queue[0]
		queue = queue[1:]
		for _, c := range children[next] {
			out = append(out, c)
			queue = append(queue, c)
		}
	}
	return out
}

// errMissing marks a missing emulator, so that callers can tell the user what to run.
var errMissing = errors.New("run `make deps`")
