// Package demo is lvslab's teaching demo: it stands up the labs of the
// forwarding methods it compares, sends one HTTP request through each VIP
// from a fixed source port while capturing on every link, traces the
// request and its reply hop by hop, proves the method on the path, and
// renders the paths side by side (captures.SideBySide) with a legend.
//
// The CLI's `lvslab demo` and the demo scenario both go through Run, so
// the scenario's golden file is exactly what a class sees. Everything in
// the rendering is fixed by the lab files (addresses), the builder (MACs
// derived from node and interface names), the source port and the
// scheduler (rr sends a lab's first connection to its first real server),
// so two runs print the same text.
//
// # Teardown
//
// Each lab is torn down before Run returns, on success, on error and when
// ctx is cancelled (Ctrl-C in the CLI). The labs are owned by the calling
// process, so a killed run leaves labs that the next run (or the
// scenarios' sweep) recognises as stale and removes.
package demo

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"github.com/lvslab/lvslab/captures"
	"github.com/lvslab/lvslab/client"
	"github.com/lvslab/lvslab/internal/labup"
	"github.com/lvslab/lvslab/topo"
)

// SourcePort is the client's port for the demo's one connection per lab,
// so that the flow, and the rendering, are the same every run.
const SourcePort = 40000

// requestTimeout bounds the demo's one request, connect to reply.
const requestTimeout = 5 * time.Second

// Method is one side of the demo: a forwarding method, the lab file that
// shows it, and the proof of it.
type Method struct {
	// Name names the lab (Options.Prefix + Name) and the pcap directory.
	Name string
	// Title heads the method's table: the method and the document section.
	Title string
	// LabFile is the lab file, in Options.LabsDir.
	LabFile string
	// Client is the node the request leaves from.
	Client string
	// Check proves the method on the traced path.
	Check func(*captures.Path, *topo.Spec) error
	// CheckName names Check in the verdict.
	CheckName string
}

// The methods the demos show.
var (
	NAT = Method{Name: "nat", Title: "LVS-NAT · seed 003 §4.1 (labs/nat.yaml)", LabFile: "nat.yaml",
		Client: "internet", Check: captures.CheckNAT, CheckName: "CheckNAT"}
	DR = Method{Name: "dr", Title: "LVS-DR · seed 003 §4.3 (labs/dr.yaml)", LabFile: "dr.yaml",
		Client: "client", Check: captures.CheckDR, CheckName: "CheckDR"}
	TUN = Method{Name: "tun", Title: "LVS-TUN · seed 001 TUN (labs/tun.yaml)", LabFile: "tun.yaml",
		Client: "client", Check: captures.CheckTUN, CheckName: "CheckTUN"}
)

// Demo is a named comparison: one method alone, or two side by side.
type Demo struct {
	Name    string
	Methods []Method
	// Legend says what changed and why, a few lines under the tables.
	Legend []string
}

// Demos are the demos lvslab knows, by name.
var Demos = map[string]*Demo{
	"nat-vs-dr": {
		Name:    "nat-vs-dr",
		Methods: []Method{NAT, DR},
		Legend: []string{
			"NAT: the director rewrites the destination VIP:80 to the real server's RIP:80",
			"     and the reply's source back to VIP:80, so the reply must return through it.",
			"DR:  the director rewrites only the MACs (to the real server's); the IP header",
			"     stays, and the real server, holding the VIP on lo, answers from the VIP.",
			"     DR request hops 2-3 and reply hop 1 are seed 003 §4.3's captures 1, 2, 3.",
		},
	},
	"tun": {
		Name:    "tun",
		Methods: []Method{TUN},
		Legend: []string{
			"TUN: the director wraps the unchanged request in an IPIP header from its DIP",
			"     to the real server's RIP; the router forwards the outer packet, and the",
			"     real server unwraps it and answers the client directly from the VIP.",
		},
	},
}

// commonLegend explains the marks, under every demo's own legend.
var commonLegend = []string{
	"*    marks a value that differs from the hop before. Each cable has new MACs,",
	"     and the TTL drops by one at each router, the director included.",
}

// Options tune Run.
type Options struct {
	// LabsDir holds the lab files (default "labs").
	LabsDir string
	// Prefix starts every lab's name (default "demo-"): demo-nat, demo-dr.
	Prefix string
	// Out keeps the pcaps, in Out/<method name>/<node>-<iface>.pcap; ""
	// captures into the lab's state directory, which teardown removes.
	Out string
	// Owner is the pid that owns the labs (default this process).
	Owner int
	// Binary is the lvslab executable the backends run as (default:
	// realserver.Binary()).
	Binary string
}

func (o *Options) setDefaults() {
	if o.LabsDir == "" {
		o.LabsDir = "labs"
	}
	if o.Prefix == "" {
		o.Prefix = "demo-"
	}
	if o.Owner == 0 {
		o.Owner = os.Getpid()
	}
}

// Side is what the demo saw of one method.
type Side struct {
	Method Method
	Spec   *topo.Spec
	// Server is the real server that answered (the reply's first line).
	Server string
	Path   *captures.Path
	// Verdict is Method.Check's: nil when the path proves the method.
	Verdict error
	// Dir holds the pcaps when Options.Out was given; Files are they.
	Dir   string
	Files []string
}

// Result is a demo run.
type Result struct {
	Demo  *Demo
	Sides []*Side
}

// Run stands up each of d's labs in turn, sends one request through its
// first service's VIP while capturing on every link, traces and checks the
// path, and tears the lab down. A path that breaks its method is not an
// error of Run: it is in the Side's Verdict.
func Run(ctx context.Context, d *Demo, opts Options) (*Result, error) {
	opts.setDefaults()
	res := &Result{Demo: d}
	for _, m := range d.Methods {
		s, err := runMethod(ctx, m, opts)
		if err != nil {
			return nil, fmt.Errorf("demo %s: %w", d.Name, err)
		}
		res.Sides = append(res.Sides, s)
	}
	return res, nil
}

// runMethod is one lab's part of the demo: up, capture, request, trace,
// check, down.
func runMethod(ctx context.Context, m Method, opts Options) (_ *Side, err error) {
	spec, err := topo.Load(filepath.Join(opts.LabsDir, m.LabFile))
	if err != nil {
		return nil, err
	}
	if len(spec.Services) == 0 {
		return nil, fmt.Errorf("lab %s has no service to send the request to", spec.Name)
	}
	svc := spec.Services[0]
	vip := netip.AddrPortFrom(svc.VIP, svc.Port)

	name := opts.Prefix + m.Name
	if err := clearStale(name); err != nil {
		return nil, err
	}
	lab, err := labup.Up(ctx, spec, labup.Options{
		BuildOptions: topo.BuildOptions{Name: name, Owner: opts.Owner},
		Binary:       opts.Binary,
	})
	if err != nil {
		return nil, err
	}
	defer func() {
		if derr := topo.Destroy(lab.Name); derr != nil {
			err = errors.Join(err, derr)
		}
	}()
	client, err := lab.Host(m.Client)
	if err != nil {
		return nil, err
	}

	s := &Side{Method: m, Spec: spec}
	copts := captures.Options{MaxDuration: time.Minute}
	if opts.Out != "" {
		s.Dir = filepath.Join(opts.Out, m.Name)
		if err := clearPcaps(s.Dir); err != nil {
			return nil, err
		}
		copts.Dir = s.Dir
	}
	c, err := captures.Start(ctx, lab, nil, copts)
	if err != nil {
		return nil, err
	}
	defer func() { _, _ = c.Stop() }() // on an early return; Stop is idempotent

	src, server, reqErr := request(ctx, client, vip)
	files, err := c.Stop()
	if err != nil {
		return nil, err
	}
	if reqErr != nil {
		return nil, fmt.Errorf("request %s from %s: %w", vip, m.Client, reqErr)
	}
	s.Server = server
	if opts.Out != "" {
		s.Files = files
	}
	s.Path, err = captures.Trace(files, captures.Flow{Client: src, VIP: vip}, spec)
	if err != nil {
		return nil, err
	}
	s.Verdict = m.Check(s.Path, spec)
	return s, nil
}

// request sends GET / from the client node to vip over a connection from
// SourcePort, and returns the connection's source and who answered.
// Equivalent to: `ip netns exec LAB-CLIENT curl --local-port 40000 http://VIP/`.
func request(ctx context.Context, from *topo.Host, vip netip.AddrPort) (netip.AddrPort, string, error) {
	c, err := client.Dial(ctx, from, client.Options{Target: vip, SourcePort: SourcePort, Timeout: requestTimeout})
	if err != nil {
		return netip.AddrPort{}, "", err
	}
	defer c.Close()
	ev, err := c.Ask(ctx)
	return c.Local(), ev.Server, err
}

// clearStale removes a lab of that name left by a run that died; a lab
// whose owner still runs is left alone (Up then fails: it is taken).
func clearStale(name string) error {
	st, err := topo.ReadState(name)
	if err != nil || !st.Stale() {
		return nil
	}
	return topo.Destroy(name)
}

// clearPcaps makes dir and removes the pcaps a previous run left there,
// so that the directory holds this run's links only.
func clearPcaps(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("keep pcaps: %w", err)
	}
	old, err := filepath.Glob(filepath.Join(dir, "*.pcap"))
	if err != nil {
		return fmt.Errorf("keep pcaps: %w", err)
	}
	for _, f := range old {
		if err := os.Remove(f); err != nil {
			return fmt.Errorf("keep pcaps: %w", err)
		}
	}
	return nil
}
