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

func TestMasterSpans(t *testing.T) {
	adverts, err := captures.VRRPAdverts(filepath.Join("testdata", "vrrp", "lvs2-eth0.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	type span struct {
		Src      string
		From, To time.Duration
		Priority uint8
		Resigned bool
	}
	const wire = 5 * time.Microsecond
	spans := func(l []captures.MasterSpan) []span {
		var out []span
		for _, s := range l {
			out = append(out, span{s.SrcIP.String(), s.From.Sub(t0), s.To.Sub(t0), s.Priority, s.Resigned})
		}
		return out
	}
	want := []span{
		{"192.168.188.8", wire, 2500*time.Millisecond + wire, 100, true},
		{"192.168.188.9", 3160 * time.Millisecond, 3160 * time.Millisecond, 90, false},
	}
	if d := cmp.Diff(want, spans(captures.MasterSpans(adverts))); d != "" {
		t.Errorf("spans of the graceful stop (-want +got):\n%s", d)
	}

	// A master that stops advertising for more than three intervals
	// starts a new run; two sources at once overlap (a split brain).
	a, b := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
	at := func(src netip.Addr, s float64) captures.Advert {
		return captures.Advert{Time: t0.Add(time.Duration(s * float64(time.Second))), SrcIP: src, VRID: 1, Priority: 100, AdvertInt: time.Second}
	}
	synthetic := []captures.Advert{at(a, 0), at(a, 1), at(a, 2), at(b, 2.5), at(a, 3), at(b, 3.5), at(a, 7.5), at(a, 8.5)}
	want = []span{
		{"10.0.0.1", 0, 3 * time.Second, 100, false},
		{"10.0.0.2", 2500 * time.Millisecond, 3500 * time.Millisecond, 100, false},
		{"10.0.0.1", 7500 * time.Millisecond, 8500 * time.Millisecond, 100, false},
	}
	if d := cmp.Diff(want, spans(captures.MasterSpans(synthetic))); d != "" {
		t.Errorf("spans of a break and a split brain (-want +got):\n%s", d)
	}
}
