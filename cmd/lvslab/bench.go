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
	var settle time.Duration
	cmd := &cobra.Command{
		Use:   "bench [FILE...]",
		Short: "Measure how fast labs go up and down",
		Long: `For each lab file, build and tear down its network (--topology-only) RUNS
times and print the median up and down times. For the baseline file, also
run the equivalent ip(8) script (lvslab script) the same number of times,
interleaved, and print the ratio. With --vm, also time a guest boot that
runs true. The kernel frees a deleted namespace asynchronously and that
work competes with the next build, so every run, lvslab's and the
script's alike, starts after a pause (--settle). The machine is noisy:
compare the ratios, not the absolute figures.`,
		Example: `  lvslab bench labs/*.yaml
  lvslab bench --runs 20 --baseline labs/dr.yaml labs/dr.yaml`,
		RunE: func(cmd *cobra.Command, args []string) error {
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
				up, down, err := benchBuild(cmd.Context(), spec, runs, settle)
				if err != nil {
					return err
				}
				fmt.Fprintf(w, "%-28s %12s %12s\n", filepath.Base(file), up, down)
				if baseline == "" || filepath.Clean(file) != filepath.Clean(baseline) {
					continue
				}
				shUp, shDown, err := benchScript(cmd.Context(), spec, runs, settle)
				if err != nil {
					return err
				}
				fmt.Fprintf(w, "%-28s %12s %12s\n", filepath.Base(file)+" as ip(8) script", shUp, shDown)
				fmt.Fprintf(w, "%-28s %11.3fx %11.3fx   (target up <= 0.1x)\n", "ratio lvslab/script",
					up.Seconds()/shUp.Seconds(), down.Seconds()/shDown.Seconds())
			}
			if guest {
				return benchGuest(cmd.Context(), w)
			}
			return nil
		},
	}
	cmd.Flags().IntVar(&runs, "runs", 10, "how many times to build each lab")
	cmd.Flags().StringVar(&baseline, "baseline", "labs/dr.yaml", "lab file to compare with its ip(8) script")
	cmd.Flags().BoolVar(&guest, "vm", false, "also time a guest boot (needs make deps)")
	cmd.Flags().DurationVar(&settle, "settle", 250*time.Millisecond, "pause before each run")
	return cmd
}

const benchLab = "bench-1"

func benchBuild(ctx context.Context, spec *topo.Spec, runs int, settle time.Duration) (up, down time.Duration, err error) {
	var ups, downs []time.Duration
	for range runs {
		time.Sleep(settle)
		start := time.Now()
		if _, err := topo.Build(ctx, spec, topo.BuildOptions{Name: benchLab, Owner: os.Getpid()}); err != nil {
			return 0, 0, err
		}
		ups = append(ups, time.Since(start))
		start = time.Now()
		if err := topo.Destroy(benchLab); err != nil {
			return 0, 0, err
		}
		downs = append(downs, time.Since(start))
	}
	return median(ups), median(downs), nil
}

func benchScript(ctx context.Context, spec *topo.Spec, runs int, settle time.Duration) (up, down time.Duration, err error) {
	const name = "bench-sh"
	upScript, downScript := topo.ShellScript(spec, name), topo.ShellTeardown(spec, name)
	var ups, downs []time.Duration
	for range runs {
		time.Sleep(settle)
		d, err := runShell(ctx, upScript)
		if err != nil {
			_, _ = runShell(ctx, downScript)
			return 0, 0, err
		}
		ups = append(ups, d)
		if d, err = runShell(ctx, downScript); err != nil {
			return 0, 0, err
		}
		downs = append(downs, d)
	}
	return median(ups), median(downs), nil
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

func benchGuest(ctx context.Context, w io.Writer) error {
	d, err := vm.BootTime(ctx, vm.Options{})
	if errors.Is(err, vm.ErrNotProvisioned) {
		fmt.Fprintf(w, "guest boot-to-command: not measured (%v)\n", err)
		return nil
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "guest boot-to-command (true): %s\n", d.Round(time.Millisecond))
	return nil
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2].Round(10 * time.Microsecond)
}
