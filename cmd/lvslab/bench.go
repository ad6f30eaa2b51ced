package main

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/lvslab/lvslab/internal/bench"
	"github.com/lvslab/lvslab/topo"
	"github.com/lvslab/lvslab/vm"
)

// clientFile is the lab --client measures when given no file.
const clientFile = "labs/dr.yaml"

// benchFlags are the bench command's flags.
type benchFlags struct {
	runs, guestRuns              int
	baseline                     string
	guest                        bool
	settle, duration             time.Duration
	throughput, client, failover bool
	// --scale and its own flags.
	scale, full, keepalived bool
	sizes                   string
	vips                    int
	cpuWindow               time.Duration
}

func newBenchCmd() *cobra.Command {
	var f benchFlags
	cmd := &cobra.Command{
		Use:   "bench [FILE...]",
		Short: "Measure labs: up/down times, requests/s, failover gaps, cost at scale",
		Long: `For each lab file, build and tear down its network (--topology-only) RUNS
times and print the median up and down times. For the baseline file, also
run the equivalent ip(8) script (lvslab script) the same number of times,
interleaved, and print the ratio. With --vm, also time guest boots that
run true (--vm-runs of each: restored from the guest's snapshot, and
booted afresh) and print their medians. The kernel frees a deleted
namespace asynchronously and that work competes with the next build, so
every run, lvslab's and the script's alike, starts after a pause
(--settle). The machine is noisy: compare the ratios, not the absolute
figures.

With --throughput (needs IPVS: lvslab vm -- lvslab bench --throughput), it
instead stands up each lab (default: labs/nat.yaml, dr.yaml, tun.yaml) and
measures requests/s through the VIP and directly to a real server's RIP,
with lvslab's client and with wrk, both opening a new connection per
request, for --duration each. In a guest (lvslab vm) these figures are
an emulated CPU's, not the host's.

With --client (no IPVS needed: it runs natively at full speed), it builds
a lab's network only (default labs/dr.yaml), starts the backend on one
real server and measures requests/s to its RIP from the client node with
lvslab's client and with wrk, alternating, --runs times (default 5) for
--duration each (default 2s), and prints each run, the medians and
ours/wrk.

With --failover (needs IPVS), it stands up labs/dr-keepalived.yaml's
keepalived pair (or FILE's) and fails its MASTER over --runs times
(default 5) each gracefully (SIGTERM), by crash (SIGKILL) and by a power
cut (links down, then SIGKILL), with a client asking the VIP every 20 ms,
and prints the median and worst gap (the client's last answer before the
failover to its first after, director/keepalived.Failover) and takeover
(the action to the backup holding the VIP) next to the formula.

With --scale, it generates labs of one client, one director and N DR
real servers on one segment, for each N in --sizes, with --vips virtual
services each listing every real server, and prints a row per lab: its
network built and torn down (--topology-only, no IPVS needed) --runs
times (default 3), the median up and down times, in total and per node,
and the kernel's and the machine's memory growth per node. With --full
(needs IPVS) it brings each lab fully up once instead, waits until it is
ready, counts its processes and their memory per real server, and sends
2 requests per real server through the first VIP, which rr must spread
exactly 2 to each. With --keepalived (needs IPVS) the labs get a
keepalived pair under TCP_CHECK, and it prints the time until both
tables list every real server, keepalived's CPU use over --cpu-window,
and one stopped real server's removal from both tables, each next to
its formula.`,
		Example: `  lvslab bench labs/*.yaml
  lvslab bench --runs 20 --baseline labs/dr.yaml labs/dr.yaml
  lvslab vm -- lvslab bench --throughput --duration 5s
  lvslab bench --client --runs 5
  lvslab vm -- lvslab bench --failover --runs 20
  lvslab bench --scale
  lvslab vm -- lvslab bench --scale --full --sizes 50,100
  lvslab vm -- lvslab bench --scale --keepalived --sizes 100 --vips 4`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBench(cmd, args, f)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&f.runs, "runs", 10, "how many times to build each lab (with --client, --failover: runs of each, default 5; with --scale: builds of each size, default 3)")
	fl.StringVar(&f.baseline, "baseline", "labs/dr.yaml", "lab file to compare with its ip(8) script")
	fl.BoolVar(&f.guest, "vm", false, "also time guest boots, restored and afresh (needs make deps)")
	fl.IntVar(&f.guestRuns, "vm-runs", 5, "with --vm: how many guest boots of each kind")
	fl.DurationVar(&f.settle, "settle", 250*time.Millisecond, "pause before each run")
	fl.BoolVar(&f.throughput, "throughput", false, "measure requests/s through each lab's VIP, ours vs wrk (needs IPVS)")
	fl.DurationVar(&f.duration, "duration", 3*time.Second, "with --throughput or --client: how long each measurement runs")
	fl.BoolVar(&f.client, "client", false, "measure lvslab's client against wrk to a real server's RIP, natively (no IPVS needed)")
	fl.BoolVar(&f.failover, "failover", false,
		"measure the client-visible gap of keepalived failovers on labs/dr-keepalived.yaml, RUNS each of graceful (SIGTERM), crash (SIGKILL) and power (links cut, then SIGKILL) (default 5; needs IPVS)")
	fl.BoolVar(&f.scale, "scale", false, "measure generated labs of 1 director, 1 client and N DR real servers (--sizes): up/down and cost per node")
	fl.BoolVar(&f.full, "full", false, "with --scale: bring each lab fully up once (IPVS, backends; needs IPVS), wait until ready, send 2 requests per real server, tear down")
	fl.BoolVar(&f.keepalived, "keepalived", false, "with --scale: a keepalived pair under TCP_CHECK: time to both tables, keepalived's CPU, one stopped server's removal (needs IPVS)")
	fl.StringVar(&f.sizes, "sizes", bench.ScaleSizes, "with --scale: real-server counts")
	fl.IntVar(&f.vips, "vips", 1, "with --scale: virtual services (VIPs), each listing every real server")
	fl.DurationVar(&f.cpuWindow, "cpu-window", 10*time.Second, "with --scale --keepalived: how long keepalived's CPU use is measured")
	return cmd
}

// runBench runs the benchmark the flags choose and prints its result
// (what was measured, also when it then failed).
func runBench(cmd *cobra.Command, args []string, f benchFlags) error {
	ctx, w := cmd.Context(), cmd.OutOrStdout()
	changed := cmd.Flags().Changed
	switch {
	case f.client:
		spec, err := topo.Load(firstOr(args, clientFile))
		if err != nil {
			return err
		}
		var opts bench.ClientOptions
		if changed("runs") {
			opts.Runs = f.runs
		}
		if changed("duration") {
			opts.Duration = f.duration
		}
		res, err := bench.Client(ctx, spec, opts)
		if res != nil && len(res.Runs) > 0 {
			res.Write(w, firstOr(args, clientFile))
		}
		return err
	case f.throughput:
		if err := needIPVS("--throughput"); err != nil {
			return err
		}
		res, err := bench.Throughput(ctx, args, f.duration)
		if res != nil {
			res.Write(w)
		}
		return err
	case f.failover:
		if err := needIPVS("--failover"); err != nil {
			return err
		}
		spec, err := topo.Load(firstOr(args, bench.FailoverFile))
		if err != nil {
			return err
		}
		var opts bench.FailoverOptions
		if changed("runs") {
			opts.Runs = f.runs
		}
		res, err := bench.Failover(ctx, spec, opts)
		if res != nil {
			res.Write(w)
		}
		return err
	case f.scale:
		return runScale(cmd, f)
	}
	if len(args) == 0 {
		var err error
		if args, err = filepath.Glob("labs/*.yaml"); err != nil {
			return err
		}
	}
	res, err := bench.Builds(ctx, args, bench.BuildOptions{Runs: f.runs, Settle: f.settle, Baseline: f.baseline})
	if res != nil {
		res.Write(w)
	}
	if err != nil || !f.guest {
		return err
	}
	g, err := bench.GuestBoots(ctx, f.guestRuns)
	if g != nil {
		g.Write(w)
	}
	return err
}

// runScale runs the scale benchmark for each of --sizes, printing each
// lab's result as it comes (a full lab takes minutes).
func runScale(cmd *cobra.Command, f benchFlags) error {
	ctx, w := cmd.Context(), cmd.OutOrStdout()
	sizes, err := bench.ParseScaleSizes(f.sizes)
	if err != nil {
		return err
	}
	if f.keepalived || f.full {
		mode := "--scale --full"
		if f.keepalived {
			mode = "--scale --keepalived"
		}
		if err := needIPVS(mode); err != nil {
			return err
		}
	}
	if f.keepalived {
		for _, n := range sizes {
			res, err := bench.ScaleKeepalived(ctx, bench.ScaleLab{RealServers: n, VIPs: f.vips}, f.cpuWindow)
			if res != nil {
				res.Write(w)
			}
			if err != nil {
				return err
			}
		}
		return nil
	}
	opts := bench.ScaleOptions{Full: f.full, Settle: f.settle}
	if cmd.Flags().Changed("runs") {
		opts.Runs = f.runs
	}
	bench.WriteScaleHeader(w, f.full)
	for _, n := range sizes {
		res, err := bench.Scale(ctx, bench.ScaleLab{RealServers: n, VIPs: f.vips}, opts)
		if err != nil {
			return fmt.Errorf("bench --scale, %d real servers: %w", n, err)
		}
		res.Write(w)
	}
	return nil
}

// needIPVS fails, saying how to run flag in the guest, where this kernel
// has no IPVS.
func needIPVS(flag string) error {
	need, err := vm.NeedsVM()
	if err != nil {
		return err
	}
	if need {
		return fmt.Errorf("bench %s: this kernel has no IPVS; run it in the guest kernel: lvslab vm -- lvslab bench %s", flag, flag)
	}
	return nil
}

// firstOr is the first argument, or def when there is none.
func firstOr(args []string, def string) string {
	if len(args) > 0 {
		return args[0]
	}
	return def
}
