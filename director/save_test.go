package director

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lvslab/lvslab/topo"
)

// updateParsed rewrites the golden descriptions of what ParseSave read
// (testdata/save/*.parsed.golden): our own reading, never the dumps,
// which only the real ipvsadm writes (gen.sh).
var updateParsed = flag.Bool("update-parsed", false, "rewrite testdata/save/*.parsed.golden")

// TestParseSaveOracle parses dumps written by the real ipvsadm 1.31
// (ipvsadm -Sn in the guest kernel; testdata/save/gen.sh) and prints
// them back: the result must be the dump, byte for byte, and what was
// read must match its golden description.
func TestParseSaveOracle(t *testing.T) {
	for _, name := range []string{"dr", "flags"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("testdata", "save", name+".save")
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			svcs, err := ParseSave(path, strings.NewReader(string(data)))
			if err != nil {
				t.Fatal(err)
			}
			var back strings.Builder
			for _, s := range svcs {
				for _, l := range s.SaveLines() {
					back.WriteString(l + "\n")
				}
			}
			if diff := cmp.Diff(string(data), back.String()); diff != "" {
				t.Errorf("SaveLines differs from ipvsadm -Sn (-ipvsadm +ours):\n%s", diff)
			}
			golden := filepath.Join("testdata", "save", name+".parsed.golden")
			got := describeSaved(svcs)
			if *updateParsed {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update-parsed to create it)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("parsed %s (-want +got):\n%s", path, diff)
			}
		})
	}
}

func describeSaved(svcs []*SavedService) string {
	var b strings.Builder
	for _, s := range svcs {
		fmt.Fprintf(&b, "line %d: %s proto=%q vip=%s port=%d fwmark=%d ipv6=%t sched=%s persistent=%t timeout=%d netmask=%s ops=%t pe=%q flags=%v\n",
			s.Line, s.Name(), s.Protocol, s.VIP, s.Port, s.FWMark, s.IPv6, s.Scheduler, s.Persistent, s.Timeout, s.Netmask, s.OPS, s.PE, s.SchedFlags)
		for _, rs := range s.RealServers {
			fmt.Fprintf(&b, "  line %d: rip=%s port=%d forward=%s weight=%d upper=%d lower=%d tunnel=%v\n",
				rs.Line, rs.RIP, rs.Port, rs.Forward, rs.Weight, rs.Upper, rs.Lower, rs.Tunnel)
		}
	}
	return b.String()
}

// TestParseSaveNames: ipvsadm-save without -n writes service names
// (http, domain), which are refused line by line.
func TestParseSaveNames(t *testing.T) {
	f, err := os.Open("testdata/save/flags.names.save")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	_, err = ParseSave("flags.names.save", f)
	var errs SaveErrors
	if !errors.As(err, &errs) {
		t.Fatalf("ParseSave error = %v, want SaveErrors", err)
	}
	want := `flags.names.save:3: -t 192.168.10.100:http: "http" is not a numeric port (save with ipvsadm -Sn)`
	if errs[0].Error() != want {
		t.Errorf("first error = %q, want %q", errs[0], want)
	}
}

func TestParseSaveForms(t *testing.T) {
	in := `# a dump written by hand
ipvsadm -C
--add-service --tcp-service 10.0.0.1:80 --scheduler rr --persistent
-a -t 10.0.0.1:80 -r 10.0.0.11 -m -x 100 -y 10
-a -t 10.0.0.1:80 --real-server 10.0.0.12:8080 --ipip --weight 0

-A -f 7 -s wlc -p 60 -M 255.255.0.0
-A -f 7 -6 -s rr -p 60 -M 64
-a -f 7 -6 -r [2001:db8::7]:0
`
	svcs, err := ParseSave("hand", strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := `line 3: -t 10.0.0.1:80 proto="tcp" vip=10.0.0.1 port=80 fwmark=0 ipv6=false sched=rr persistent=true timeout=360 netmask=invalid IP ops=false pe="" flags=[]
  line 4: rip=10.0.0.11 port=80 forward=nat weight=1 upper=100 lower=10 tunnel=[]
  line 5: rip=10.0.0.12 port=8080 forward=tun weight=0 upper=0 lower=0 tunnel=[]
line 7: -f 7 proto="" vip=invalid IP port=0 fwmark=7 ipv6=false sched=wlc persistent=true timeout=60 netmask=255.255.0.0 ops=false pe="" flags=[]
line 8: -f 7 proto="" vip=invalid IP port=0 fwmark=7 ipv6=true sched=rr persistent=true timeout=60 netmask=ffff:ffff:ffff:ffff:: ops=false pe="" flags=[]
  line 9: rip=2001:db8::7 port=0 forward=dr weight=1 upper=0 lower=0 tunnel=[]
`
	if diff := cmp.Diff(want, describeSaved(svcs)); diff != "" {
		t.Errorf("ParseSave (-want +got):\n%s", diff)
	}
	if got := svcs[2].SaveLines()[0]; got != "-A -f 7 -6 -s rr -p 60 -M 64" {
		t.Errorf("SaveLines of an IPv6 mark service = %q", got)
	}
	if svcs[0].RealServers[0].Forward != topo.ForwardNAT {
		t.Error("-m is not NAT")
	}
}

func TestParseSaveErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"unknown option", "-A -t 1.1.1.1:80 -z", `x:1: unknown option "-z"`},
		{"no command", "-t 1.1.1.1:80", "x:1: no command (-A, -a or -C)"},
		{"real server first", "-a -t 1.1.1.1:80 -r 2.2.2.2", "x:1: real server for -t 1.1.1.1:80, a service no -A line before adds"},
		{"bad weight", "-A -t 1.1.1.1:80\n-a -t 1.1.1.1:80 -r 2.2.2.2 -w -1", "x:2: -w -1: not a weight (0 to 65535)"},
		{"two methods", "-A -t 1.1.1.1:80\n-a -t 1.1.1.1:80 -r 2.2.2.2 -g -m", "x:2: more than one of -g, -m, -i"},
		{"netmask without persistence", "-A -t 1.1.1.1:80 -M 255.255.255.0", "x:1: -M without -p: a netmask is for persistence"},
		{"bad mark", "-A -f 0", "x:1: -f 0: not a firewall mark (1 to 4294967295)"},
		{"ops on tcp", "-A -t 1.1.1.1:80 -o", "x:1: -o (one-packet scheduling) is for UDP services only"},
		{"added twice", "-A -t 1.1.1.1:80\n-A -t 1.1.1.1:80 -s rr", "x:2: service -t 1.1.1.1:80 is added twice"},
		{"no real server", "-A -t 1.1.1.1:80\n-a -t 1.1.1.1:80 -w 2", "x:2: needs -r RIP[:PORT]"},
		{"bad address", "-A -t 1.1.1.300:80", `x:1: -t 1.1.1.300:80: "1.1.1.300" is not a numeric address (save with ipvsadm -Sn)`},
		{"two services", "-A -t 1.1.1.1:80 -u 1.1.1.1:53", "x:1: needs exactly one of -t, -u, --sctp-service, -f"},
		{"edit command", "-E -t 1.1.1.1:80 -s rr", "x:1: -E: only -A, -a and -C belong in an ipvsadm-save dump"},
		{"missing value", "-A -t", "x:1: -t needs a value"},
		{"server flag on -A", "-A -t 1.1.1.1:80 -w 3", "x:1: -w belongs on an -a line, not -A"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseSave("x", strings.NewReader(tt.in))
			if err == nil || err.Error() != tt.want {
				t.Errorf("ParseSave error = %v, want %q", err, tt.want)
			}
		})
	}
}
