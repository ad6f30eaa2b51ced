package captures_test

import (
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lvslab/lvslab/captures"
	"github.com/lvslab/lvslab/topo"
)

func TestVRRPAdverts(t *testing.T) {
	got, err := captures.VRRPAdverts(filepath.Join("testdata", "vrrp", "lvs2-eth0.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	type advert struct {
		At       time.Duration
		Src      string
		VRID     uint8
		Priority uint8
		Interval time.Duration
		VIPs     []netip.Addr
	}
	vip := []netip.Addr{netip.MustParseAddr("192.168.188.100")}
	// lvs1's adverts arrive 5 µs after they leave lvs1:eth0.
	const wire = 5 * time.Microsecond
	want := []advert{
		{wire, "192.168.188.8", 51, 100, time.Second, vip},
		{time.Second + wire, "192.168.188.8", 51, 100, time.Second, vip},
		{2*time.Second + wire, "192.168.188.8", 51, 100, time.Second, vip},
		{2500*time.Millisecond + wire, "192.168.188.8", 51, 0, time.Second, vip}, // graceful stop
		{3160 * time.Millisecond, "192.168.188.9", 51, 90, time.Second, vip},
	}
	var gotA []advert
	for _, a := range got {
		gotA = append(gotA, advert{a.Time.Sub(t0), a.SrcIP.String(), a.VRID, a.Priority, a.AdvertInt, a.VIPs})
	}
	if d := cmp.Diff(want, gotA, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); d != "" {
		t.Errorf("adverts (-want +got):\n%s", d)
	}
}

func TestGARPs(t *testing.T) {
	got, err := captures.GARPs(filepath.Join("testdata", "vrrp", "lvs2-eth0.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("got %d GARPs, want 2: %v", len(got), got)
	}
	for _, g := range got {
		if g.IP != netip.MustParseAddr("192.168.188.100") || g.MAC.String() != topo.MAC("lvs2", "eth0").String() {
			t.Errorf("GARP %s at %s, want the VIP at lvs2:eth0's MAC", g.IP, g.MAC)
		}
	}
	// The ARP exchange of the DR trace is not gratuitous.
	if g, err := captures.GARPs(filepath.Join("testdata", "dr", "lvs-eth0.pcap")); err != nil || len(g) != 0 {
		t.Errorf("DR trace: %v, %v; want no GARPs", g, err)
	}
}
