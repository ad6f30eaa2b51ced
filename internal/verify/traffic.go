package verify

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/lvslab/lvslab/captures"
	"github.com/lvslab/lvslab/client"
	"github.com/lvslab/lvslab/director/keepalived"
	"github.com/lvslab/lvslab/director/sched"
	"github.com/lvslab/lvslab/internal/arping"
	"github.com/lvslab/lvslab/realserver"
	"github.com/lvslab/lvslab/topo"
)

// protocol is what the client speaks to svc's real servers: what their
// backend serves on the real server's port (realserver.ServiceOptions).
func protocol(spec *topo.Spec, svc *topo.Service) client.Protocol {
	if svc.Protocol == "udp" {
		return client.UDPEcho
	}
	if len(svc.RealServers) == 0 {
		return client.HTTP
	}
	rs := svc.RealServers[0]
	port := rs.Port
	if port == 0 {
		t, _ := target(svc)
		port = t.Port()
	}
	opts := realserver.ServiceOptions(spec, rs.Node)
	if slices.Contains(opts.TCPEcho, port) && !slices.Contains(opts.HTTP, port) {
		return client.TCPEcho
	}
	return client.HTTP
}

// send runs n one-request connections from the client to svc.
func (b *battery) send(ctx context.Context, svc *topo.Service, n int) (*client.Result, error) {
	t, _ := target(svc)
	return client.Run(ctx, b.client, client.Options{
		Target: t, Protocol: protocol(b.lab.Spec, svc), Requests: n,
		Timeout: requestTimeout, Deadline: time.Duration(n)*requestTimeout + 10*time.Second,
	})
}

// distribution checks, for each service, that requests reach the real
// servers as its scheduler predicts, or with persistence all one.
func (b *battery) distribution(ctx context.Context) {
	for _, svc := range b.lab.Spec.Services {
		name := serviceName(svc)
		if _, ok := target(svc); !ok {
			b.skip(KindDistribution, name, "the service has no port to send to")
			continue
		}
		if svc.Persistence != nil {
			if b.skipDefeated(KindPersistence, name, svc, nil) {
				continue
			}
			b.check(KindPersistence, name, func(r *Result) error {
				if err := b.tableReady(ctx, svc, r); err != nil {
					return err
				}
				return b.persistence(ctx, svc, r)
			})
			continue
		}
		if b.skipDefeated(KindDistribution, name, svc, nil) {
			continue
		}
		b.check(KindDistribution, name, func(r *Result) error {
			if err := b.tableReady(ctx, svc, r); err != nil {
				return err
			}
			return b.distribute(ctx, svc, r)
		})
	}
}

func (b *battery) distribute(ctx context.Context, svc *topo.Service, r *Result) error {
	n := Requests(svc)
	name := scheduler(svc)
	// The probe's connections are scheduled too: the prediction is of the
	// n after them.
	seq, _, err := Predict(svc, b.source, probeRequests+n)
	modelled := !errors.Is(err, sched.ErrNoModel)
	if err != nil && modelled {
		return err
	}
	want := map[string]int{}
	if modelled {
		for _, s := range seq[probeRequests:] {
			if s != "" {
				want[s]++
			}
		}
	}
	tol := Tolerance(name, n)
	switch {
	case !modelled:
		r.Rule = fmt.Sprintf("every real server answers (lvslab has no model of %s)", name)
	case tol == 0:
		r.Rule = fmt.Sprintf("%s over %s: exactly %s (director/sched, %d one-request connections from %s after %d probes)", name, weights(svc), FormatTally(want), n, b.source, probeRequests)
	default:
		r.Rule = fmt.Sprintf("%s over %s: %s ±%d (director/sched, %d one-request connections from %s after %d probes, each closed before the next)", name, weights(svc), FormatTally(want), tol, n, b.source, probeRequests)
	}
	res, err := b.measure(ctx, svc, n, r)
	if res == nil {
		return err
	}
	if !modelled {
		for _, rs := range svc.RealServers {
			if rs.Weight == nil || *rs.Weight > 0 {
				if res.Tally[rs.Node] == 0 {
					return fail(r, "%s never answered", rs.Node)
				}
			}
		}
		return nil
	}
	if err := JudgeTally(res.Tally, want, tol); err != nil {
		return fail(r, "the split is not %s's: %v", name, err)
	}
	return nil
}

// probeRequests are sent before a check's requests: the client and
// director learn each other's MACs, and a service that answers nothing
// fails after these rather than after every request timed out.
const probeRequests = 2

// measure probes svc, then sends n one-request connections through it
// and puts their tally and figure in r. A failed request fails r with
// its cause in plain words; res is nil then, and on an error.
func (b *battery) measure(ctx context.Context, svc *topo.Service, n int, r *Result) (*client.Result, error) {
	if res, err := b.probe(ctx, svc, r); res == nil {
		return nil, err
	}
	res, err := b.send(ctx, svc, n)
	if err != nil {
		return nil, err
	}
	r.Tally = res.Tally
	r.Figure = fmt.Sprintf("%d requests: %s", res.Sent, FormatTally(res.Tally))
	if len(res.Errors) > 0 {
		r.Figure += fmt.Sprintf("; failed: %s", FormatTally(res.Errors))
		return nil, fail(r, "%s", failedCause(svc, res))
	}
	return res, nil
}

// probe sends probeRequests to svc; when none is answered it fills in
// r's figure and cause and returns nil.
func (b *battery) probe(ctx context.Context, svc *topo.Service, r *Result) (*client.Result, error) {
	res, err := b.send(ctx, svc, probeRequests)
	if err != nil {
		return nil, err
	}
	if res.OK() == 0 {
		r.Figure = fmt.Sprintf("%d probe requests: failed: %s", res.Sent, FormatTally(res.Errors))
		return nil, fail(r, "%s", failedCause(svc, res))
	}
	return res, nil
}

// tableReady waits until every director of svc lists all its real
// servers at their weights, within the first check's bound
// (keepalived.CheckBound: a director running its own keepalived.conf
// puts a real server in only once its check passed); on failure it
// sets r's figure and cause.
func (b *battery) tableReady(ctx context.Context, svc *topo.Service, r *Result) error {
	dirs, closeAll, err := b.directors(svc)
	if err != nil {
		return err
	}
	defer closeAll()
	want := wantTable(svc, nil)
	bound := keepalived.CheckBound(svc.Check) + keepalived.CheckerLate
	if _, err := b.waitTable(ctx, dirs, svc, want, bound); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		r.Figure = err.Error()
		return fail(r, "the directors' tables never listed every real server within the first health check's bound %s: the checker keeps them out (its log: lvslab logs NODE keepalived)", bound.Round(time.Millisecond))
	}
	return nil
}

// weights prints svc's real servers with their weights: "web01:1 web02:1".
func weights(svc *topo.Service) string {
	var s []string
	for _, d := range slices.Backward(sched.List(svc)) {
		s = append(s, fmt.Sprintf("%s:%d", d.Node, d.Weight))
	}
	return "weights " + strings.Join(s, " ")
}

// failedCause explains requests through svc's VIP that failed, by the
// forwarding method's usual mistakes.
func failedCause(svc *topo.Service, res *client.Result) string {
	t, _ := target(svc)
	kinds := FormatTally(res.Errors)
	switch {
	case res.Errors[client.Timeout] > 0 && svc.Forward == topo.ForwardNAT:
		return fmt.Sprintf("requests to %s time out (%s): in LVS-NAT the real servers' replies must go back through the director, which rewrites their source to the VIP; make the director (its DIP, or the internal VIP the directors share) the real servers' default gateway", t, kinds)
	case res.Errors[client.Timeout] > 0 && svc.Forward == topo.ForwardTUN:
		return fmt.Sprintf("requests to %s time out (%s): in LVS-TUN each real server needs the VIP on tunl0 with rp_filter 0 on tunl0 and all, and a route back to the client", t, kinds)
	case res.Errors[client.Timeout] > 0:
		return fmt.Sprintf("requests to %s time out (%s): in LVS-DR each real server needs the VIP on lo (with arp_ignore=1, arp_announce=2) and a route back to the client that does not cross the director", t, kinds)
	case res.Errors[client.Refused] > 0:
		return fmt.Sprintf("requests to %s are refused (%s): no real server is in the director's table (a health check failed?), or a real server does not listen on its port", t, kinds)
	}
	return fmt.Sprintf("requests to %s failed (%s)", t, kinds)
}

// persistence checks that a persistent service sends every connection of
// one client to one real server.
func (b *battery) persistence(ctx context.Context, svc *topo.Service, r *Result) error {
	n := minRequests
	r.Rule = fmt.Sprintf("persistence_timeout %d s: every connection of one client (%s, granularity %s) goes to the real server of its first",
		svc.Persistence.Timeout, b.source, netmask(svc.Persistence))
	res, err := b.measure(ctx, svc, n, r)
	if res == nil {
		return err
	}
	if len(res.Tally) != 1 {
		return fail(r, "one client's connections reached %d real servers: the service is not persistent (persistence_timeout missing from the director's table?)", len(res.Tally))
	}
	return nil
}

func netmask(p *topo.Persistence) string {
	if !p.Netmask.IsValid() {
		return "/32"
	}
	return p.Netmask.String()
}

// arp checks that in DR only a director answers ARP for each VIP.
func (b *battery) arp(ctx context.Context) {
	var seen []netip.Addr
	for _, svc := range b.lab.Spec.Services {
		if svc.Forward != topo.ForwardDR || slices.Contains(seen, svc.VIP) {
			continue
		}
		seen = append(seen, svc.VIP)
		b.check(KindARP, svc.VIP.String(), func(r *Result) error { return b.arpOf(ctx, svc, r) })
	}
	if len(seen) == 0 {
		b.skip(KindARP, "VIPs", "no LVS-DR service: the real servers do not hold the VIP")
	}
}

func (b *battery) arpOf(ctx context.Context, svc *topo.Service, r *Result) error {
	r.Rule = "LVS-DR: only the director holding the VIP answers ARP for it; the real servers hold it on lo with arp_ignore=1 and arp_announce=2"
	asker, iface := b.onSegmentOf(svc.VIP)
	if asker == nil {
		r.Verdict, r.Figure = Skip, "no client or router on the VIP's network to ask"
		return nil
	}
	macs, _, err := arping.Probe(ctx, asker, iface, svc.VIP)
	if err != nil {
		return err
	}
	owners := map[string]*topo.Node{}
	for _, n := range b.lab.Spec.Nodes {
		for _, ifc := range n.Interfaces {
			owners[strings.ToLower(topo.MAC(n.Name, ifc.Name).String())] = n
		}
	}
	var who, rss, dirs []string
	for _, m := range macs {
		n := owners[m]
		switch {
		case n == nil:
			who = append(who, m)
		case n.Role == topo.RoleDirector:
			who, dirs = append(who, n.Name), append(dirs, n.Name)
		default:
			who, rss = append(who, n.Name), append(rss, n.Name)
		}
	}
	r.Figure = fmt.Sprintf("%s asked who has %s: ", asker.Name(), svc.VIP)
	if len(who) == 0 {
		r.Figure += "nobody answered"
	} else {
		r.Figure += strings.Join(who, ", ") + " answered"
	}
	switch {
	case len(rss) > 0:
		return fail(r, "%s answered ARP for the VIP: set arp_ignore=1 and arp_announce=2 on the real servers", strings.Join(rss, " and "))
	case len(dirs) == 0:
		return fail(r, "no director answered ARP for %s: none holds it (keepalived MASTER nowhere?)", svc.VIP)
	case len(dirs) > 1:
		return fail(r, "%s all answered ARP for %s: more than one director holds it (two MASTERs)", strings.Join(dirs, ", "), svc.VIP)
	}
	return nil
}

// onSegmentOf finds a client or router with an interface on the
// segment whose subnet holds addr: the node that asks ARP there.
func (b *battery) onSegmentOf(addr netip.Addr) (*topo.Host, string) {
	var seg string
	for _, s := range b.lab.Spec.Segments {
		if s.Subnet.Contains(addr) {
			seg = s.Name
		}
	}
	for _, role := range []topo.Role{topo.RoleClient, topo.RoleRouter} {
		for _, n := range b.lab.Spec.Nodes {
			if n.Role != role {
				continue
			}
			for _, ifc := range n.Interfaces {
				if ifc.Segment == seg {
					if h, err := b.lab.Host(n.Name); err == nil {
						return h, ifc.Name
					}
				}
			}
		}
	}
	return nil, ""
}

// pathChecks are the forwarding methods' proofs from a traced request.
var pathChecks = map[topo.Forward]func(*captures.Path, *topo.Spec) error{
	topo.ForwardDR: captures.CheckDR, topo.ForwardNAT: captures.CheckNAT, topo.ForwardTUN: captures.CheckTUN,
}

// pathRules are what each proof holds the path to.
var pathRules = map[topo.Forward]string{
	topo.ForwardDR:  "LVS-DR: the director changes only the MACs (to the real server's); the real server answers the client from the VIP without crossing the director",
	topo.ForwardNAT: "LVS-NAT: the director rewrites the destination VIP:port to RIP:port and the reply's source back to VIP:port; the reply crosses the director",
	topo.ForwardTUN: "LVS-TUN: the director wraps the request in IPIP from its address to the RIP, the inner packet unchanged; the real server answers the client directly",
}

// paths traces one request through each TCP service from captures.
func (b *battery) paths(ctx context.Context) {
	for _, svc := range b.lab.Spec.Services {
		name := serviceName(svc)
		if _, ok := target(svc); !ok || svc.Protocol == "udp" {
			b.skip(KindPath, name, "the path is traced for TCP services with a port")
			continue
		}
		if b.allDefeated(svc) && b.skipDefeated(KindPath, name, svc, nil) {
			continue
		}
		b.check(KindPath, name, func(r *Result) error { return b.path(ctx, svc, r) })
	}
}

func (b *battery) path(ctx context.Context, svc *topo.Service, r *Result) error {
	r.Rule = pathRules[svc.Forward]
	p, err := TracedRequest(ctx, b.lab, b.client, svc, b.opts.CaptureDir)
	if err != nil {
		return err
	}
	r.Figure = PathSummary(p)
	r.Detail = p.Table()
	if err := pathChecks[svc.Forward](p, b.lab.Spec); err != nil {
		return fail(r, "%v", err)
	}
	return nil
}

// TracedRequest captures on every link of lab while the node c sends
// one request to svc, and traces it: the packet path the forwarding
// method's proofs (captures.CheckDR, CheckNAT, CheckTUN) judge. The pcaps
// go to dir ("" is the lab's state directory).
func TracedRequest(ctx context.Context, lab *topo.Lab, c *topo.Host, svc *topo.Service, dir string) (*captures.Path, error) {
	t, _ := target(svc)
	cp, err := captures.Start(ctx, lab, nil, captures.Options{Dir: dir})
	if err != nil {
		return nil, err
	}
	res, err := client.Run(ctx, c, client.Options{
		Target: t, Protocol: protocol(lab.Spec, svc), Requests: 1,
		Timeout: 2 * requestTimeout, Deadline: 10 * time.Second,
	})
	files, serr := cp.Stop()
	if err != nil {
		return nil, err
	}
	if serr != nil {
		return nil, serr
	}
	if len(res.Replies()) != 1 {
		return nil, fmt.Errorf("trace a request to %s: no answer (%s)", t, FormatTally(res.Errors))
	}
	return captures.Trace(files, captures.Flow{Client: res.Replies()[0].Source, VIP: t, Proto: svc.Protocol}, lab.Spec)
}

// PathSummary is a traced path on one line: each direction's nodes in
// order, with the fields each hop changed: "request client → lvs01
// → web02 (ttl dst-mac src-mac); reply web02 → client".
func PathSummary(p *captures.Path) string {
	side := func(what string, hops []captures.Hop) string {
		if len(hops) == 0 {
			return what + " not seen"
		}
		s := what + " " + hops[0].Sender()
		for _, h := range hops {
			s += " → " + h.Receiver()
			if len(h.Changed) > 0 {
				s += " (" + strings.Join(h.Changed, " ") + ")"
			}
		}
		return s
	}
	return side("request", p.Request) + "; " + side("reply", p.Reply)
}
