package importer

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/lvslab/lvslab/topo"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

const confData = "../../director/keepalived/conf/testdata"

// absent says no program path exists, so goldens do not depend on the host.
func absent(string) bool { return false }

// golden compares got with testdata/golden/name (-update rewrites it).
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("import differs from %s (go test -update rewrites it):\n%s", path, got)
	}
}

// outcome is what a golden records: the lab file, or the lines out of
// scope.
func outcome(t *testing.T, files []string, opt Options) string {
	t.Helper()
	opt.Exists = absent
	opt.Dir = "testdata/golden"
	res, err := Import(files, opt)
	var oos *OutOfScope
	switch {
	case errors.As(err, &oos):
		return "# out of scope\n" + strings.Join(oos.Lines, "\n") + "\n"
	case err != nil:
		return "# not imported\n" + err.Error() + "\n"
	}
	if err := res.Spec.Validate(); err != nil {
		t.Errorf("the lab does not validate: %v", err)
	}
	return string(res.YAML)
}

// TestSeeds imports the seeds' pairs: each must import to a valid lab.
func TestSeeds(t *testing.T) {
	for _, pair := range [][2]string{{"000-lvs151", "000-lvs152"}, {"004-lvs01", "004-lvs02"}} {
		t.Run(pair[0], func(t *testing.T) {
			files := []string{confData + "/seeds/" + pair[0] + ".conf", confData + "/seeds/" + pair[1] + ".conf"}
			got := outcome(t, files, Options{})
			if strings.HasPrefix(got, "# ") && !strings.HasPrefix(got, "# Imported") {
				t.Fatalf("seed pair not imported:\n%s", got)
			}
			golden(t, "seed-"+pair[0]+".yaml", got)
		})
	}
}

// TestMethods imports fixtures for each forwarding method: a NAT pair
// with an internal VIP (ens192/ens224, TCP 3306 and UDP 53), and TUN
// with the real servers on another network (a router) and unicast VRRP.
func TestMethods(t *testing.T) {
	for name, files := range map[string][]string{
		"nat-pair": {"testdata/conf/nat-lvs1.conf", "testdata/conf/nat-lvs2.conf"},
		"tun":      {"testdata/conf/tun.conf"},
	} {
		t.Run(name, func(t *testing.T) {
			got := outcome(t, files, Options{})
			if !strings.HasPrefix(got, "# Imported") {
				t.Fatalf("not imported:\n%s", got)
			}
			golden(t, name+".yaml", got)
		})
	}
}

// TestDebian imports every sample Debian's keepalived ships: each is a
// valid lab or reported out of scope line by line (never silently).
func TestDebian(t *testing.T) {
	files, err := filepath.Glob(confData + "/debian/keepalived.conf.*")
	if err != nil || len(files) == 0 {
		t.Fatalf("no Debian samples: %v", err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			golden(t, "debian-"+strings.TrimPrefix(name, "keepalived.conf.")+".txt", outcome(t, []string{f}, Options{}))
		})
	}
}

// TestPeer makes the BACKUP of seed 004's MASTER: the copy differs in
// the state and priority lines alone.
func TestPeer(t *testing.T) {
	file := confData + "/seeds/004-lvs01.conf"
	res, err := Import([]string{file}, Options{Peer: 90, Dir: t.TempDir(), Exists: absent})
	if err != nil {
		t.Fatal(err)
	}
	peer := res.Files["004-lvs01-peer.conf"]
	orig, _ := os.ReadFile(file)
	a, b := strings.Split(string(orig), "\n"), strings.Split(string(peer), "\n")
	if len(a) != len(b) {
		t.Fatalf("peer has %d lines, original %d", len(b), len(a))
	}
	var changed []string
	for i := range a {
		if a[i] != b[i] {
			changed = append(changed, strings.TrimSpace(b[i]))
		}
	}
	if want := "state BACKUP #MASTER|priority 90 #必须比BACKUP的值大"; strings.Join(changed, "|") != want {
		t.Errorf("changed lines %q, want %q", changed, want)
	}
	if got := res.Spec.Nodes[2].Keepalived; got != "004-lvs01-peer.conf" {
		t.Errorf("the peer runs %q, want 004-lvs01-peer.conf (beside the lab file)", got)
	}
	if n := len(res.Spec.VRRP[0].Members); n != 2 {
		t.Errorf("VRRP members = %d, want 2", n)
	}
	if _, err := Import([]string{file, confData + "/seeds/004-lvs02.conf"}, Options{Peer: 90, Dir: "x"}); err == nil {
		t.Error("--peer with two files: no error")
	}
}

// TestMalformed: bad input gives FILE:LINE errors and no lab.
func TestMalformed(t *testing.T) {
	dir := t.TempDir()
	tests := []struct{ name, text, want string }{
		{"brace.conf", "vrrp_instance VI_1 {\n  state MASTER\n", `brace.conf:1: .*`},
		{"keyword.conf", "vrrp_instace VI_1 {\n}\n", `keyword.conf:1: unknown keyword "vrrp_instace"`},
		{"address.conf", "virtual_server 192.168.10.300 80 {\n  protocol TCP\n}\n", `address.conf:1: .*192.168.10.300`},
		{"save", "-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w x\n", `save:2: .*`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, tt.name)
			if err := os.WriteFile(p, []byte(tt.text), 0o644); err != nil {
				t.Fatal(err)
			}
			res, err := Import([]string{p}, Options{Exists: absent})
			if err == nil || res != nil {
				t.Fatalf("Import = %v, %v; want an error and no lab", res, err)
			}
			if !regexp.MustCompile(regexp.QuoteMeta(dir+"/") + tt.want).MatchString(err.Error()) {
				t.Errorf("error %q does not match %s", err, tt.want)
			}
		})
	}
}

// TestSave imports an ipvsadm -Sn dump: lvslab programs the director.
func TestSave(t *testing.T) {
	p := filepath.Join(t.TempDir(), "lvs.save")
	dump := "-A -t 10.0.0.10:3306 -s wrr\n-a -t 10.0.0.10:3306 -r 10.0.1.11:3306 -m -w 2\n-a -t 10.0.0.10:3306 -r 10.0.1.12:3306 -m -w 1\n"
	if err := os.WriteFile(p, []byte(dump), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Import([]string{p}, Options{Exists: absent})
	if err != nil {
		t.Fatal(err)
	}
	s := res.Spec
	if s.Nodes[1].Keepalived != "" || s.Nodes[1].Role != topo.RoleDirector {
		t.Errorf("director %+v: want one lvslab programs", s.Nodes[1])
	}
	if len(s.Segments) != 2 || s.Segments[1].Subnet.String() != "10.0.1.0/24" {
		t.Errorf("segments %v: want lan and the RIP network 10.0.1.0/24", s.Segments)
	}
	rs := s.Nodes[2]
	if rs.Name != "rs01" || rs.Gateway != s.Nodes[1].Interfaces[1].Addresses[0].Addr() {
		t.Errorf("real server %s gateway %s: want rs01 through the director's DIP", rs.Name, rs.Gateway)
	}
}

// TestServerNginx: --server nginx puts Debian's nginx on every real
// server of the seed 004 pair (TCP services), checked on the lab file
// topo reads back; an unknown server is refused before anything is read.
func TestServerNginx(t *testing.T) {
	seeds := []string{confData + "/seeds/004-lvs01.conf", confData + "/seeds/004-lvs02.conf"}
	res, err := Import(seeds, Options{Exists: absent, Server: topo.ServerNginx})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, svc := range res.Spec.Services {
		for _, rs := range svc.Backends() {
			if rs.Server != topo.ServerNginx {
				t.Errorf("service %s: real server %s runs %q, want nginx", svc.Name, rs.Node, rs.Server)
			}
			n++
		}
	}
	if n == 0 {
		t.Fatal("no real server imported")
	}
	plain, err := Import(seeds, Options{Exists: absent})
	if err != nil {
		t.Fatal(err)
	}
	for _, svc := range plain.Spec.Services {
		for _, rs := range svc.Backends() {
			if rs.Server == topo.ServerNginx {
				t.Errorf("without --server: real server %s runs nginx", rs.Node)
			}
		}
	}
	if _, err := Import(seeds, Options{Exists: absent, Server: "apache"}); err == nil {
		t.Error("--server apache was accepted")
	}
}

// TestUnplaceable: a configuration the lab cannot hold (one VIP in two
// instances) is refused, naming the configuration's line, and builds
// nothing.
func TestUnplaceable(t *testing.T) {
	p := filepath.Join(t.TempDir(), "two.conf")
	text := "vrrp_instance A {\n  interface eth0\n  virtual_router_id 1\n  virtual_ipaddress {\n    10.0.0.100\n  }\n}\n" +
		"vrrp_instance B {\n  interface eth0\n  virtual_router_id 2\n  virtual_ipaddress {\n    10.0.0.100\n  }\n}\n"
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Import([]string{p}, Options{Exists: absent})
	if err == nil || res != nil {
		t.Fatalf("Import = %v, %v; want an error and no lab", res, err)
	}
	if want := p + ":8: vrrp B: field vips[0]: VIP 10.0.0.100 is also in another vrrp instance"; !strings.Contains(err.Error(), want) {
		t.Errorf("error\n%s\nlacks %q", err, want)
	}
}
