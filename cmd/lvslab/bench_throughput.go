package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/lvslab/lvslab/client"
	"github.com/lvslab/lvslab/internal/labup"
	"github.com/lvslab/lvslab/topo"
	"github.com/lvslab/lvslab/vm"
)

// throughputLabs are the labs --throughput measures when given no file:
// one per forwarding method.
var throughputLabs = []string{"labs/nat.yaml", "labs/dr.yaml", "labs/tun.yaml"}

// throughputLab is the name prefix each lab is stood up under while
// measured: bench-tp-nat, bench-tp-dr … (one name per lab, so that one
// lab's teardown never races the next one's build).
const throughputLab = "bench-tp-"

// throughputRatio is the least ours/wrk the benchmark expects.
const throughputRatio = 0.8

// tpRate is one measurement: successful requests per second, and failures.
type tpRate struct {
	perSec float64
	ok     int
	failed int
	kinds  map[string]int // failures by kind, ours only
}

func (r tpRate) String() string {
	if r.ok == 0 {
		return "-"
	}
	return strconv.FormatFloat(r.perSec, 'f', 0, 64)
}

// tpTarget is one place requests go to, and what each tool made of it.
type tpTarget struct {
	label string // "VIP 192.168.10.100:80", "RIP web1 …"
	addr  netip.AddrPort
	ours  tpRate
	wrk   tpRate
}

// benchThroughput stands up each lab in turn and measures requests/s
// through its VIP and directly to one real server's RIP, with lvslab's
// client (client.Run) and with wrk, both opening a new connection per
// request, and prints one table.
func benchThroughput(ctx context.Context, w io.Writer, files []string, d time.Duration) error {
	if d <= 0 || d > time.Minute {
		return fmt.Errorf("bench: --duration %s: want more than 0, up to 1m", d)
	}
	need, err := vm.NeedsVM()
	if err != nil {
		return err
	}
	if need {
		return errors.New("bench --throughput: this kernel has no IPVS; run it in the guest kernel: lvslab vm -- lvslab bench --throughput")
	}
	if len(files) == 0 {
		files = throughputLabs
	}
	fmt.Fprintf(w, "%-6s %-32s %12s %12s %9s %18s   (%s each, new connection per request)\n",
		"method", "target", "ours req/s", "wrk req/s", "ours/wrk", "vs direct (ours)", d)
	var worst float64 = -1
	var failed []error
	for _, file := range files {
		spec, err := topo.Load(file)
		if err != nil {
			return err
		}
		method, ts, err := measureLab(ctx, w, spec, d)
		if err != nil {
			// One lab's failure leaves the others' figures standing; the
			// run still fails at the end.
			err = fmt.Errorf("bench %s: %w", filepath.Base(file), err)
			fmt.Fprintf(w, "%-6s not measured: %v\n", spec.Name, err)
			failed = append(failed, err)
			continue
		}
		direct := ts[len(ts)-1].ours.perSec
		for _, t := range ts {
			ratio := "-"
			if t.wrk.perSec > 0 {
				r := t.ours.perSec / t.wrk.perSec
				ratio = fmt.Sprintf("%.2f", r)
				if worst < 0 || r < worst {
					worst = r
				}
			}
			vsDirect := "-"
			if direct > 0 {
				vsDirect = fmt.Sprintf("%.2f", t.ours.perSec/direct)
			}
			fmt.Fprintf(w, "%-6s %-32s %12s %12s %9s %18s", method, t.label, t.ours, t.wrk, ratio, vsDirect)
			if t.ours.failed > 0 || t.wrk.failed > 0 {
				fmt.Fprintf(w, "   (failed: ours %d %v, wrk %d)", t.ours.failed, t.ours.kinds, t.wrk.failed)
			}
			fmt.Fprintln(w)
		}
	}
	if worst >= 0 {
		verdict := "ok"
		if worst < throughputRatio {
			verdict = "BELOW TARGET"
		}
		fmt.Fprintf(w, "lowest ours/wrk: %.2f (target >= %.1f): %s\n", worst, throughputRatio, verdict)
	}
	return errors.Join(failed...)
}

// measureLab stands spec's lab up, measures its first TCP service's VIP
// and its first real server's RIP, and tears the lab down.
func measureLab(ctx context.Context, w io.Writer, spec *topo.Spec, d time.Duration) (topo.Forward, []*tpTarget, error) {
	svc, err := httpService(spec)
	if err != nil {
		return "", nil, err
	}
	cl := tpFirstNode(spec, topo.RoleClient)
	if cl == nil {
		return "", nil, errors.New("no client node")
	}
	rs := svc.RealServers[0]
	port := rs.Port // SetDefaults made it the service's port if the file had none
	name := throughputLab + spec.Name
	opts := labup.Options{
		BuildOptions: topo.BuildOptions{Name: name, Owner: os.Getpid(), Force: true},
	}
	lab, err := labup.Up(ctx, spec, opts)
	if err != nil {
		// Under an emulated guest a backend has been seen to exit at
		// start now and then (labs/tun.yaml: "backend exited", empty
		// log); one more try, said out loud, then give up.
		fmt.Fprintf(w, "# %s: %v; trying once more\n", spec.Name, err)
		if lab, err = labup.Up(ctx, spec, opts); err != nil {
			return "", nil, err
		}
	}
	defer func() { _ = topo.Destroy(name) }()
	h, err := lab.Host(cl.Name)
	if err != nil {
		return "", nil, err
	}
	ts := []*tpTarget{
		{label: "VIP " + netip.AddrPortFrom(svc.VIP, svc.Port).String(), addr: netip.AddrPortFrom(svc.VIP, svc.Port)},
		{label: "RIP " + rs.Node + " " + netip.AddrPortFrom(rs.RIP, port).String(), addr: netip.AddrPortFrom(rs.RIP, port)},
	}
	if err := routeToRIP(lab, h, svc, rs.RIP); err != nil {
		return "", nil, err
	}
	for _, t := range ts {
		// Both tools first prove the path with a few requests, so that a
		// broken lab fails loudly instead of printing zeros.
		if err := tpWarmUp(ctx, h, t.addr); err != nil {
			return "", nil, fmt.Errorf("%s: %w", t.label, err)
		}
		if t.ours, err = measureOurs(ctx, h, t.addr, d); err != nil {
			return "", nil, fmt.Errorf("%s: %w", t.label, err)
		}
		if t.wrk, err = measureWrk(ctx, h, t.addr, d); err != nil {
			return "", nil, fmt.Errorf("%s: %w", t.label, err)
		}
	}
	return svc.Forward, ts, nil
}

// httpService is the lab's first plain TCP service (no firewall mark, a
// port, real servers), which the backends answer over HTTP.
func httpService(spec *topo.Spec) (*topo.Service, error) {
	for _, s := range spec.Services {
		if s.FWMark == 0 && s.Port != 0 && s.Protocol == "tcp" && len(s.RealServers) > 0 {
			return s, nil
		}
	}
	return nil, errors.New("no TCP service with a port and real servers")
}

func tpFirstNode(spec *topo.Spec, role topo.Role) *topo.Node {
	for _, n := range spec.Nodes {
		if n.Role == role {
			return n
		}
	}
	return nil
}

// routeToRIP makes rip reachable from the client for the direct
// measurement. In a NAT lab the client has no route to the real servers'
// network (that is the point of NAT): the bench lab's client gets a host
// route to rip through the director's address on the client's segment,
// so the direct path crosses the same hops, without IPVS. Equivalent to:
// `ip -n LAB-client route add RIP/32 via DIRECTOR`.
func routeToRIP(lab *topo.Lab, h *topo.Host, svc *topo.Service, rip netip.Addr) error {
	nl, err := h.Netlink()
	if err != nil {
		return err
	}
	defer nl.Close()
	if _, err := nl.RouteGet(rip.AsSlice()); err == nil {
		return nil
	}
	via, err := directorOnSegment(lab.Spec, h.Spec, svc)
	if err != nil {
		return fmt.Errorf("route to RIP %s: %w", rip, err)
	}
	route := &netlink.Route{
		Dst: &net.IPNet{IP: rip.AsSlice(), Mask: net.CIDRMask(rip.BitLen(), rip.BitLen())},
		Gw:  via.AsSlice(),
	}
	if err := nl.RouteAdd(route); err != nil {
		return fmt.Errorf("add route to RIP %s via %s on %s: %w", rip, via, h.Name(), err)
	}
	return nil
}

// directorOnSegment is the address of one of svc's directors on a segment
// the client node is on.
func directorOnSegment(spec *topo.Spec, cl *topo.Node, svc *topo.Service) (netip.Addr, error) {
	segs := map[string]bool{}
	for _, i := range cl.Interfaces {
		segs[i.Segment] = true
	}
	for _, name := range svc.Directors {
		for _, n := range spec.Nodes {
			if n.Name != name {
				continue
			}
			for _, i := range n.Interfaces {
				if segs[i.Segment] && len(i.Addresses) > 0 {
					return i.Addresses[0].Addr(), nil
				}
			}
		}
	}
	return netip.Addr{}, errors.New("no route, and no director on the client's segment")
}

func tpWarmUp(ctx context.Context, h *topo.Host, addr netip.AddrPort) error {
	res, err := client.Run(ctx, h, client.Options{Target: addr, Requests: 5, Deadline: 10 * time.Second})
	if err != nil {
		return err
	}
	if res.OK() != res.Sent {
		return fmt.Errorf("warm-up: %d of %d requests failed: %v", res.Sent-res.OK(), res.Sent, res.Errors)
	}
	return nil
}

// measureOurs runs client.Run for d, one request at a time, each on a new
// connection, and counts the replies. The run is bounded by d and by
// client.MaxRequests.
func measureOurs(ctx context.Context, h *topo.Host, addr netip.AddrPort, d time.Duration) (tpRate, error) {
	start := time.Now()
	res, err := client.Run(ctx, h, client.Options{Target: addr, Requests: client.MaxRequests, Deadline: d})
	elapsed := time.Since(start)
	if err != nil {
		return tpRate{}, err
	}
	ok := res.OK()
	return tpRate{perSec: float64(ok) / elapsed.Seconds(), ok: ok, failed: res.Sent - ok, kinds: res.Errors}, nil
}

// measureWrk runs wrk for d inside the client's namespace: one thread, one
// connection at a time, and "Connection: close" so that, like our client,
// it opens a new connection per request (the backend closes after its
// reply when asked to). Equivalent to:
// `ip netns exec LAB-client wrk -t1 -c1 -dD --latency -H 'Connection: close' http://ADDR/`.
func measureWrk(ctx context.Context, h *topo.Host, addr netip.AddrPort, d time.Duration) (tpRate, error) {
	ctx, cancel := context.WithTimeout(ctx, d+15*time.Second)
	defer cancel()
	url := "http://" + client.HostHeader(addr) + "/"
	secs := strconv.Itoa(max(1, int(d.Round(time.Second)/time.Second)))
	out, err := h.Command(ctx, "wrk", "-t1", "-c1", "-d"+secs+"s", "--latency",
		"-H", "Connection: close", url).CombinedOutput()
	if err != nil {
		return tpRate{}, fmt.Errorf("wrk: %w: %s", err, out)
	}
	return parseWrk(string(out))
}

// parseWrk reads wrk's summary: "Requests/sec: N", "R requests in …",
// and the error lines ("Socket errors: connect A, read B, write C,
// timeout D", "Non-2xx or 3xx responses: N").
func parseWrk(out string) (tpRate, error) {
	var r tpRate
	found := false
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "Requests/sec:"):
			v, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimPrefix(line, "Requests/sec:")), 64)
			if err != nil {
				return tpRate{}, fmt.Errorf("parse wrk %q: %w", line, err)
			}
			r.perSec, found = v, true
		case strings.Contains(line, " requests in "):
			n, _, _ := strings.Cut(line, " ")
			r.ok, _ = strconv.Atoi(n)
		case strings.HasPrefix(line, "Socket errors:"):
			for _, f := range strings.Split(strings.TrimPrefix(line, "Socket errors:"), ",") {
				fs := strings.Fields(f)
				if len(fs) == 2 {
					n, _ := strconv.Atoi(fs[1])
					r.failed += n
				}
			}
		case strings.HasPrefix(line, "Non-2xx or 3xx responses:"):
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "Non-2xx or 3xx responses:")))
			r.failed += n
		}
	}
	if !found {
		return tpRate{}, fmt.Errorf("no Requests/sec line in wrk's output: %s", out)
	}
	return r, nil
}
