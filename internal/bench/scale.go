package bench

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/lvslab/lvslab/client"
	"github.com/lvslab/lvslab/director"
	"github.com/lvslab/lvslab/director/keepalived"
	"github.com/lvslab/lvslab/internal/daemon"
	"github.com/lvslab/lvslab/internal/labup"
	"github.com/lvslab/lvslab/realserver"
	"github.com/lvslab/lvslab/topo"
)

// ScaleResult is one generated lab measured: the times and what the lab
// costs while it is up.
type ScaleResult struct {
	Lab   ScaleLab
	Nodes int // namespaces: nodes and the switch
	// Full says the whole lab was brought up (ScaleOptions.Full), not
	// its network alone.
	Full bool
	// Up and Down are the medians over the runs (one run for a full
	// lab): the network only with TopologyOnly, else labup.Up returning.
	Up, Down time.Duration
	// Network is, for a full lab, the median up of its network alone,
	// built Runs times just before in the same run: the yardstick its
	// full up per node is held to.
	Network time.Duration
	// Ready is, for a full lab, from the start of Up until WaitReady
	// returned: backends listening, tables listed, VRRP settled.
	Ready time.Duration
	Cost  Cost
	// Requests is, for a full lab, what 2 requests per real server
	// through the first VIP saw; RequestsOK says every real server
	// answered exactly twice (rr).
	Requests   *client.Result
	RequestsOK bool
	// Reused counts those requests whose source port an earlier one of
	// the run had used: the director, still holding that connection's
	// entry (FIN_WAIT under DR), sent it to the same real server without
	// scheduling it (director.Conn.Holds), which rr's even split then
	// does not show.
	Reused int
	// Leftover names what down left (namespaces, processes); empty is
	// right.
	Leftover []string
	// Busy counts the builds that began without the CPUs going idle
	// first (settle): measured on a machine busy with something else.
	Busy int
}

// PerNode divides d by the lab's node count, for the cost-per-node
// columns.
func (r *ScaleResult) PerNode(d time.Duration) time.Duration {
	return d / time.Duration(max(r.Nodes, 1))
}

// ScaleOptions tune Scale.
type ScaleOptions struct {
	// Full brings each lab fully up (IPVS, backends, keepalived: needs
	// IPVS) once, after building its network alone Runs times;
	// otherwise the network alone, Runs times.
	Full bool
	// Runs is how many times the network is built (default 3).
	Runs int
	// Settle is the least pause before each build (default 250ms), after
	// which the build waits for the CPUs to go idle (settle): the kernel
	// frees the last lab's namespaces asynchronously.
	Settle time.Duration
}

// Scale generates lab o and measures it: its network alone (up, down,
// Runs times), or (Full) the whole lab once, with its cost read while it
// is up and 2 requests per real server through its first VIP. The lab is
// always torn down before Scale returns.
func Scale(ctx context.Context, o ScaleLab, opts ScaleOptions) (*ScaleResult, error) {
	if opts.Runs == 0 {
		opts.Runs = 3
	}
	if opts.Settle == 0 {
		opts.Settle = 250 * time.Millisecond
	}
	spec, err := o.Generate()
	if err != nil {
		return nil, err
	}
	res := &ScaleResult{Lab: o.withDefaults(), Nodes: len(spec.Nodes) + 1}
	var ups, downs []time.Duration
	for range opts.Runs {
		up, down, cost, err := scaleRun(ctx, spec, labup.Options{TopologyOnly: true}, opts.Settle, res)
		if err != nil {
			return res, err
		}
		ups, downs = append(ups, up), append(downs, down)
		res.Cost = cost
	}
	res.Up, res.Down = Median(ups), Median(downs)
	if !opts.Full {
		return res, nil
	}
	res.Full, res.Network = true, res.Up
	up, down, cost, err := scaleRun(ctx, spec, labup.Options{}, opts.Settle, res)
	res.Up, res.Down, res.Cost = up, down, cost
	return res, err
}

// scaleRun builds spec once, measures it while it is up (and, for a full
// lab, waits until ready and sends the requests), then tears it down and
// checks nothing is left.
func scaleRun(ctx context.Context, spec *topo.Spec, opts labup.Options, pause time.Duration, res *ScaleResult) (up, down time.Duration, cost Cost, err error) {
	if !settle(ctx, pause) {
		res.Busy++
	}
	before, err := ReadMemInfo()
	if err != nil {
		return 0, 0, cost, err
	}
	opts.BuildOptions = topo.BuildOptions{Owner: os.Getpid()}
	start := time.Now()
	lab, err := labup.Up(ctx, spec, opts)
	if err != nil {
		return 0, 0, cost, err
	}
	up = time.Since(start)
	defer func() {
		if lab != nil {
			err = errors.Join(err, topo.Destroy(lab.Name))
		}
	}()
	if !opts.TopologyOnly {
		if _, err := labup.WaitReady(ctx, lab); err != nil {
			return up, 0, cost, err
		}
		res.Ready = time.Since(start)
	}
	if cost, err = LabCost(lab, before); err != nil {
		return up, 0, cost, err
	}
	if !opts.TopologyOnly {
		if res.Requests, res.RequestsOK, err = twoEach(ctx, lab); err != nil {
			return up, 0, cost, err
		}
		res.Reused = reusedPorts(res.Requests)
	}
	st := lab.State
	pids, err := topo.Processes(st.Namespaces)
	if err != nil {
		return up, 0, cost, err
	}
	start = time.Now()
	err = topo.Destroy(lab.Name)
	down = time.Since(start)
	lab = nil
	if err != nil {
		return up, down, cost, err
	}
	res.Leftover = leftover(st, pids)
	return up, down, cost, nil
}

// twoEach sends 2 requests per real server to the lab's first service
// from its client, one connection each, and tells whether every real
// server answered exactly twice (what rr promises).
func twoEach(ctx context.Context, lab *topo.Lab) (*client.Result, bool, error) {
	svc := lab.Spec.Services[0]
	cl, err := lab.Host("client")
	if err != nil {
		return nil, false, err
	}
	n := len(svc.RealServers)
	r, err := client.Run(ctx, cl, client.Options{
		Target:   netip.AddrPortFrom(svc.VIP, svc.Port),
		Requests: 2 * n,
		Deadline: time.Duration(2*n)*time.Second + 30*time.Second,
	})
	if err != nil {
		return r, false, fmt.Errorf("send requests to %s: %w", svc.VIP, err)
	}
	ok := len(r.Tally) == n
	for _, c := range r.Tally {
		ok = ok && c == 2
	}
	return r, ok, nil
}

// reusedPorts counts the requests of r whose source port an earlier
// request of r had used.
func reusedPorts(r *client.Result) int {
	seen, n := map[uint16]bool{}, 0
	for _, e := range r.Timeline {
		if p := e.Source.Port(); p != 0 {
			if seen[p] {
				n++
			}
			seen[p] = true
		}
	}
	return n
}

// leftover names what a torn-down lab left: its state directory, its
// namespaces that still exist, and which of pids (its processes before
// down) still run.
func leftover(st *topo.State, pids []int) []string {
	var out []string
	if _, err := os.Stat(topo.StateDir(st.Name)); err == nil {
		out = append(out, "state "+topo.StateDir(st.Name))
	}
	for _, ns := range st.Namespaces {
		if _, err := os.Stat(filepath.Join(topo.NetnsDir, ns)); err == nil {
			out = append(out, "namespace "+ns)
		}
	}
	for _, pid := range pids {
		if topo.ProcessAlive(pid) { // a zombie has ended, not yet reaped
			out = append(out, "process "+topo.DescribeProcess(pid))
		}
	}
	return out
}

// KeepalivedScale is what the keepalived pair of a scale lab did.
type KeepalivedScale struct {
	Lab ScaleLab
	// Tables is from the later of the two keepalived starts until both
	// directors' tables listed every real server of every service, and
	// TablesBound the checker's formula for it (keepalived.CheckBound:
	// warmup, delay_loop, connect_timeout).
	Tables, TablesBound time.Duration
	// CPU is keepalived's CPU time (both directors, every process) per
	// second of wall time over Window, once the tables were full.
	CPU    float64
	Window time.Duration
	// Removal is from stopping one real server's backend (it refuses
	// connections) until neither director lists it in the first
	// service, against the checker's formulas for a refused check
	// (keepalived.RemovalRefused) and a blackholed one
	// (keepalived.RemovalTimeout).
	Removed                      string
	Removal                      time.Duration
	RemovalRefused, RemovalBound time.Duration
}

// keepalivedWait bounds each of ScaleKeepalived's waits: a large pair in
// the TCG guest on a busy host takes far longer than the formulas.
const keepalivedWait = 5 * time.Minute

// ScaleKeepalived brings a keepalived pair's scale lab fully up (needs
// IPVS and keepalived), times until both tables list every real server,
// measures keepalived's CPU use for window, then stops one real server's
// backend and times its removal from both tables. The lab is torn down
// before it returns.
func ScaleKeepalived(ctx context.Context, o ScaleLab, window time.Duration) (res *KeepalivedScale, err error) {
	o.Keepalived = true
	spec, err := o.Generate()
	if err != nil {
		return nil, err
	}
	svc := spec.Services[0]
	res = &KeepalivedScale{Lab: o.withDefaults(), Window: window, TablesBound: keepalived.CheckBound(svc.Check)}
	lab, err := labup.Up(ctx, spec, labup.Options{BuildOptions: topo.BuildOptions{Owner: os.Getpid()}})
	if err != nil {
		return res, err
	}
	defer func() { err = errors.Join(err, topo.Destroy(lab.Name)) }()
	var dirs []*topo.Host
	var origin time.Time
	for _, name := range svc.Directors {
		h, err := lab.Host(name)
		if err != nil {
			return res, err
		}
		rec, err := daemon.ReadRecord(h, keepalived.ProcessName)
		if err != nil {
			return res, fmt.Errorf("keepalived on %s: %w", name, err)
		}
		if rec.Started.After(origin) {
			origin = rec.Started
		}
		dirs = append(dirs, h)
	}
	err = poll(ctx, "every real server in both tables", func() (bool, error) {
		for _, d := range dirs {
			t, err := director.Snapshot(d)
			if err != nil {
				return false, err
			}
			for _, s := range spec.Services {
				if len(t.Lacks(s)) > 0 {
					return false, nil
				}
			}
		}
		return true, nil
	})
	if err != nil {
		return res, err
	}
	res.Tables = time.Since(origin)
	if res.CPU, err = keepalivedCPU(ctx, lab, window); err != nil {
		return res, err
	}
	rs := svc.RealServers[len(svc.RealServers)/2]
	res.Removed = rs.Node
	res.RemovalRefused, res.RemovalBound = keepalived.RemovalRefused(svc.Check), keepalived.RemovalTimeout(svc.Check)
	h, err := lab.Host(rs.Node)
	if err != nil {
		return res, err
	}
	if err := realserver.Stop(h, 0); err != nil {
		return res, err
	}
	start := time.Now()
	err = poll(ctx, rs.Node+" gone from both tables", func() (bool, error) {
		for _, d := range dirs {
			t, err := director.Snapshot(d)
			if err != nil {
				return false, err
			}
			if !slices.Contains(t.Lacks(svc), rs.Node) {
				return false, nil
			}
		}
		return true, nil
	})
	res.Removal = time.Since(start)
	return res, err
}

// poll calls done every 50 ms until it says true, fails, or
// keepalivedWait passes.
func poll(ctx context.Context, what string, done func() (bool, error)) error {
	deadline := time.Now().Add(keepalivedWait)
	for {
		ok, err := done()
		if err != nil || ok {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("wait for %s: not after %s", what, keepalivedWait)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}
