package topo

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// ErrLimit means the machine cannot hold the lab: a kernel or process
// limit it would run past. A *LimitError wraps it, naming the limit and
// how to raise it.
var ErrLimit = errors.New("the machine's limit is too low for the lab")

// LimitError is a limit a lab would run past: checked before anything is
// built (CheckLimits), or hit while building (limitHint).
type LimitError struct {
	// Limit names it as the user sets it: a sysctl, or RLIMIT_NOFILE.
	Limit string
	// Need is what the lab needs (an estimate where marked), Have what
	// the limit allows; 0 when a build hit the limit unforeseen.
	Need, Have int64
	// Raise says how to raise it.
	Raise string
	// Err is the failure a build hit, if any.
	Err error
}

func (e *LimitError) Error() string {
	var b strings.Builder
	if e.Err != nil {
		fmt.Fprintf(&b, "%v: ", e.Err)
	}
	fmt.Fprintf(&b, "%s is too low", e.Limit)
	if e.Need > 0 {
		fmt.Fprintf(&b, " (the lab needs about %d, the limit leaves %d)", e.Need, e.Have)
	}
	fmt.Fprintf(&b, "; raise it: %s", e.Raise)
	return b.String()
}

func (e *LimitError) Is(target error) bool { return target == ErrLimit }
func (e *LimitError) Unwrap() error        { return e.Err }

// The limits, as the user raises them. The neighbour table's thresholds
// are the kernel's one table for every namespace: a lab's entries count
// against the root namespace's net.ipv4.neigh.default.gc_thresh3, which
// the lab never changes itself.
var (
	limitNamespaces = LimitError{Limit: "user.max_net_namespaces",
		Raise: "sysctl -w user.max_net_namespaces=N"}
	limitFiles = LimitError{Limit: "RLIMIT_NOFILE (open files)",
		Raise: "ulimit -n N in the shell that runs lvslab (above the hard limit: LimitNOFILE= in its systemd unit, or /etc/security/limits.conf)"}
	limitNeigh = LimitError{Limit: "net.ipv4.neigh.default.gc_thresh3 (the neighbour table, shared by every namespace)",
		Raise: "sysctl -w net.ipv4.neigh.default.gc_thresh3=N net.ipv4.neigh.default.gc_thresh2=N/2 in the root namespace"}
	limitMemory = LimitError{Limit: "memory (MemAvailable, KiB)",
		Raise: "free memory, or give the guest more: lvslab vm --memory MiB"}
)

// Per-node estimates CheckLimits works with, from the scale benchmark
// (lvslab bench --scale): a namespace with its veth pair and bridge port
// costs the kernel about 150-550 KiB; a node costs the process that
// builds it a few open files (a namespace handle, a pidfd while it
// waits). What the backends cost comes on top (CheckLimits' extra).
const (
	nodeKernelKiB = 512
	filesPerNode  = 2
	filesSlack    = 64
)

// CheckLimits refuses, before anything is built, a lab the machine cannot
// hold: more namespaces than user.max_net_namespaces leaves, more open
// files than RLIMIT_NOFILE, more neighbour entries than the neighbour
// table's gc_thresh3, more kernel memory than MemAvailable (extraKiB and
// extraFiles are what the caller adds on top: backends). It returns a *LimitError
// naming the first limit that is too low; limits it cannot read are not
// checked.
func CheckLimits(spec *Spec, extraKiB, extraFiles int64) error {
	namespaces := int64(len(spec.Nodes) + 1)
	if max, ok := readSysctlInt("/proc/sys/user/max_net_namespaces"); ok {
		inUse := int64(0)
		if entries, err := os.ReadDir(NetnsDir); err == nil {
			inUse = int64(len(entries))
		}
		if have := max - inUse; namespaces > have {
			return limit(limitNamespaces, namespaces, have)
		}
	}
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err == nil {
		if need := int64(len(spec.Nodes))*filesPerNode + filesSlack + extraFiles; uint64(need) > rl.Cur {
			return limit(limitFiles, need, int64(rl.Cur))
		}
	}
	if max, ok := readSysctlInt("/proc/sys/net/ipv4/neigh/default/gc_thresh3"); ok {
		if need := spec.NeighbourEntries(); need > max {
			return limit(limitNeigh, need, max)
		}
	}
	if avail, ok := memAvailable(); ok {
		if need := namespaces*nodeKernelKiB + extraKiB; need > avail {
			return limit(limitMemory, need, avail)
		}
	}
	return nil
}

func limit(l LimitError, need, have int64) *LimitError {
	l.Need, l.Have = need, have
	return &l
}

// NeighbourEntries estimates the IPv4 neighbour entries a lab's traffic
// makes: on each segment, every director, router and client resolves
// every other node there (the directors their real servers, for requests
// and health checks), and every real server resolves each of them (DR
// replies go straight to a client or router; checks come from the
// directors). Real servers do not resolve one another.
func (s *Spec) NeighbourEntries() int64 {
	var total int64
	for _, seg := range s.Segments {
		var hubs, members int64
		for _, n := range s.Nodes {
			for _, ifc := range n.Interfaces {
				if ifc.Segment != seg.Name {
					continue
				}
				members++
				if n.Role != RoleRealServer {
					hubs++
				}
				break
			}
		}
		total += hubs*(members-1) + (members-hubs)*hubs
	}
	return total
}

// LimitHint turns an error a build, a backend or a daemon hit at a limit
// (open files, memory) into a *LimitError naming it; other errors pass.
// (The namespace limit is named where unshare(2) hits it:
// createNamespace.)
func LimitHint(err error) error {
	var le *LimitError
	switch {
	case err == nil, errors.As(err, &le):
		return err
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE):
		l := limitFiles
		l.Err = err
		return &l
	case errors.Is(err, syscall.ENOMEM):
		l := limitMemory
		l.Err = err
		return &l
	}
	return err
}

func readSysctlInt(path string) (int64, bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
	return n, err == nil
}

func memAvailable() (int64, bool) {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0, false
	}
	for line := range strings.Lines(string(data)) {
		if rest, ok := strings.CutPrefix(line, "MemAvailable:"); ok {
			n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}
