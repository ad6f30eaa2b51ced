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
}

func newBenchCmd() *cobra.Command {
	var f benchFlags
	cmd := &cobra.Command{
		Use:   "bench [FILE...]",
		Short: "Measure how fast labs go up and down",
		Long: `For each lab file, build and tear down its network (--topology-only) RUNS
times and print the median up and down times. For the baseline file, also
run the equivalent ip(8) script (lvslab script) the same number of times,
interleaved, and print the ratio. With --vm, also time guest boots that
run true (--vm-runs of each: restored from the guest's snapshot, and
booted afresh) and print their medians. The kernel frees a deleted namespace asynchronously and that
work competes with the next build, so every run, lvslab's and the
script's alike, starts after a pause (--settle). The machine is noisy:
compare the ratios, not the absolute figures.

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
(the action to the backup holding the VIP) next to the formula.`,
		Example: `  lvslab bench labs/*.yaml
  lvslab bench --runs 20 --baseline labs/dr.yaml labs/dr.yaml
  lvslab vm -- lvslab bench --throughput --duration 5s
  lvslab bench --client --runs 5
  lvslab vm -- lvslab bench --failover --runs 20`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBench(cmd, args, f)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&f.runs, "runs", 10, "how many times to build each lab (with --client, --failover: runs of each)")
	fl.StringVar(&f.baseline, "baseline", "labs/dr.yaml", "lab file to compare with its ip(8) script")
	fl.BoolVar(&f.guest, "vm", false, "also time guest boots, restored and afresh (needs make deps)")
	fl.IntVar(&f.guestRuns, "vm-runs", 5, "with --vm: how many guest boots of each kind")
	fl.DurationVar(&f.settle, "settle", 250*time.Millisecond, "pause before each run")
	fl.BoolVar(&f.throughput, "throughput", false, "measure requests/s through each lab's VIP, ours vs wrk (needs IPVS)")
	fl.DurationVar(&f.duration, "duration", 3*time.Second, "with --throughput or --client: how long each measurement runs")
	fl.BoolVar(&f.client, "client", false, "measure lvslab's client against wrk to a real server's RIP, natively (no IPVS needed)")
	fl.BoolVar(&f.failover, "failover", false,
		"measure the client-visible gap of keepalived failovers on labs/dr-keepalived.yaml, RUNS each of graceful (SIGTERM), crash (SIGKILL) and power (links cut, then SIGKILL) (default 5; needs IPVS)")
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
