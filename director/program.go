package director

import (
	"net/netip"
	"slices"

	"github.com/lvslab/lvslab/topo"
)

// Program sets up the lab file's virtual services that list the director
// h: each service with its real servers, its VIP where the forwarding
// method needs it (PlaceVIP) and, for a firewall-mark service, the mark
// rule (Mark).
//
// Equivalent to, per service: `ipvsadm -A …`, `ipvsadm -a … -r RIP` for
// each real server, `ip addr add VIP/32 dev IF`, and for a mark `iptables
// -t mangle -A PREROUTING -d VIP -p tcp -m multiport --dports P,Q -j MARK
// --set-mark N`.
//
// On a director whose VIP and IPVS table keepalived manages, let keepalived
// do all of this instead; LeaveVIPs leaves just the VIPs to someone else.
func Program(h *topo.Host, services []*topo.Service, opts ...ProgramOption) error {
	var cfg programConfig
	for _, o := range opts {
		o(&cfg)
	}
	d, err := Open(h)
	if err != nil {
		return err
	}
	defer d.Close()
	for _, svc := range services {
		if !slices.Contains(svc.Directors, h.Name()) {
			continue
		}
		if err := d.AddService(svc); err != nil {
			return err
		}
		for _, rs := range svc.RealServers {
			if err := d.AddRealServer(svc, rs); err != nil {
				return err
			}
		}
		if cfg.leaveVIP == nil || !cfg.leaveVIP(svc.VIP) {
			if err := PlaceVIP(h, svc); err != nil {
				return err
			}
		}
		if svc.FWMark != 0 {
			if err := Mark(h, svc); err != nil {
				return err
			}
		}
	}
	return nil
}

// ProgramOption changes what Program does.
type ProgramOption func(*programConfig)

type programConfig struct {
	leaveVIP func(netip.Addr) bool
}

// LeaveVIPs makes Program leave the VIPs for which leave is true to
// someone else: keepalived puts a VRRP instance's VIP on the MASTER only,
// and two directors holding one VIP would both answer ARP for it.
func LeaveVIPs(leave func(netip.Addr) bool) ProgramOption {
	return func(c *programConfig) { c.leaveVIP = leave }
}
