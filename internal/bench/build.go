package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/lvslab/lvslab/topo"
	"github.com/lvslab/lvslab/vm"
)

// BuildLab is the name the build benchmark stands each lab up under, and
// scriptLab the name its ip(8) script uses.
const (
	BuildLab  = "bench-1"
	scriptLab = "bench-sh"
)

// ScriptTarget is the most lvslab's build may take next to the
// equivalent ip(8) script (up, median over median).
const ScriptTarget = 0.1

// GuestBootTarget is what issue 13 asks of a guest's boot-to-command
// under TCG.
const GuestBootTarget = 4 * time.Second

// BuildOptions tune [Builds].
type BuildOptions struct {
	// Runs is how many times each lab is built and torn down (at least
	// 1).
	Runs int
	// Settle is the pause before each run: the kernel frees a deleted
	// namespace asynchronously, and that work competes with the next
	// build.
	Settle time.Duration
	// Baseline is the lab file whose ip(8) script (topo.ShellScript) is
	// also run, alternating with lvslab's build run by run; "" for none.
	Baseline string
}

// Times are a series of up and down times.
type Times struct {
	Up, Down []time.Duration
}

// Median is the median up and down time.
func (t Times) Median() (up, down time.Duration) { return Median(t.Up), Median(t.Down) }

// BuildRow is one lab file's build times.
type BuildRow struct {
	File string
	Times
	// Script is the same lab built by its ip(8) script, for the
	// baseline file; nil for the others.
	Script *Times
}

// Ratio is lvslab's median over the script's, up and down; 0 without a
// script.
func (r BuildRow) Ratio() (up, down float64) {
	if r.Script == nil {
		return 0, 0
	}
	u, d := r.Median()
	su, sd := r.Script.Median()
	return ratio(u, su), ratio(d, sd)
}

func ratio(a, b time.Duration) float64 {
	if b == 0 {
		return 0
	}
	return a.Seconds() / b.Seconds()
}

// BuildResult is what [Builds] measured.
type BuildResult struct {
	Runs int
	Rows []BuildRow
}

// Write prints the table: each lab's median up and down time, and for
// the baseline its script's and the ratio.
func (r *BuildResult) Write(w io.Writer) {
	fmt.Fprintf(w, "%-28s %12s %12s   (median of %d)\n", "lab", "up", "down", r.Runs)
	for _, row := range r.Rows {
		up, down := row.Median()
		fmt.Fprintf(w, "%-28s %12s %12s\n", filepath.Base(row.File), up, down)
		if row.Script == nil {
			continue
		}
		up, down = row.Script.Median()
		fmt.Fprintf(w, "%-28s %12s %12s\n", filepath.Base(row.File)+" as ip(8) script", up, down)
		ru, rd := row.Ratio()
		fmt.Fprintf(w, "%-28s %11.3fx %11.3fx   (target up <= %gx)\n", "ratio lvslab/script", ru, rd, ScriptTarget)
	}
}

// Builds builds and tears down each lab file's network (topology only)
// opts.Runs times; the baseline file alternates with its ip(8) script.
// It returns the rows measured so far with an error.
func Builds(ctx context.Context, files []string, opts BuildOptions) (*BuildResult, error) {
	if opts.Runs < 1 {
		return nil, errors.New("bench: runs must be at least 1")
	}
	res := &BuildResult{Runs: opts.Runs}
	for _, file := range files {
		spec, err := topo.Load(file)
		if err != nil {
			return res, err
		}
		row := BuildRow{File: file}
		if opts.Baseline != "" && filepath.Clean(file) == filepath.Clean(opts.Baseline) {
			row.Script = &Times{}
			for range opts.Runs {
				if err := buildOnce(ctx, spec, opts.Settle, &row.Times); err != nil {
					return res, err
				}
				if err := scriptOnce(ctx, spec, opts.Settle, row.Script); err != nil {
					return res, err
				}
			}
		} else {
			for range opts.Runs {
				if err := buildOnce(ctx, spec, opts.Settle, &row.Times); err != nil {
					return res, err
				}
			}
		}
		res.Rows = append(res.Rows, row)
	}
	return res, nil
}

// buildOnce builds spec's network as BuildLab and destroys it, after
// settle, and appends the times to t.
func buildOnce(ctx context.Context, spec *topo.Spec, settle time.Duration, t *Times) error {
	time.Sleep(settle)
	start := time.Now()
	if _, err := topo.Build(ctx, spec, topo.BuildOptions{Name: BuildLab, Owner: os.Getpid()}); err != nil {
		return err
	}
	t.Up = append(t.Up, time.Since(start))
	start = time.Now()
	if err := topo.Destroy(BuildLab); err != nil {
		return err
	}
	t.Down = append(t.Down, time.Since(start))
	return nil
}

// scriptOnce runs spec's ip(8) script and its teardown, after settle,
// and appends the times to t.
func scriptOnce(ctx context.Context, spec *topo.Spec, settle time.Duration, t *Times) error {
	time.Sleep(settle)
	up, err := runShell(ctx, topo.ShellScript(spec, scriptLab))
	if err != nil {
		_, _ = runShell(ctx, topo.ShellTeardown(spec, scriptLab))
		return err
	}
	down, err := runShell(ctx, topo.ShellTeardown(spec, scriptLab))
	if err != nil {
		return err
	}
	t.Up, t.Down = append(t.Up, up), append(t.Down, down)
	return nil
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

// GuestResult is what [GuestBoots] measured.
type GuestResult struct {
	// Restored and Cold are the boot-to-command times restored from the
	// guest's snapshot and booted afresh.
	Restored, Cold []time.Duration
	// NotMeasured says why nothing was measured (no guest image).
	NotMeasured error
}

// Write prints the medians.
func (r *GuestResult) Write(w io.Writer) {
	if r.NotMeasured != nil {
		fmt.Fprintf(w, "guest boot-to-command: not measured (%v)\n", r.NotMeasured)
		return
	}
	fmt.Fprintf(w, "guest boot-to-command (true), median of %d: %s with snapshots (target <= %s), %s booted afresh\n",
		len(r.Restored), Median(r.Restored).Round(time.Millisecond), GuestBootTarget, Median(r.Cold).Round(time.Millisecond))
}

// GuestBoots times `lvslab vm -- true` runs: restored from the guest's
// snapshot (what every run but a configuration's first does) and booted
// afresh (the first run), interleaved, runs of each.
func GuestBoots(ctx context.Context, runs int) (*GuestResult, error) {
	if runs < 1 {
		return nil, errors.New("bench: guest runs must be at least 1")
	}
	// The first run saves the snapshot if there is none yet.
	if _, err := vm.BootTime(ctx, vm.Options{}); errors.Is(err, vm.ErrNotProvisioned) {
		return &GuestResult{NotMeasured: err}, nil
	} else if err != nil {
		return nil, err
	}
	res := &GuestResult{}
	for range runs {
		d, err := vm.BootTime(ctx, vm.Options{})
		if err != nil {
			return res, err
		}
		res.Restored = append(res.Restored, d)
		if d, err = vm.BootTime(ctx, vm.Options{NoSnapshot: true}); err != nil {
			return res, err
		}
		res.Cold = append(res.Cold, d)
	}
	return res, nil
}

// Median is the middle of ds (the upper of the two middles for an even
// count), rounded to 10 µs; 0 for none.
func Median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2].Round(10 * time.Microsecond)
}
