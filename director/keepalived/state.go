package keepalived

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/lvslab/lvslab/internal/daemon"
	"github.com/lvslab/lvslab/topo"
)

// VRRP states as keepalived logs them, and Stopped for a director whose
// keepalived does not run.
const (
	StateMaster  = "MASTER"
	StateBackup  = "BACKUP"
	StateFault   = "FAULT"
	StateStopped = "STOPPED"
)

// Instance is one VRRP instance of a director's keepalived as keepalived
// last reported it.
type Instance struct {
	Name string
	// State is MASTER, BACKUP or FAULT from keepalived's log, STOPPED when
	// keepalived does not run, "" before it has said.
	State string
	// Priority is the effective priority (the configured one changed by
	// tracked scripts); Configured is the configuration's.
	Priority   int
	Configured int
}

// States reads the VRRP state and priority of each instance of director
// h's keepalived from its console log (the lab's
// logs/NODE.keepalived.log), with the instances and their configured
// priorities from its keepalived.conf. Equivalent to: the last
// "(VI_1) Entering MASTER STATE" and "Changing effective priority" lines
// of `journalctl -u keepalived`.
//
// The log is keepalived's own account and needs nothing in the
// configuration, so it works for a node's verbatim keepalived.conf too;
// notify scripts would have to be added to the file, and the SIGUSR1
// dump goes to one /tmp/keepalived.data shared by every director.
func States(h *topo.Host) ([]Instance, error) {
	f := FilesOf(h)
	conf, err := os.ReadFile(f.Config)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil // keepalived never ran here
	}
	if err != nil {
		return nil, fmt.Errorf("read keepalived state of %s: %w", h.Name(), err)
	}
	insts := ConfiguredInstances(string(conf))
	running, err := Running(h)
	if err != nil {
		return nil, err
	}
	log, err := os.Open(daemon.LogPath(h, ProcessName))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read keepalived state of %s: %w", h.Name(), err)
	}
	if log != nil {
		defer log.Close()
		if err := ReadStates(log, insts); err != nil {
			return nil, fmt.Errorf("read keepalived state of %s: %w", h.Name(), err)
		}
	}
	if !running {
		for i := range insts {
			insts[i].State = StateStopped
		}
	}
	return insts, nil
}

var (
	instanceRe = regexp.MustCompile(`^\s*vrrp_instance\s+(\S+)`)
	priorityRe = regexp.MustCompile(`^\s*priority\s+(\d+)`)
	enterRe    = regexp.MustCompile(`\((\S+)\) Entering (\S+) STATE`)
	changeRe   = regexp.MustCompile(`\((\S+)\) Changing effective priority from \d+ to (\d+)`)
)

// ConfiguredInstances lists the vrrp_instance blocks of a keepalived.conf
// with their configured priority (keepalived's default 100 when none is
// given), in file order.
func ConfiguredInstances(conf string) []Instance {
	var out []Instance
	for _, line := range strings.Split(conf, "\n") {
		if i := strings.IndexAny(line, "#!"); i >= 0 {
			line = line[:i]
		}
		if m := instanceRe.FindStringSubmatch(line); m != nil {
			out = append(out, Instance{Name: m[1], Priority: 100, Configured: 100})
			continue
		}
		if m := priorityRe.FindStringSubmatch(line); m != nil && len(out) > 0 {
			p, _ := strconv.Atoi(m[1])
			out[len(out)-1].Priority, out[len(out)-1].Configured = p, p
		}
	}
	return out
}

// ReadStates replays a keepalived console log into insts: each start of
// keepalived resets them to the configured priority and no state; each
// "Entering X STATE" and "Changing effective priority" line updates its
// instance.
func ReadStates(r io.Reader, insts []Instance) error {
	byName := map[string]*Instance{}
	for i := range insts {
		byName[insts[i].Name] = &insts[i]
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.Contains(line, "Starting Keepalived"):
			for i := range insts {
				insts[i].State, insts[i].Priority = "", insts[i].Configured
			}
		case strings.HasSuffix(line, ": Stopping"):
			for i := range insts {
				insts[i].State = StateStopped
			}
		default:
			if m := enterRe.FindStringSubmatch(line); m != nil {
				if in := byName[m[1]]; in != nil {
					in.State = m[2]
				}
			} else if m := changeRe.FindStringSubmatch(line); m != nil {
				if in := byName[m[1]]; in != nil {
					in.Priority, _ = strconv.Atoi(m[2])
				}
			}
		}
	}
	return sc.Err()
}

// checkRe finds the first real server address in a line of keepalived's
// log, as FMT_RS writes it: "[192.168.10.33]:tcp:80".
var checkRe = regexp.MustCompile(`\[[0-9a-fA-F.:]+\]:(?:tcp|udp):\d+`)

// checkFailed are the words of the checkers' failure lines: "TCP
// connection to … failed.", "Timeout connecting …", "HTTP status code
// error to …", "Removing service … from VS …".
var checkFailed = []string{"failed", "Timeout", "timeout", "error", "Error", "Removing service"}

// CheckKey is how keepalived's log names a real server: "[RIP]:tcp:PORT".
func CheckKey(rip netip.AddrPort, protocol string) string {
	if protocol == "" {
		protocol = topo.DefaultProtocol
	}
	return "[" + rip.Addr().String() + "]:" + protocol + ":" + strconv.Itoa(int(rip.Port()))
}

// ReadChecks replays a keepalived console log into the health checkers'
// last verdict on each real server since keepalived last started,
// keyed as CheckKey: true after a success line ("TCP connection to …
// success.", "Remote Web server … succeed on service.", "HTTP status
// code success to …"), false after a failure or removal. keepalived 2.2 logs a success at each server's first check
// after start, and on every change after that.
func ReadChecks(r io.Reader) (map[string]bool, error) {
	out := map[string]bool{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.Contains(line, "Starting Keepalived") {
			clear(out)
			continue
		}
		key := checkRe.FindString(line)
		switch {
		case key == "":
		case strings.Contains(line, "success") || strings.Contains(line, "succeed"):
			out[key] = true
		case slices.ContainsFunc(checkFailed, func(w string) bool { return strings.Contains(line, w) }):
			out[key] = false
		}
	}
	return out, sc.Err()
}

// Checks is ReadChecks of director h's keepalived log; empty when
// keepalived never ran there.
func Checks(h *topo.Host) (map[string]bool, error) {
	f, err := os.Open(daemon.LogPath(h, ProcessName))
	if errors.Is(err, os.ErrNotExist) {
		return map[string]bool{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read health checks of %s: %w", h.Name(), err)
	}
	defer f.Close()
	out, err := ReadChecks(f)
	if err != nil {
		return nil, fmt.Errorf("read health checks of %s: %w", h.Name(), err)
	}
	return out, nil
}
