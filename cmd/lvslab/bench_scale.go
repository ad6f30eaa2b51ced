package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lvslab/lvslab/internal/bench"
)

// hookScale adds --scale to the bench command: it then runs the scale
// benchmark (internal/bench.Scale) on generated labs instead.
func hookScale(cmd *cobra.Command) {
	var scale, full, ka bool
	var sizes string
	var vips int
	var window time.Duration
	f := cmd.Flags()
	f.BoolVar(&scale, "scale", false, "measure generated labs of 1 director, 1 client and N DR real servers (--sizes): up/down and cost per node")
	f.BoolVar(&full, "full", false, "with --scale: bring each lab fully up once (IPVS, backends; needs IPVS), wait until ready, send 2 requests per real server, tear down")
	f.BoolVar(&ka, "keepalived", false, "with --scale: a keepalived pair under TCP_CHECK: time to both tables, keepalived's CPU, one stopped server's removal (needs IPVS)")
	f.StringVar(&sizes, "sizes", "10,50,100,200", "with --scale: real-server counts")
	f.IntVar(&vips, "vips", 1, "with --scale: virtual services (VIPs), each listing every real server")
	f.DurationVar(&window, "cpu-window", 10*time.Second, "with --scale --keepalived: how long keepalived's CPU use is measured")
	cmd.Example += "\n  lvslab bench --scale\n  lvslab vm --memory 3072 -- lvslab bench --scale --full --sizes 50,100"
	next := cmd.RunE
	cmd.RunE = func(c *cobra.Command, args []string) error {
		if !scale {
			return next(c, args)
		}
		ns, err := parseSizes(sizes)
		if err != nil {
			return err
		}
		w := c.OutOrStdout()
		if ka {
			for _, n := range ns {
				res, err := bench.ScaleKeepalived(c.Context(), bench.ScaleLab{RealServers: n, VIPs: vips}, window, "")
				if res != nil {
					printKeepalivedScale(w, res)
				}
				if err != nil {
					return err
				}
			}
			return nil
		}
		runs, err := c.Flags().GetInt("runs")
		if err != nil {
			return err
		}
		if !c.Flags().Changed("runs") {
			runs = 0 // the package's default
		}
		printScaleHeader(w, full)
		for _, n := range ns {
			res, err := bench.Scale(c.Context(), bench.ScaleLab{RealServers: n, VIPs: vips}, bench.ScaleOptions{Full: full, Runs: runs})
			if res != nil && err == nil {
				printScale(w, res, full)
			}
			if err != nil {
				return fmt.Errorf("bench --scale, %d real servers: %w", n, err)
			}
		}
		return nil
	}
}

func parseSizes(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("bench --sizes %q: want real-server counts such as 10,50,100", s)
		}
		out = append(out, n)
	}
	return out, nil
}

func printScaleHeader(w io.Writer, full bool) {
	what := "network only (up --topology-only), median of the runs"
	if full {
		what = "full up (IPVS, backends), one run; ready = until WaitReady returned"
	}
	fmt.Fprintf(w, "scale: %s; memory per node in KiB (Slab/used: the kernel's and the machine's growth while up)\n", what)
	fmt.Fprintf(w, "%-18s %5s %9s %8s %9s %8s", "lab", "nodes", "up", "up/node", "down", "dn/node")
	if full {
		fmt.Fprintf(w, " %9s %6s %8s %8s", "ready", "procs", "RSS/rs", "PSS/rs")
	}
	fmt.Fprintf(w, " %8s %8s", "Slab/n", "used/n")
	if full {
		fmt.Fprintf(w, "  %s", "2 req/rs")
	}
	fmt.Fprintln(w)
}

func printScale(w io.Writer, r *bench.ScaleResult, full bool) {
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000) }
	c := r.Cost
	fmt.Fprintf(w, "%-18s %5d %9s %8s %9s %8s", r.Lab.Name, r.Nodes, ms(r.Up), ms(r.PerNode(r.Up)), ms(r.Down), ms(r.PerNode(r.Down)))
	if full {
		rs := int64(max(r.Lab.RealServers, 1))
		fmt.Fprintf(w, " %9s %6d %8d %8d", ms(r.Ready), c.Processes, c.RSS/rs, c.PSS/rs)
	}
	nodes := int64(r.Nodes)
	fmt.Fprintf(w, " %8d %8d", c.Slab/nodes, c.Used/nodes)
	if full {
		verdict := "each exactly twice"
		if !r.RequestsOK && r.Requests != nil {
			verdict = fmt.Sprintf("NOT EVEN: %d servers answered %d of %d", len(r.Requests.Tally), r.Requests.OK(), r.Requests.Sent)
		}
		fmt.Fprintf(w, "  %s", verdict)
	}
	if len(r.Leftover) > 0 {
		fmt.Fprintf(w, "  LEFT AFTER DOWN: %s", strings.Join(r.Leftover, ", "))
	}
	fmt.Fprintln(w)
}

func printKeepalivedScale(w io.Writer, r *bench.KeepalivedScale) {
	fmt.Fprintf(w, "keepalived pair, %d real servers, %d VIP(s), TCP_CHECK:\n", r.Lab.RealServers, r.Lab.VIPs)
	if r.Tables > 0 {
		fmt.Fprintf(w, "  every real server of every VIP in both tables: %.1f s after the later keepalived started (formula: <= %.0f s)\n",
			r.Tables.Seconds(), r.TablesBound.Seconds())
	}
	if r.CPU > 0 {
		fmt.Fprintf(w, "  keepalived CPU, both directors, every process: %.1f%% of one CPU over %s\n", 100*r.CPU, r.Window)
	}
	if r.Removal > 0 {
		fmt.Fprintf(w, "  %s stopped (refuses): gone from both tables after %.1f s (formula: refused <= %.0f s, blackholed <= %.0f s)\n",
			r.Removed, r.Removal.Seconds(), r.RemovalRefused.Seconds(), r.RemovalBound.Seconds())
	}
}
