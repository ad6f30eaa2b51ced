// Package labup stands a whole lab up, in the order the documents set one
// up by hand: the network (topo.Build), then each director's IPVS table,
// VIP and firewall marks, then each real server's VIP and ARP setup and
// its backend. The CLI's `lvslab up` and the scenarios both go through Up,
// so a lab looks the same however it was started. A failure at any step
// tears down what was built.
//
// # Concurrency
//
// The directors that Up programs and the real servers are independent of
// each other, so they are set up concurrently, a bounded number at a time
// (internal/workers: twice GOMAXPROCS), each node's own steps in order.
// keepalived starts after all of them. The first failure stops the nodes
// not yet started, waits for those under way, and tears the lab down.
//
// # Ready
//
// Up returns once everything is started; VRRP and the health checkers
// then take their own time. WaitReady waits until the lab answers a first
// request: backends listening, every director's table listing the real
// servers, each VRRP instance's expected MASTER holding its VIPs, each
// bounded by the lab file's timers. `lvslab up` calls it unless
// --no-wait.
//
// # Who places a VIP
//
// On a director that keepalived manages (a member of a VRRP instance, or
// one with its own keepalived.conf), keepalived programs the IPVS table
// from its virtual_server blocks and places the VRRP VIP on the MASTER
// only; Up starts it last, once the backends listen, since its first
// health checks run at once. On any other director Up programs the table
// itself and places the VIP (director.Program), but never a VIP a VRRP
// instance carries: two directors holding one VIP would both answer ARP.
//
// # Sysctls
//
// realserver.Prepare sets the forwarding method's sysctls (arp_ignore,
// arp_announce, rp_filter). A node's own sysctls in the lab file are
// written again after it, so that a lab file can still undo a default to
// build a deliberately broken lab (the ARP problem, rp_filter on tunl0),
// as topo.Spec.Sysctls promises.
package labup

import (
	"context"
	"errors"
	"net/netip"
	"slices"

	"github.com/lvslab/lvslab/director"
	"github.com/lvslab/lvslab/director/keepalived"
	"github.com/lvslab/lvslab/internal/workers"
	"github.com/lvslab/lvslab/realserver"
	"github.com/lvslab/lvslab/topo"
)

// Options tune Up.
type Options struct {
	topo.BuildOptions
	// TopologyOnly stops after the network: no IPVS, no backends.
	TopologyOnly bool
	// NoBackends leaves the real servers without their backend process.
	NoBackends bool
	// Binary is the lvslab executable, whose lvslab-serve beside it the
	// backends run (default: realserver.Binary(); see
	// realserver.ServeBinary).
	Binary string
}

// Up builds spec's lab and starts its pieces.
func Up(ctx context.Context, spec *topo.Spec, opts Options) (*topo.Lab, error) {
	if !opts.TopologyOnly && !opts.NoBackends {
		for _, n := range spec.NodesOf(topo.RoleRealServer) {
			opts.ExtraKiB += backendKiB
			opts.ExtraFiles += realserver.HubFiles(realserver.ServiceOptions(spec, n.Name))
		}
	}
	lab, err := topo.Build(ctx, spec, opts.BuildOptions)
	if err != nil {
		return nil, err
	}
	if opts.TopologyOnly {
		return lab, nil
	}
	if err := start(ctx, lab, opts); err != nil {
		return nil, errors.Join(err, topo.Destroy(lab.Name))
	}
	return lab, nil
}

// start programs the directors and prepares the real servers and starts
// their backends, each node's steps in order and the nodes concurrently,
// workers.Limit() at a time; then keepalived, whose first checks need the
// backends. The first failure stops what has not started yet; Up then
// tears everything down. The built-in backends are all served by the
// lab's server hub (realserver.StartHub), which the first real server to
// need it starts: each further backend costs the hub a thread entering
// the node's namespace and a few sockets, where a process of its own
// cost 0.1-0.2 s of CPU in the TCG guest.
func start(ctx context.Context, lab *topo.Lab, opts Options) error {
	if !opts.NoBackends {
		noHugePages()
	}
	var nodes []*topo.Host
	for _, h := range lab.Hosts() {
		switch {
		case h.Spec.Role == topo.RoleDirector && !keepalived.Manages(lab.Spec, h.Name()),
			h.Spec.Role == topo.RoleRealServer:
			nodes = append(nodes, h)
		}
	}
	err := workers.Each(ctx, 0, nodes, func(_ context.Context, h *topo.Host) error {
		if h.Spec.Role == topo.RoleDirector {
			return director.Program(h, lab.Spec.Services, director.LeaveVIPs(lab.Spec.VRRPCarries))
		}
		return startRealServer(lab, h, opts.NoBackends, opts.Binary)
	})
	if err != nil {
		return err
	}
	return keepalived.StartLab(lab)
}

// startRealServer sets a real server up for its forwarding methods and
// VIPs, writes the lab file's own sysctls over them, then starts its
// backend unless noBackend.
func startRealServer(lab *topo.Lab, h *topo.Host, noBackend bool, binary string) error {
	for forward, vips := range realServerVIPs(lab.Spec, h.Name()) {
		if err := realserver.Prepare(h, forward, vips); err != nil {
			return err
		}
	}
	if err := h.WriteSysctls(lab.Spec.NodeSysctls(h.Spec)); err != nil {
		return err
	}
	if noBackend {
		return nil
	}
	if err := realserver.Start(h, realserver.ServiceOptions(lab.Spec, h.Name()), binary); err != nil {
		return topo.LimitHint(err)
	}
	return nil
}

// backendKiB is about what one backend costs, for topo.CheckLimits:
// lvslab bench --scale --full measured the hub's PSS at 136-175 KiB a
// real server with 100-200 of them in the guest (its goroutines,
// buffers and share of the Go runtime), rounded up.
const backendKiB = 256

// realServerVIPs groups the VIPs of the services a node serves by
// forwarding method.
func realServerVIPs(spec *topo.Spec, node string) map[topo.Forward][]netip.Addr {
	out := map[topo.Forward][]netip.Addr{}
	for _, svc := range spec.Services {
		if svc.Backend(node) != nil && !slices.Contains(out[svc.Forward], svc.VIP) {
			out[svc.Forward] = append(out[svc.Forward], svc.VIP)
		}
	}
	return out
}
