package realserver_test

import (
	"errors"
	"net/netip"
	"slices"
	"testing"

	"github.com/vishvananda/netlink"

	"github.com/lvslab/lvslab/internal/labtest"
	"github.com/lvslab/lvslab/internal/testutil"
	"github.com/lvslab/lvslab/realserver"
	"github.com/lvslab/lvslab/topo"
)

// hostAddrs lists the addresses on a node's link, as `ip -o addr show dev`.
func hostAddrs(t *testing.T, h *topo.Host, dev string) []string {
	t.Helper()
	nl, err := h.Netlink()
	if err != nil {
		t.Fatal(err)
	}
	defer nl.Close()
	link, err := nl.LinkByName(dev)
	if err != nil {
		t.Fatal(err)
	}
	addrs, err := nl.AddrList(link, netlink.FAMILY_ALL)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range addrs {
		out = append(out, a.IPNet.String())
	}
	return out
}

func TestPrepare(t *testing.T) {
	hasIPIP, ipipWhy := testutil.KernelModule(t, "ipip", "/sys/module/ipip")
	lab := labtest.DR(t, "rp")
	vips := []netip.Addr{labtest.VIP, netip.MustParseAddr("192.168.188.101")}
	tests := []struct {
		name    string
		node    string
		forward topo.Forward
		dev     string
		sysctls map[string]string
	}{
		{name: "dr", node: "web1", forward: topo.ForwardDR, dev: "lo", sysctls: map[string]string{
			"net.ipv4.conf.all.arp_ignore": "1", "net.ipv4.conf.all.arp_announce": "2",
			"net.ipv4.conf.lo.arp_ignore": "1", "net.ipv4.conf.lo.arp_announce": "2",
		}},
		{name: "tun", node: "web2", forward: topo.ForwardTUN, dev: realserver.TunnelDevice, sysctls: map[string]string{
			"net.ipv4.conf.all.rp_filter": "0", "net.ipv4.conf.tunl0.rp_filter": "0",
		}},
		{name: "nat", node: "lvs", forward: topo.ForwardNAT},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := labtest.Host(t, lab, tt.node)
			// Twice: Prepare is idempotent.
			for range 2 {
				err := realserver.Prepare(h, tt.forward, vips)
				if tt.forward == topo.ForwardTUN && !hasIPIP {
					// This kernel has no ipip (the project's CI host): then
					// the claim is that Prepare says so. The set-up itself
					// is checked by the tun scenarios in the guest kernel.
					if !errors.Is(err, realserver.ErrNoIPIP) {
						t.Fatalf("Prepare on a kernel without ipip (%s) = %v, want ErrNoIPIP", ipipWhy, err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			if tt.dev == "" {
				return
			}
			addrs := hostAddrs(t, h, tt.dev)
			for _, vip := range vips {
				if !slices.Contains(addrs, vip.String()+"/32") {
					t.Errorf("%s has %v, want %s/32", tt.dev, addrs, vip)
				}
			}
			for key, want := range tt.sysctls {
				if got, err := h.ReadSysctl(key); err != nil || got != want {
					t.Errorf("%s = %q (%v), want %q", key, got, err, want)
				}
			}
		})
	}
	t.Run("unknown forward", func(t *testing.T) {
		if err := realserver.Prepare(labtest.Host(t, lab, "web1"), "fullnat", vips); err == nil {
			t.Fatal("Prepare accepted fullnat")
		}
	})
}
