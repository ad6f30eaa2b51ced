package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"slices"
	"time"

	"github.com/lvslab/lvslab/client"
	"github.com/lvslab/lvslab/internal/labup"
	"github.com/lvslab/lvslab/realserver"
	"github.com/lvslab/lvslab/topo"
)

// ClientTarget is the least ours/wrk (median of the runs) the client
// benchmark expects.
const ClientTarget = 0.8

// ClientLab is the name the client benchmark's lab is stood up under.
const ClientLab = "bench-client"

// ClientOptions tune [Client].
type ClientOptions struct {
	// Runs is how many times each tool is measured (default 5).
	Runs int
	// Duration is each measurement's length, whole seconds (default 2s;
	// wrk counts in seconds).
	Duration time.Duration
	// Binary is the lvslab executable the backend runs as (default:
	// realserver.Binary()).
	Binary string
	// Name is the lab's name (default ClientLab).
	Name string
}

// ClientRun is one run: each tool measured once, back to back.
type ClientRun struct {
	Ours, Wrk Rate
	// WrkFirst says which went first: runs alternate, so that a drift in
	// the machine's load weighs on both alike.
	WrkFirst bool
}

// Ratio is ours/wrk, 0 when wrk had no reply.
func (r ClientRun) Ratio() float64 {
	if r.Wrk.PerSec == 0 {
		return 0
	}
	return r.Ours.PerSec / r.Wrk.PerSec
}

// ClientResult is what [Client] measured.
type ClientResult struct {
	// Target is the real server's RIP:port the requests went to, and
	// RealServer and Client the nodes.
	Target             netip.AddrPort
	RealServer, Client string
	Duration           time.Duration
	Runs               []ClientRun
}

// Median returns the median requests/s of ours and of wrk, and the
// median of the runs' ratios.
func (r *ClientResult) Median() (ours, wrk, ratio float64) {
	var o, w, q []float64
	for _, run := range r.Runs {
		o, w, q = append(o, run.Ours.PerSec), append(w, run.Wrk.PerSec), append(q, run.Ratio())
	}
	return median(o), median(w), median(q)
}

// OK reports whether the median ratio reaches ClientTarget.
func (r *ClientResult) OK() bool {
	_, _, ratio := r.Median()
	return ratio >= ClientTarget
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func (o *ClientOptions) check() error {
	if o.Runs == 0 {
		o.Runs = 5
	}
	if o.Duration == 0 {
		o.Duration = 2 * time.Second
	}
	if o.Name == "" {
		o.Name = ClientLab
	}
	if o.Runs < 1 || o.Runs > 100 {
		return fmt.Errorf("runs %d: want 1 to 100", o.Runs)
	}
	if o.Duration < time.Second || o.Duration > time.Minute || o.Duration%time.Second != 0 {
		return fmt.Errorf("duration %s: want whole seconds, 1s to 1m", o.Duration)
	}
	return nil
}

// benchClientSysctls are set in the lab's client namespace (only there)
// for the benchmark. A new connection per request leaves tens of
// thousands of TIME_WAIT sockets within a few runs; past the default
// port range connect(2) spends its time searching for a free port, and
// runs after the first fell from about 8000 to 500 requests/s for both
// clients alike, measuring the kernel's port search rather than the
// client. Reusing TIME_WAIT ports for new connections, from a wider
// range, keeps the figure about the client.
var benchClientSysctls = []topo.Sysctl{
	{Key: "net.ipv4.tcp_tw_reuse", Value: "1"},
	{Key: "net.ipv4.ip_local_port_range", Value: "1024 65535"},
}

// Client measures the built-in client against wrk natively: it builds
// spec's network (no IPVS, no keepalived), starts the backend on the
// first real server of spec's first HTTP service, and from the first
// client node sends requests to that RIP with each tool in turn,
// opts.Runs times. The lab is torn down before it returns.
func Client(ctx context.Context, spec *topo.Spec, opts ClientOptions) (res *ClientResult, err error) {
	if err := opts.check(); err != nil {
		return nil, fmt.Errorf("bench client: %w", err)
	}
	svc, err := HTTPService(spec)
	if err != nil {
		return nil, fmt.Errorf("bench client on %s: %w", spec.Name, err)
	}
	cl := spec.FirstOf(topo.RoleClient)
	if cl == nil {
		return nil, fmt.Errorf("bench client on %s: no client node", spec.Name)
	}
	rs := svc.RealServers[0]
	res = &ClientResult{
		Target:     netip.AddrPortFrom(rs.RIP, rs.Port),
		RealServer: rs.Node,
		Client:     cl.Name,
		Duration:   opts.Duration,
	}
	lab, err := labup.Up(ctx, spec, labup.Options{
		BuildOptions: topo.BuildOptions{Name: opts.Name, Owner: os.Getpid(), Force: true},
		TopologyOnly: true,
	})
	if err != nil {
		return nil, fmt.Errorf("bench client: %w", err)
	}
	defer func() {
		if derr := topo.Destroy(lab.Name); derr != nil {
			err = errors.Join(err, fmt.Errorf("bench client: %w", derr))
		}
	}()
	rh, err := lab.Host(rs.Node)
	if err != nil {
		return nil, fmt.Errorf("bench client: %w", err)
	}
	if err := realserver.Start(rh, realserver.ServiceOptions(spec, rs.Node), opts.Binary); err != nil {
		return nil, fmt.Errorf("bench client: %w", err)
	}
	defer func() { _ = rh.StopProcess(realserver.ProcessName, time.Second) }()
	ch, err := lab.Host(cl.Name)
	if err != nil {
		return nil, fmt.Errorf("bench client: %w", err)
	}
	if err := ch.WriteSysctls(benchClientSysctls); err != nil {
		return nil, fmt.Errorf("bench client: %w", err)
	}
	if err := WarmUp(ctx, ch, res.Target); err != nil {
		return nil, fmt.Errorf("bench client: %w", err)
	}
	for i := range opts.Runs {
		run := ClientRun{WrkFirst: i%2 == 1}
		measure := []func() error{
			func() (err error) { run.Ours, err = Ours(ctx, ch, res.Target, opts.Duration); return err },
			func() (err error) { run.Wrk, err = Wrk(ctx, ch, res.Target, opts.Duration); return err },
		}
		if run.WrkFirst {
			slices.Reverse(measure)
		}
		for _, m := range measure {
			if err := m(); err != nil {
				return res, fmt.Errorf("bench client, run %d: %w", i+1, err)
			}
		}
		res.Runs = append(res.Runs, run)
	}
	return res, nil
}

// HTTPService is spec's first plain TCP service (no firewall mark, a
// port, real servers), which the backends answer over HTTP.
func HTTPService(spec *topo.Spec) (*topo.Service, error) {
	for _, s := range spec.Services {
		if s.FWMark == 0 && s.Port != 0 && s.Protocol == "tcp" && len(s.RealServers) > 0 {
			return s, nil
		}
	}
	return nil, errors.New("no TCP service with a port and real servers")
}

// WarmUp proves the path from h to addr with a few requests, so that a
// broken lab fails loudly instead of measuring zeros.
func WarmUp(ctx context.Context, h *topo.Host, addr netip.AddrPort) error {
	res, err := client.Run(ctx, h, client.Options{Target: addr, Requests: 5, Deadline: 10 * time.Second})
	if err != nil {
		return fmt.Errorf("warm up %s: %w", addr, err)
	}
	if res.OK() != res.Sent {
		return fmt.Errorf("warm up %s: %d of %d requests failed: %v", addr, res.Sent-res.OK(), res.Sent, res.Errors)
	}
	return nil
}

// Write prints each run and the medians against ClientTarget; lab names
// the lab file measured.
func (r *ClientResult) Write(w io.Writer, lab string) {
	fmt.Fprintf(w, "client vs wrk, native (no IPVS, this host's kernel): %s %s -> RIP %s %s, new connection per request, %s each\n",
		lab, r.Client, r.RealServer, r.Target, r.Duration)
	fmt.Fprintf(w, "%-4s %-5s %12s %12s %9s %14s %14s\n", "run", "first", "ours req/s", "wrk req/s", "ours/wrk", "ours CPU/req", "wrk CPU/req")
	for i, run := range r.Runs {
		first := "ours"
		if run.WrkFirst {
			first = "wrk"
		}
		fmt.Fprintf(w, "%-4d %-5s %12s %12s %9.2f %14s %14s", i+1, first, run.Ours, run.Wrk, run.Ratio(),
			run.Ours.CPUPerRequest().Round(time.Microsecond), run.Wrk.CPUPerRequest().Round(time.Microsecond))
		if run.Ours.Failed > 0 || run.Wrk.Failed > 0 {
			fmt.Fprintf(w, "   (failed: ours %d %v, wrk %d)", run.Ours.Failed, run.Ours.Kinds, run.Wrk.Failed)
		}
		fmt.Fprintln(w)
	}
	ours, wrk, ratio := r.Median()
	verdict := "ok"
	if !r.OK() {
		verdict = "BELOW TARGET"
	}
	fmt.Fprintf(w, "%-10s %12.0f %12.0f %9.2f   (target >= %.1f): %s\n", "median", ours, wrk, ratio, ClientTarget, verdict)
}
