package bench

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// ScaleSizes are the real-server counts the scale benchmark measures by
// default, as --sizes takes them ([ParseScaleSizes]).
const ScaleSizes = "10,50,100,200"

// ParseScaleSizes reads a comma-separated list of real-server counts
// (--sizes), each from 1 to [MaxScaleRealServers].
func ParseScaleSizes(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > MaxScaleRealServers {
			return nil, fmt.Errorf("parse --sizes %q: want real-server counts from 1 to %d such as %s", s, MaxScaleRealServers, ScaleSizes)
		}
		out = append(out, n)
	}
	return out, nil
}

// WriteScaleHeader prints what the scale table measures and its column
// heads, for the rows [ScaleResult.Write] prints as each lab is
// measured; full is [ScaleOptions.Full].
func WriteScaleHeader(w io.Writer, full bool) {
	what := "network only (up --topology-only), median of the runs"
	if full {
		what = "full up (IPVS, backends), one run, beside the network alone built just before (net/node, median of the runs; xnet = up/node over net/node); ready = until WaitReady returned"
	}
	fmt.Fprintf(w, "scale: %s; memory per node in KiB (Slab/used: the kernel's and the machine's growth while up)\n", what)
	fmt.Fprintf(w, "%-18s %5s %9s %8s", "lab", "nodes", "up", "up/node")
	if full {
		fmt.Fprintf(w, " %8s %5s", "net/node", "xnet")
	}
	fmt.Fprintf(w, " %9s %8s", "down", "dn/node")
	if full {
		fmt.Fprintf(w, " %9s %6s %8s %8s", "ready", "procs", "RSS/rs", "PSS/rs")
	}
	fmt.Fprintf(w, " %8s %8s", "Slab/n", "used/n")
	if full {
		fmt.Fprintf(w, "  %s", "2 req/rs")
	}
	fmt.Fprintln(w)
}

// Write prints the lab's row of the scale table ([WriteScaleHeader]):
// its times, in total and per node, its memory (per real server for the
// processes, per node for the kernel's) and, for a full lab, whether
// every real server answered exactly twice; then anything down left.
func (r *ScaleResult) Write(w io.Writer) {
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000) }
	c := r.Cost
	fmt.Fprintf(w, "%-18s %5d %9s %8s", r.Lab.Name, r.Nodes, ms(r.Up), ms(r.PerNode(r.Up)))
	if r.Full {
		net, ratio := "-", "-"
		if r.Network > 0 {
			net, ratio = ms(r.PerNode(r.Network)), fmt.Sprintf("%.2f", float64(r.Up)/float64(r.Network))
		}
		fmt.Fprintf(w, " %8s %5s", net, ratio)
	}
	fmt.Fprintf(w, " %9s %8s", ms(r.Down), ms(r.PerNode(r.Down)))
	if r.Full {
		rs := int64(max(r.Lab.RealServers, 1))
		fmt.Fprintf(w, " %9s %6d %8d %8d", ms(r.Ready), c.Processes, c.RSS/rs, c.PSS/rs)
	}
	nodes := int64(max(r.Nodes, 1))
	fmt.Fprintf(w, " %8d %8d", c.Slab/nodes, c.Used/nodes)
	if r.Full {
		verdict := "each exactly twice"
		if !r.RequestsOK && r.Requests != nil {
			verdict = fmt.Sprintf("NOT EVEN: %d servers answered %d of %d", len(r.Requests.Tally), r.Requests.OK(), r.Requests.Sent)
		}
		if r.Reused > 0 {
			verdict += fmt.Sprintf(" (%d reused a source port the director still held: unscheduled)", r.Reused)
		}
		fmt.Fprintf(w, "  %s", verdict)
	}
	if len(r.Leftover) > 0 {
		fmt.Fprintf(w, "  LEFT AFTER DOWN: %s", strings.Join(r.Leftover, ", "))
	}
	if r.Busy > 0 {
		fmt.Fprintf(w, "  (%d build(s) began on a busy machine)", r.Busy)
	}
	fmt.Fprintln(w)
}

// Write prints what the keepalived pair did, each figure next to its
// formula; a figure not measured (the benchmark failed first) is left
// out.
func (r *KeepalivedScale) Write(w io.Writer) {
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
