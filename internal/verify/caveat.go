package verify

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/lvslab/lvslab/internal/importer"
	"github.com/lvslab/lvslab/topo"
)

// defeated is why the checks of svc that depend on the real servers in
// nodes (nil: any of its real servers) are not verified: the lines of
// the user's configuration that defeat their health checks in the lab
// (importer.Caveat.Defeats), or "" when none does.
func defeated(spec *topo.Spec, caveats []importer.Caveat, svc *topo.Service, nodes []string) string {
	proto := svc.Protocol
	if proto == "" {
		proto = topo.DefaultProtocol
	}
	var whys, servers []string
	for _, c := range caveats {
		d := c.Defeats
		if d == nil || d.VIP != svc.VIP || d.Port != svc.Port || d.Protocol != proto {
			continue
		}
		node := realServerAt(spec, svc, d.RealServer)
		if node == "" || nodes != nil && !slices.Contains(nodes, node) {
			continue
		}
		why := fmt.Sprintf("your %s at %s cannot be matched by a lab backend", strings.TrimPrefix(d.What, "the "), c.At)
		if !slices.Contains(whys, why) {
			whys = append(whys, why)
		}
		if !slices.Contains(servers, node) {
			servers = append(servers, node)
		}
	}
	if len(whys) == 0 {
		return ""
	}
	return fmt.Sprintf("%s: keepalived keeps %s out of the table whatever the backend does, so the health check of these servers is not verified, nor what depends on them being in", strings.Join(whys, "; "), strings.Join(servers, ", "))
}

// realServerAt is the node of svc's real server (or sorry server) at
// addr, or "".
func realServerAt(spec *topo.Spec, svc *topo.Service, addr netip.Addr) string {
	rss := slices.Clone(svc.RealServers)
	if svc.SorryServer != nil {
		rss = append(rss, svc.SorryServer)
	}
	for _, rs := range rss {
		if rs.RIP == addr {
			return rs.Node
		}
		n := spec.Node(rs.Node)
		if n == nil {
			continue
		}
		for _, ifc := range n.Interfaces {
			for _, a := range ifc.Addresses {
				if a.Addr() == addr {
					return rs.Node
				}
			}
		}
	}
	return ""
}

// skipDefeated records a skip for a check of svc whose verdict the
// user's configuration makes meaningless in the lab, and reports whether
// it did.
func (b *battery) skipDefeated(kind, name string, svc *topo.Service, nodes []string) bool {
	why := defeated(b.lab.Spec, b.opts.Caveats, svc, nodes)
	if why == "" {
		return false
	}
	b.skip(kind, name, why)
	return true
}

// allDefeated reports whether the user's configuration keeps every real
// server of svc out of the table in the lab (a request then reaches the
// sorry server or nothing).
func (b *battery) allDefeated(svc *topo.Service) bool {
	for _, rs := range svc.RealServers {
		if defeated(b.lab.Spec, b.opts.Caveats, svc, []string{rs.Node}) == "" {
			return false
		}
	}
	return len(svc.RealServers) > 0
}
