package bench

import (
	"io"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lvslab/lvslab/client"
)

func TestParseScaleSizes(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []int
		wantErr bool
	}{
		{name: "the default", in: ScaleSizes, want: []int{10, 50, 100, 200}},
		{name: "one", in: "7", want: []int{7}},
		{name: "spaces around", in: " 10, 20 ", want: []int{10, 20}},
		{name: "empty", in: "", wantErr: true},
		{name: "an empty count", in: "10,,20", wantErr: true},
		{name: "not a number", in: "10,many", wantErr: true},
		{name: "zero", in: "0", wantErr: true},
		{name: "negative", in: "-5", wantErr: true},
		{name: "more than a lab holds", in: "62501", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseScaleSizes(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseScaleSizes(%q) = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if err != nil {
				if !strings.Contains(err.Error(), "--sizes") {
					t.Errorf("ParseScaleSizes(%q) error %q does not name --sizes", tt.in, err)
				}
				return
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("ParseScaleSizes(%q) (-want +got):\n%s", tt.in, d)
			}
		})
	}
}

func TestScaleResultWrite(t *testing.T) {
	lab := ScaleLab{RealServers: 10}.withDefaults()
	tests := []struct {
		name string
		res  ScaleResult
		want string
	}{
		{
			name: "network only",
			res: ScaleResult{Lab: lab, Nodes: 13, Up: 130 * ms, Down: 26 * ms,
				Cost: Cost{Slab: 13 * 300, Used: 13 * 1000}},
			want: `scale: network only (up --topology-only), median of the runs; memory per node in KiB (Slab/used: the kernel's and the machine's growth while up)
lab                nodes        up  up/node      down  dn/node   Slab/n   used/n
scale-10              13   130.0ms   10.0ms    26.0ms    2.0ms      300     1000
`,
		},
		{
			name: "network only, something left",
			res: ScaleResult{Lab: lab, Nodes: 13, Up: 13 * ms, Down: 13 * ms,
				Leftover: []string{"namespace lvs-scale-10-rs3", "process 4242"}, Busy: 2},
			want: `scale: network only (up --topology-only), median of the runs; memory per node in KiB (Slab/used: the kernel's and the machine's growth while up)
lab                nodes        up  up/node      down  dn/node   Slab/n   used/n
scale-10              13    13.0ms    1.0ms    13.0ms    1.0ms        0        0  LEFT AFTER DOWN: namespace lvs-scale-10-rs3, process 4242  (2 build(s) began on a busy machine)
`,
		},
		{
			name: "full, every real server twice",
			res: ScaleResult{Lab: lab, Nodes: 13, Full: true, Up: 1300 * ms, Network: 520 * ms, Down: 650 * ms, Ready: 2 * time.Second,
				Cost:       Cost{Processes: 11, RSS: 10 * 9000, PSS: 10 * 3000, Slab: 13 * 400, Used: 13 * 5000},
				Requests:   &client.Result{Sent: 20, Tally: map[string]int{"rs1": 2}},
				RequestsOK: true},
			want: `scale: full up (IPVS, backends), one run, beside the network alone built just before (net/node, median of the runs; xnet = up/node over net/node); ready = until WaitReady returned; memory per node in KiB (Slab/used: the kernel's and the machine's growth while up)
lab                nodes        up  up/node net/node  xnet      down  dn/node     ready  procs   RSS/rs   PSS/rs   Slab/n   used/n  2 req/rs
scale-10              13  1300.0ms  100.0ms   40.0ms  2.50   650.0ms   50.0ms  2000.0ms     11     9000     3000      400     5000  each exactly twice
`,
		},
		{
			name: "full, uneven",
			res: ScaleResult{Lab: lab, Nodes: 13, Full: true, Up: 1300 * ms, Down: 650 * ms, Ready: 2 * time.Second,
				Requests: &client.Result{Sent: 20, Tally: map[string]int{"rs1": 3, "rs2": 1, "rs3": 2}}, Reused: 1},
			want: `scale: full up (IPVS, backends), one run, beside the network alone built just before (net/node, median of the runs; xnet = up/node over net/node); ready = until WaitReady returned; memory per node in KiB (Slab/used: the kernel's and the machine's growth while up)
lab                nodes        up  up/node net/node  xnet      down  dn/node     ready  procs   RSS/rs   PSS/rs   Slab/n   used/n  2 req/rs
scale-10              13  1300.0ms  100.0ms        -     -   650.0ms   50.0ms  2000.0ms      0        0        0        0        0  NOT EVEN: 3 servers answered 6 of 20 (1 reused a source port the director still held: unscheduled)
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantWrite(t, tt.want, func(w io.Writer) {
				WriteScaleHeader(w, tt.res.Full)
				tt.res.Write(w)
			})
		})
	}
}

func TestKeepalivedScaleWrite(t *testing.T) {
	lab := ScaleLab{RealServers: 100, VIPs: 4, Keepalived: true}.withDefaults()
	tests := []struct {
		name string
		res  KeepalivedScale
		want string
	}{
		{
			name: "measured",
			res: KeepalivedScale{Lab: lab, Tables: 7400 * ms, TablesBound: 9 * time.Second, CPU: 0.125, Window: 10 * time.Second,
				Removed: "rs51", Removal: 4100 * ms, RemovalRefused: 7 * time.Second, RemovalBound: 10 * time.Second},
			want: `keepalived pair, 100 real servers, 4 VIP(s), TCP_CHECK:
  every real server of every VIP in both tables: 7.4 s after the later keepalived started (formula: <= 9 s)
  keepalived CPU, both directors, every process: 12.5% of one CPU over 10s
  rs51 stopped (refuses): gone from both tables after 4.1 s (formula: refused <= 7 s, blackholed <= 10 s)
`,
		},
		{
			name: "failed before the tables were full",
			res:  KeepalivedScale{Lab: lab, TablesBound: 9 * time.Second, Window: 10 * time.Second},
			want: "keepalived pair, 100 real servers, 4 VIP(s), TCP_CHECK:\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantWrite(t, tt.want, tt.res.Write)
		})
	}
}

func TestReusedPorts(t *testing.T) {
	ev := func(port uint16) client.Event {
		return client.Event{Source: netip.AddrPortFrom(netip.MustParseAddr("10.0.0.2"), port)}
	}
	tests := []struct {
		name string
		res  *client.Result
		want int
	}{
		{name: "every port new", res: &client.Result{Timeline: []client.Event{ev(40000), ev(40002), ev(40004)}}, want: 0},
		{name: "one port again", res: &client.Result{Timeline: []client.Event{ev(40000), ev(40002), ev(40000)}}, want: 1},
		{name: "no source known (a failed connect)", res: &client.Result{Timeline: []client.Event{ev(0), ev(0)}}, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := reusedPorts(tt.res); got != tt.want {
				t.Fatalf("reusedPorts = %d, want %d", got, tt.want)
			}
		})
	}
}
