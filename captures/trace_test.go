package captures_test

import (
	"errors"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lvslab/lvslab/captures"
	"github.com/lvslab/lvslab/internal/testutil"
	"github.com/lvslab/lvslab/topo"
)

func pcaps(t *testing.T, name string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", name, "*.pcap"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no pcaps in testdata/%s: %v", name, err)
	}
	return files
}

func tracePath(t *testing.T, name, lab, flow string) *captures.Path {
	t.Helper()
	fl, err := captures.ParseFlow(flow)
	if err != nil {
		t.Fatal(err)
	}
	p, err := captures.Trace(pcaps(t, name), fl, labSpec(t, lab))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// The flows of the synthetic traces.
const (
	drFlow  = "192.168.10.6:40000-192.168.188.100:80"
	natFlow = "192.168.10.200:40000-192.168.10.100:80"
	tunFlow = "192.168.10.6:40000-192.168.188.100:80"
)

func TestTraceTables(t *testing.T) {
	for _, tc := range []struct{ name, lab, flow string }{
		{"dr", "dr", drFlow},
		{"nat", "nat", natFlow},
		{"tun", "tun", tunFlow},
		{"dr-broken", "dr", drFlow},
		{"nat-broken", "nat", natFlow},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tracePath(t, tc.name, tc.lab, tc.flow).Table()
			golden := filepath.Join("testdata", tc.name+".table")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(string(want), got); d != "" {
				t.Errorf("table (-want +got):\n%s", d)
			}
		})
	}
}

func TestTraceDRHops(t *testing.T) {
	p := tracePath(t, "dr", "dr", drFlow)
	type hop struct {
		From, To, Src, Dst string
		TTL                uint8
		Changed            string
	}
	var got []hop
	for _, h := range append(p.Request, p.Reply...) {
		got = append(got, hop{h.From.String(), h.To.String(), h.Src.String(), h.Dst.String(), h.TTL, strings.Join(h.Changed, ",")})
	}
	want := []hop{
		{"client:eth0", "router:eth1", "192.168.10.6:40000", "192.168.188.100:80", 64, ""},
		{"router:eth0", "lvs:eth0", "192.168.10.6:40000", "192.168.188.100:80", 63, "src-mac,dst-mac,ttl"},
		{"lvs:eth0", "web1:eth0", "192.168.10.6:40000", "192.168.188.100:80", 62, "src-mac,dst-mac,ttl"},
		{"web1:eth0", "router:eth0", "192.168.188.100:80", "192.168.10.6:40000", 64, ""},
		{"router:eth1", "client:eth0", "192.168.188.100:80", "192.168.10.6:40000", 63, "src-mac,dst-mac,ttl"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("hops (-want +got):\n%s", d)
	}
	if o := p.Request[2].DstOwner; o != (captures.Link{Node: "web1", Interface: "eth0"}) {
		t.Errorf("director → RS destination MAC owner %s, want web1:eth0", o)
	}
	if got, want := p.Request[2].DstMAC.String(), topo.MAC("web1", "eth0").String(); got != want {
		t.Errorf("director → RS destination MAC %s, want %s", got, want)
	}
}

func TestTraceAnyClient(t *testing.T) {
	// Without the client's port, the first SYN to the VIP is followed.
	p := tracePath(t, "dr", "dr", "192.168.188.100:80")
	if got := p.Request[0].Src.String(); got != "192.168.10.6:40000" {
		t.Errorf("followed %s, want the first connection 192.168.10.6:40000", got)
	}
}

func TestTraceNoPacket(t *testing.T) {
	fl, _ := captures.ParseFlow("192.168.10.6:41000-192.168.188.100:80")
	_, err := captures.Trace(pcaps(t, "dr"), fl, nil)
	if !errors.Is(err, captures.ErrNoPacket) {
		t.Errorf("got %v, want ErrNoPacket", err)
	}
	if _, err := captures.Trace(nil, fl, nil); err == nil {
		t.Error("Trace of no files succeeded")
	}
}

func TestTraceWithoutLabFile(t *testing.T) {
	// MACs are named from the pcaps' own links when no lab file is given.
	fl, _ := captures.ParseFlow(drFlow)
	p, err := captures.Trace(pcaps(t, "dr"), fl, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Request[2].DstOwner.String(); got != "web1:eth0" {
		t.Errorf("owner %s, want web1:eth0", got)
	}
}

func TestChecks(t *testing.T) {
	checks := map[string]func(*captures.Path, *topo.Spec) error{
		"DR": captures.CheckDR, "NAT": captures.CheckNAT, "TUN": captures.CheckTUN,
	}
	for _, tc := range []struct {
		trace, lab, flow, check string
		wantErr                 string // "" to pass
	}{
		{"dr", "dr", drFlow, "DR", ""},
		{"nat", "nat", natFlow, "NAT", ""},
		{"tun", "tun", tunFlow, "TUN", ""},
		// Negative controls: each method's path fails the other checks.
		{"nat", "nat", natFlow, "DR", "rewrote the addresses"},
		{"tun", "tun", tunFlow, "DR", "tunnels the request"},
		{"dr", "dr", drFlow, "NAT", "want its RIP:port"},
		{"tun", "tun", tunFlow, "NAT", "never reaches a director"},
		{"dr", "dr", drFlow, "TUN", "without IPIP"},
		{"nat", "nat", natFlow, "TUN", "without IPIP"},
		// Broken labs: the DR reply crossing the director; the NAT reply
		// bypassing the rewrite (RS answering from its RIP).
		{"dr-broken", "dr", drFlow, "DR", "crosses director lvs"},
		{"nat-broken", "nat", natFlow, "NAT", "leaves the director from 192.168.188.82:80"},
	} {
		t.Run(tc.check+" on "+tc.trace, func(t *testing.T) {
			err := checks[tc.check](tracePath(t, tc.trace, tc.lab, tc.flow), labSpec(t, tc.lab))
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("check failed: %v", err)
			case tc.wantErr != "" && err == nil:
				t.Errorf("check passed, want an error with %q", tc.wantErr)
			case tc.wantErr != "" && !strings.Contains(err.Error(), tc.wantErr):
				t.Errorf("error %q, want one with %q", err, tc.wantErr)
			}
		})
	}
}

func TestCheckNeedsService(t *testing.T) {
	p := tracePath(t, "dr", "dr", drFlow)
	p.Flow.VIP = netip.MustParseAddrPort("10.0.0.1:80")
	if err := captures.CheckDR(p, labSpec(t, "dr")); err == nil || !strings.Contains(err.Error(), "no service") {
		t.Errorf("got %v, want a no-service error", err)
	}
}

// TestTsharkAgrees decodes the DR director → RS frame with tshark, as an
// independent oracle of our decoder.
func TestTsharkAgrees(t *testing.T) {
	testutil.NeedTool(t, "tshark", "it is the oracle of our decoder (apt-get install tshark)")
	p := tracePath(t, "dr", "dr", drFlow)
	h := p.Request[2]
	out, err := exec.Command("tshark", "-r", filepath.Join("testdata", "dr", "web1-eth0.pcap"),
		"-Y", "tcp.flags.syn == 1 && tcp.flags.ack == 0", "-T", "fields", "-e", "eth.dst", "-e", "ip.dst").Output()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.TrimSpace(string(out)), h.DstMAC.String()+"\t"+h.Dst.Addr().String(); got != want {
		t.Errorf("tshark: %q, we: %q", got, want)
	}
}

func TestParseFlow(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want captures.Flow
		bad  bool
	}{
		{in: "192.168.10.6:40000-192.168.188.100:80", want: captures.Flow{Client: netip.MustParseAddrPort("192.168.10.6:40000"), VIP: netip.MustParseAddrPort("192.168.188.100:80")}},
		{in: "192.168.10.6-192.168.188.100:80", want: captures.Flow{Client: netip.MustParseAddrPort("192.168.10.6:0"), VIP: netip.MustParseAddrPort("192.168.188.100:80")}},
		{in: "192.168.188.100:80", want: captures.Flow{VIP: netip.MustParseAddrPort("192.168.188.100:80")}},
		{in: "192.168.188.100", bad: true},
		{in: "x-192.168.188.100:80", bad: true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := captures.ParseFlow(tc.in)
			if tc.bad {
				if err == nil {
					t.Errorf("parsed %v", got)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("got %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

func TestParseLinks(t *testing.T) {
	got, err := captures.ParseLinks("client:eth0, lvs:eth1")
	if err != nil {
		t.Fatal(err)
	}
	want := []captures.Link{{Node: "client", Interface: "eth0"}, {Node: "lvs", Interface: "eth1"}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	for _, bad := range []string{"client", ":eth0", "client:"} {
		if _, err := captures.ParseLinks(bad); err == nil {
			t.Errorf("ParseLinks(%q) succeeded", bad)
		}
	}
}
