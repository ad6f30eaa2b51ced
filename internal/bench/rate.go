package bench

import (
	"bufio"
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/lvslab/lvslab/client"
	"github.com/lvslab/lvslab/topo"
)

// Rate is one measurement of one tool against one target.
type Rate struct {
	// PerSec is successful requests per second.
	PerSec float64
	// OK and Failed count replies and failures.
	OK, Failed int
	// Kinds counts failures by kind (ours only: client.Classify's words).
	Kinds map[string]int
	// CPU is the tool's CPU time (user and system) over the run: less
	// at the mercy of a shared machine's load than PerSec.
	CPU time.Duration
}

// CPUPerRequest is CPU over OK, 0 without replies.
func (r Rate) CPUPerRequest() time.Duration {
	if r.OK == 0 {
		return 0
	}
	return r.CPU / time.Duration(r.OK)
}

func (r Rate) String() string {
	if r.OK == 0 {
		return "-"
	}
	return strconv.FormatFloat(r.PerSec, 'f', 0, 64)
}

// Ours runs client.Run from h to addr for d, one request at a time, each
// on a new connection, and counts the replies. The run is bounded by d
// and by client.MaxRequests.
func Ours(ctx context.Context, h *topo.Host, addr netip.AddrPort, d time.Duration) (Rate, error) {
	cpu0, err := processCPU()
	if err != nil {
		return Rate{}, err
	}
	start := time.Now()
	res, err := client.Run(ctx, h, client.Options{Target: addr, Requests: client.MaxRequests, Deadline: d})
	elapsed := time.Since(start)
	if err != nil {
		return Rate{}, fmt.Errorf("measure client: %w", err)
	}
	cpu1, err := processCPU()
	if err != nil {
		return Rate{}, err
	}
	ok := res.OK()
	return Rate{PerSec: float64(ok) / elapsed.Seconds(), OK: ok, Failed: res.Sent - ok, Kinds: res.Errors, CPU: cpu1 - cpu0}, nil
}

// Wrk runs wrk from h to addr for d (whole seconds, at least one): one
// thread, one connection at a time, and "Connection: close" so that, like
// our client, it opens a new connection per request (the backend closes
// after its reply when asked to). Equivalent to:
// `ip netns exec LAB-client wrk -t1 -c1 -dD --latency -H 'Connection: close' http://ADDR/`.
func Wrk(ctx context.Context, h *topo.Host, addr netip.AddrPort, d time.Duration) (Rate, error) {
	ctx, cancel := context.WithTimeout(ctx, d+15*time.Second)
	defer cancel()
	url := "http://" + client.HostHeader(addr) + "/"
	secs := strconv.Itoa(max(1, int(d.Round(time.Second)/time.Second)))
	cmd := h.Command(ctx, "wrk", "-t1", "-c1", "-d"+secs+"s", "--latency",
		"-H", "Connection: close", url)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return Rate{}, fmt.Errorf("run wrk: %w: %s", err, out)
	}
	r, err := ParseWrk(string(out))
	if err != nil {
		return Rate{}, err
	}
	r.CPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	return r, nil
}

// processCPU is this process's CPU time so far, user and system, all
// threads. Equivalent to: getrusage(RUSAGE_SELF).
func processCPU() (time.Duration, error) {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		return 0, fmt.Errorf("read CPU time: %w", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}

// ParseWrk reads wrk's summary: "Requests/sec: N", "R requests in …",
// and the error lines ("Socket errors: connect A, read B, write C,
// timeout D", "Non-2xx or 3xx responses: N"). OK is wrk's count of
// completed requests, Failed the sum of its error counts.
func ParseWrk(out string) (Rate, error) {
	var r Rate
	found := false
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "Requests/sec:"):
			v, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimPrefix(line, "Requests/sec:")), 64)
			if err != nil {
				return Rate{}, fmt.Errorf("parse wrk %q: %w", line, err)
			}
			r.PerSec, found = v, true
		case strings.Contains(line, " requests in "):
			n, _, _ := strings.Cut(line, " ")
			v, err := strconv.Atoi(n)
			if err != nil {
				return Rate{}, fmt.Errorf("parse wrk %q: %w", line, err)
			}
			r.OK = v
		case strings.HasPrefix(line, "Socket errors:"):
			for _, f := range strings.Split(strings.TrimPrefix(line, "Socket errors:"), ",") {
				fs := strings.Fields(f)
				if len(fs) == 2 {
					n, err := strconv.Atoi(fs[1])
					if err != nil {
						return Rate{}, fmt.Errorf("parse wrk %q: %w", line, err)
					}
					r.Failed += n
				}
			}
		case strings.HasPrefix(line, "Non-2xx or 3xx responses:"):
			n, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "Non-2xx or 3xx responses:")))
			if err != nil {
				return Rate{}, fmt.Errorf("parse wrk %q: %w", line, err)
			}
			r.Failed += n
		}
	}
	if !found {
		return Rate{}, fmt.Errorf("parse wrk: no Requests/sec line in %q", out)
	}
	return r, nil
}
