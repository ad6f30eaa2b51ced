package director

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseConns(t *testing.T) {
	ap := netip.MustParseAddrPort
	tests := []struct {
		file string
		want []Conn
	}{
		{"empty.txt", []Conn{}},
		{"dr.txt", []Conn{
			{Protocol: "TCP", Client: ap("192.168.10.6:40000"), Virtual: ap("192.168.188.100:80"), Dest: ap("192.168.188.81:80"), State: "SYN_RECV", Expires: 59 * time.Second},
			{Protocol: "TCP", Client: ap("192.168.10.6:40002"), Virtual: ap("192.168.188.100:80"), Dest: ap("192.168.188.82:80"), State: "ESTABLISHED", Expires: 899 * time.Second},
			{Protocol: "TCP", Client: ap("192.168.10.6:40004"), Virtual: ap("192.168.188.100:80"), Dest: ap("192.168.188.81:80"), State: "FIN_WAIT", Expires: 119 * time.Second},
			{Protocol: "UDP", Client: ap("192.168.10.6:5353"), Virtual: ap("192.168.188.100:53"), Dest: ap("192.168.188.82:53"), State: "UDP", Expires: 300 * time.Second},
		}},
		{"persistent.txt", []Conn{
			{Protocol: "TCP", Client: ap("192.168.10.6:0"), Virtual: ap("192.168.188.100:80"), Dest: ap("192.168.188.81:80"), State: "NONE", Expires: 5 * time.Second},
			{Protocol: "TCP", Client: ap("192.168.10.6:51234"), Virtual: ap("192.168.188.100:80"), Dest: ap("192.168.188.81:80"), State: "SYN_RECV", Expires: 59 * time.Second},
			{Protocol: "IP", Client: ap("172.16.0.67:0"), Virtual: ap("0.0.0.3:0"), Dest: ap("172.16.0.7:0"), State: "NONE", Expires: 6000 * time.Second},
			{Protocol: "TCP", Client: ap("172.16.0.67:51236"), Virtual: ap("172.16.0.99:443"), Dest: ap("172.16.0.7:443"), State: "TIME_WAIT", Expires: 120 * time.Second},
			{Protocol: "UDP", Client: ap("10.0.0.9:5060"), Virtual: ap("10.0.0.1:5060"), Dest: ap("10.0.0.2:5060"), State: "UDP", Expires: 180 * time.Second, PEName: "sip", PEData: "1234@host"},
		}},
		{"ipv6.txt", []Conn{
			{Protocol: "TCP", Client: ap("[2001:db8::6]:40000"), Virtual: ap("[2001:db8::64]:80"), Dest: ap("[2001:db8::51]:80"), State: "ESTABLISHED", Expires: 899 * time.Second},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata", "conn", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			got, err := ParseConns(f)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b netip.AddrPort) bool { return a == b })); diff != "" {
				t.Errorf("ParseConns (-want +got):\n%s", diff)
			}
		})
	}
}

func TestConnTemplate(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "conn", "persistent.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	conns, err := ParseConns(f)
	if err != nil {
		t.Fatal(err)
	}
	var templates []bool
	for _, c := range conns {
		templates = append(templates, c.Template())
	}
	if diff := cmp.Diff([]bool{true, false, true, false, false}, templates); diff != "" {
		t.Errorf("Template() (-want +got):\n%s", diff)
	}
}

func TestParseConnsErrors(t *testing.T) {
	const hdr = "Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData\n"
	tests := []struct {
		name, input, wantErr string
	}{
		{"empty", "", "empty input"},
		{"no header", "TCP C0A80A06 9C40 C0A8BC64 0050 C0A8BC51 0050 SYN_RECV 59\n", "header"},
		{"short line", hdr + "TCP C0A80A06 9C40 C0A8BC64 0050\n", "line 2: want 9 to 11 fields"},
		{"bad address", hdr + "TCP C0A80A0G 9C40 C0A8BC64 0050 C0A8BC51 0050 SYN_RECV 59\n", "line 2: client: address"},
		{"bad port", hdr + "TCP C0A80A06 9C4 C0A8BC64 0050 C0A8BC51 0050 SYN_RECV 59\n", "line 2: client: port"},
		{"bad expiry", hdr + "TCP C0A80A06 9C40 C0A8BC64 0050 C0A8BC51 0050 SYN_RECV -1\n", "line 2: expires"},
		{"ipv4 in dotted form", hdr + "TCP 1.2.3.4 9C40 C0A8BC64 0050 C0A8BC51 0050 SYN_RECV 59\n", "line 2: client: address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConns(strings.NewReader(tt.input))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseConns error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

// FuzzParseConns checks that the parser never panics, and that what it
// accepts prints and parses back to the same entries.
func FuzzParseConns(f *testing.F) {
	entries, err := os.ReadDir(filepath.Join("testdata", "conn"))
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join("testdata", "conn", e.Name()))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(data))
	}
	f.Fuzz(func(t *testing.T, input string) {
		conns, err := ParseConns(strings.NewReader(input))
		if err != nil {
			return
		}
		var b strings.Builder
		b.WriteString("Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData\n")
		for _, c := range conns {
			b.WriteString(procLine(c))
		}
		again, err := ParseConns(strings.NewReader(b.String()))
		if err != nil {
			t.Fatalf("reparse of %q: %v", b.String(), err)
		}
		if diff := cmp.Diff(conns, again, cmp.Comparer(func(a, b netip.AddrPort) bool { return a == b })); diff != "" {
			t.Errorf("round trip (-first +second):\n%s", diff)
		}
		FormatConns(conns)
	})
}

// procLine prints c as the kernel's ip_vs_conn_seq_show does.
func procLine(c Conn) string {
	addr := func(ap netip.AddrPort) string {
		if ap.Addr().Is4() {
			b := ap.Addr().As4()
			return fmt.Sprintf("%02X%02X%02X%02X %04X", b[0], b[1], b[2], b[3], ap.Port())
		}
		return fmt.Sprintf("%s %04X", ap.Addr().StringExpanded(), ap.Port())
	}
	pe := ""
	if c.PEName != "" {
		pe = " " + c.PEName + " " + c.PEData
	}
	return fmt.Sprintf("%-3s %s %s %s %-11s %7d%s\n", c.Protocol, addr(c.Client), addr(c.Virtual), addr(c.Dest),
		c.State, c.Expires/time.Second, pe)
}
