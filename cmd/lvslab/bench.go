package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lvslab/lvslab/topo"
	"github.com/lvslab/lvslab/vm"
)

func newBenchCmd() *cobra.Command {
	var runs int
	var baseline string
	var guest bool
	var guestRuns int
	var settle time.Duration
	var throughput bool
	var duration time.Duration
	var clientBench bool
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
ours/wrk.`,
		Example: `  lvslab bench labs/*.yaml
  lvslab bench --runs 20 --baseline labs/dr.yaml labs/dr.yaml
  lvslab vm -- lvslab bench --throughput --duration 5s
  lvslab bench --client --runs 5`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if clientBench {
				file := clientFile
				if len(args) > 0 {
					file = args[0]
				}
				opts := clientOptions(runs, cmd.Flags().Changed("runs"), duration, cmd.Flags().Changed("duration"))
				return benchClient(cmd.Context(), cmd.OutOrStdout(), file, opts)
			}
			if throughput {
				return benchThroughput(cmd.Context(), cmd.OutOrStdout(), args, duration)
			}
			if runs < 1 {
				return fmt.Errorf("bench: --runs must be at least 1")
			}
			if len(args) == 0 {
				var err error
				if args, err = filepath.Glob("labs/*.yaml"); err != nil {
					return err
				}
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "%-28s %12s %12s   (median of %d)\n", "lab", "up", "down", runs)
			for _, file := range args {
				spec, err := topo.Load(file)
				if err != nil {
					return err
				}
				if baseline != "" && filepath.Clean(file) == filepath.Clean(baseline) {
					if err := benchAgainstScript(cmd.Context(), w, file, spec, runs, settle); err != nil {
						return err
					}
					continue
				}
				up, down, err := benchBuild(cmd.Context(), spec, runs, settle)
				if err != nil {
					return err
				}
				fmt.Fprintf(w, "%-28s %12s %12s\n", filepath.Base(file), median(up), median(down))
			}
			if guest {
				if guestRuns < 1 {
					return fmt.Errorf("bench: --vm-runs must be at least 1")
				}
				return benchGuest(cmd.Context(), w, guestRuns)
			}
			return nil
		},
	}
	cmd.Flags().IntVar(&runs, "runs", 10, "how many times to build each lab")
	cmd.Flags().StringVar(&baseline, "baseline", "labs/dr.yaml", "lab file to compare with its ip(8) script")
	cmd.Flags().BoolVar(&guest, "vm", false, "also time guest boots, restored and afresh (needs make deps)")
	cmd.Flags().IntVar(&guestRuns, "vm-runs", 5, "with --vm: how many guest boots of each kind")
	cmd.Flags().DurationVar(&settle, "settle", 250*time.Millisecond, "pause before each run")
	cmd.Flags().BoolVar(&throughput, "throughput", false, "measure requests/s through each lab's VIP, ours vs wrk (needs IPVS)")
	cmd.Flags().DurationVar(&duration, "duration", 3*time.Second, "with --throughput or --client: how long each measurement runs")
	cmd.Flags().BoolVar(&clientBench, "client", false, "measure lvslab's client against wrk to a real server's RIP, natively (no IPVS needed)")
	hookFailover(cmd) // --failover: bench_failover.go
	hookScale(cmd)    // --scale: bench_scale.go
	return cmd
}

const benchLab = "bench-1"

// benchAgainstScript alternates lvslab's build with the equivalent ip(8)
// script, run by run, and prints both and their ratio.
func benchAgainstScript(ctx context.Context, w io.Writer, file string, spec *topo.Spec, runs int, settle time.Duration) error {
	var ups, downs, shUps, shDowns []time.Duration
	for range runs {
		up, down, err := benchBuild(ctx, spec, 1, settle)
		if err != nil {
			return err
		}
		shUp, shDown, err := benchScript(ctx, spec, 1, settle)
		if err != nil {
			return err
		}
		ups, downs = append(ups, up...), append(downs, down...)
		shUps, shDowns = append(shUps, shUp...), append(shDowns, shDown...)
	}
	fmt.Fprintf(w, "%-28s %12s %12s\n", filepath.Base(file), median(ups), median(downs))
	fmt.Fprintf(w, "%-28s %12s %12s\n", filepath.Base(file)+" as ip(8) script", median(shUps), median(shDowns))
	fmt.Fprintf(w, "%-28s %11.3fx %11.3fx   (target up <= 0.1x)\n", "ratio lvslab/script",
		median(ups).Seconds()/median(shUps).Seconds(), median(downs).Seconds()/median(shDowns).Seconds())
	return nil
}

func benchBuild(ctx context.Context, spec *topo.Spec, runs int, settle time.Duration) (ups, downs []time.Duration, err error) {
	for range runs {
		time.Sleep(settle)
		start := time.Now()
		if _, err := topo.Build(ctx, spec, topo.BuildOptions{Name: benchLab, Owner: os.Getpid()}); err != nil {
			return nil, nil, err
		}
		ups = append(ups, time.Since(start))
		start = time.Now()
		if err := topo.Destroy(benchLab); err != nil {
			return nil, nil, err
		}
		downs = append(downs, time.Since(start))
	}
	return ups, downs, nil
}

func benchScript(ctx context.Context, spec *topo.Spec, runs int, settle time.Duration) (ups, downs []time.Duration, err error) {
	const name = "bench-sh"
	upScript, downScript := topo.ShellScript(spec, name), topo.ShellTeardown(spec, name)
	for range runs {
		time.Sleep(settle)
		d, err := runShell(ctx, upScript)
		if err != nil {
			_, _ = runShell(ctx, downScript)
			return nil, nil, err
		}
		ups = append(ups, d)
		if d, err = runShell(ctx, downScript); err != nil {
			return nil, nil, err
		}
		downs = append(downs, d)
	}
	return ups, downs, nil
}

func runShell(ctx context.Context, script string) (time.Duration, error) {
	c := exec.CommandContext(ctx, "sh", "-e")
	c.Stdin = strings.NewReader(script)
	start := time.Now()
	out, err := c.CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("run ip script: %w: %s", err, out)
	}
	return time.Since(start), nil
}

// guestBootTarget is what issue 13 asks of a guest's boot-to-command
// under TCG.
const guestBootTarget = 4 * time.Second

// benchGuest times `lvslab vm -- true` runs: restored from the guest's
// snapshot (what every run but a configuration's first does) and booted
// afresh (the first run), interleaved, and prints the medians.
func benchGuest(ctx context.Context, w io.Writer, runs int) error {
	// The first run saves the snapshot if there is none yet.
	if _, err := vm.BootTime(ctx, vm.Options{}); errors.Is(err, vm.ErrNotProvisioned) {
		fmt.Fprintf(w, "guest boot-to-command: not measured (%v)\n", err)
		return nil
	} else if err != nil {
		return err
	}
	var restored, cold []time.Duration
	for range runs {
		d, err := vm.BootTime(ctx, vm.Options{})
		if err != nil {
			return err
		}
		restored = append(restored, d)
		if d, err = vm.BootTime(ctx, vm.Options{NoSnapshot: true}); err != nil {
			return err
		}
		cold = append(cold, d)
	}
	fmt.Fprintf(w, "guest boot-to-command (true), median of %d: %s with snapshots (target <= %s), %s booted afresh\n",
		runs, median(restored).Round(time.Millisecond), guestBootTarget, median(cold).Round(time.Millisecond))
	return nil
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2].Round(10 * time.Microsecond)
}
