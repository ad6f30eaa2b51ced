package importer

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"

	"github.com/lvslab/lvslab/director/keepalived/conf"
)

// namedIface is an interface a keepalived.conf names, where it names it.
type namedIface struct {
	name string
	pos  conf.Pos
	what string // the keyword that names it
}

// namedIfaces are the interfaces s names, in the file's order, each at
// its first mention: a vrrp_instance's interface, track_interface,
// lvs_sync_daemon_interface, global lvs_sync_daemon and a VIP's dev.
func namedIfaces(s *source) []namedIface {
	if s.cfg == nil {
		return nil
	}
	var out []namedIface
	add := func(name string, p conf.Pos, what string) {
		if name == "" || slices.ContainsFunc(out, func(n namedIface) bool { return n.name == name }) {
			return
		}
		out = append(out, namedIface{name, p, what})
	}
	if sd := s.cfg.Global.LVSSyncDaemon; sd != nil {
		add(sd.Interface, s.cfg.Global.At("lvs_sync_daemon"), "lvs_sync_daemon")
	}
	for _, in := range s.cfg.Instances {
		add(in.Interface, in.At("interface"), "vrrp_instance "+in.Name+" interface")
		for _, t := range in.TrackIfaces {
			add(t.Name, t.Pos, "vrrp_instance "+in.Name+" track_interface")
		}
		add(in.SyncDaemonInterface, in.At("lvs_sync_daemon_interface"), "vrrp_instance "+in.Name+" lvs_sync_daemon_interface")
		for _, v := range append(slices.Clone(in.VIPs), in.ExcludedVIPs...) {
			add(v.Dev, v.Pos, "vrrp_instance "+in.Name+" virtual_ipaddress dev")
		}
	}
	return out
}

// spareNets is where the import places the networks of interfaces no
// other network of the lab needs: 198.18.0.0/15, set aside for
// benchmarking (RFC 2544), which no production network uses.
var spareNets = netip.MustParsePrefix("198.18.0.0/15")

// placeNamedInterfaces gives each director every interface its file
// names that the lab does not have yet, so that keepalived finds them
// all and runs the file verbatim (a missing track_interface or
// vrrp_instance interface makes it refuse the instance, and a missing
// sync daemon interface its start): each such name gets a network of its
// own, shared by the directors that name it, on which nothing else is.
func (b *builder) placeNamedInterfaces() error {
	byName := map[string]int{} // interface name → its segment
	for _, d := range b.dirs {
		for _, n := range namedIfaces(d.src) {
			if slices.Contains(slices.Collect(maps.Values(d.ifaces)), n.name) {
				continue
			}
			i, ok := byName[n.name]
			if !ok {
				p, err := b.spareNet()
				if err != nil {
					return fmt.Errorf("import: %s: %s %s: %w", n.pos, n.what, n.name, err)
				}
				base := sanitize(n.name)
				if base == "" {
					base = "if"
				}
				name := b.segmentName(base)
				b.segs = append(b.segs, &segment{name: name, subnet: p,
					why: fmt.Sprintf("the network of interface %s, which %s names (%s) and no other network of the lab needs: a network of its own so keepalived finds the interface (and it stays up), in %s, set aside for benchmarking (RFC 2544), which no production network uses", n.name, n.what, n.pos, spareNets)})
				i = len(b.segs) - 1
				byName[n.name] = i
			}
			a, err := b.alloc(i)
			if err != nil {
				return err
			}
			d.ifaces[i], d.addrs[i] = n.name, a
			d.why[i] = append(d.why[i],
				fmt.Sprintf("%s: %s names %s: the lab gives the director this interface so keepalived runs the file as written; nothing else is on its network", n.pos, n.what, n.name),
				"address: the lowest free one on the network (the configuration does not give the director's own)")
		}
	}
	return nil
}

// spareNet is the first /24 of spareNets that overlaps no network of
// the lab and holds no address the configuration names.
func (b *builder) spareNet() (netip.Prefix, error) {
	for a := spareNets.Addr(); spareNets.Contains(a); {
		p := netip.PrefixFrom(a, 24)
		free := !slices.ContainsFunc(b.segs, func(s *segment) bool { return s.subnet.Overlaps(p) })
		for u := range b.used {
			if p.Contains(u) {
				free = false
			}
		}
		if free {
			return p, nil
		}
		s := a.As4()
		s[2]++
		if s[2] == 0 {
			s[1]++
		}
		a = netip.AddrFrom4(s)
	}
	return netip.Prefix{}, fmt.Errorf("no free /24 left in %s", spareNets)
}
