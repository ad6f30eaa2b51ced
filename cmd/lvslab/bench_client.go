package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/lvslab/lvslab/internal/bench"
	"github.com/lvslab/lvslab/topo"
)

// clientFile is the lab --client measures when given no file.
const clientFile = "labs/dr.yaml"

// benchClient runs bench.Client on file and prints each run and the
// medians.
func benchClient(ctx context.Context, w io.Writer, file string, opts bench.ClientOptions) error {
	spec, err := topo.Load(file)
	if err != nil {
		return err
	}
	res, err := bench.Client(ctx, spec, opts)
	if res != nil && len(res.Runs) > 0 {
		printClient(w, file, res)
	}
	return err
}

func printClient(w io.Writer, file string, res *bench.ClientResult) {
	fmt.Fprintf(w, "client vs wrk, native (no IPVS, this host's kernel): %s %s -> RIP %s %s, new connection per request, %s each\n",
		file, res.Client, res.RealServer, res.Target, res.Duration)
	fmt.Fprintf(w, "%-4s %-5s %12s %12s %9s %14s %14s\n", "run", "first", "ours req/s", "wrk req/s", "ours/wrk", "ours CPU/req", "wrk CPU/req")
	for i, r := range res.Runs {
		first := "ours"
		if r.WrkFirst {
			first = "wrk"
		}
		fmt.Fprintf(w, "%-4d %-5s %12s %12s %9.2f %14s %14s", i+1, first, r.Ours, r.Wrk, r.Ratio(),
			r.Ours.CPUPerRequest().Round(time.Microsecond), r.Wrk.CPUPerRequest().Round(time.Microsecond))
		if r.Ours.Failed > 0 || r.Wrk.Failed > 0 {
			fmt.Fprintf(w, "   (failed: ours %d %v, wrk %d)", r.Ours.Failed, r.Ours.Kinds, r.Wrk.Failed)
		}
		fmt.Fprintln(w)
	}
	ours, wrk, ratio := res.Median()
	verdict := "ok"
	if !res.OK() {
		verdict = "BELOW TARGET"
	}
	fmt.Fprintf(w, "%-10s %12.0f %12.0f %9.2f   (target >= %.1f): %s\n", "median", ours, wrk, ratio, bench.ClientTarget, verdict)
}

// clientOptions reads --runs and --duration when given; otherwise the
// package's defaults hold.
func clientOptions(runs int, runsSet bool, d time.Duration, dSet bool) bench.ClientOptions {
	var o bench.ClientOptions
	if runsSet {
		o.Runs = runs
	}
	if dSet {
		o.Duration = d
	}
	return o
}
