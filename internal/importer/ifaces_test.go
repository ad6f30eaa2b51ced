package importer

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lvslab/lvslab/topo"
)

// TestNamedInterfaces: every interface a file names becomes an interface
// of its director, on a network of its own shared by the directors that
// name it; an interface the lab already has gets no second one.
func TestNamedInterfaces(t *testing.T) {
	const inst = `global_defs {
  lvs_sync_daemon ens256 VI_1
}
vrrp_instance VI_1 {
  state %s
  interface ens192
  virtual_router_id 51
  priority %d
  track_interface {
    ens224 weight 2
    ens192
  }
  virtual_ipaddress {
    192.168.10.30/24
    192.168.10.31/24 dev ens161
  }
}
vrrp_instance VI_2 {
  interface bond0
  virtual_router_id 52
  lvs_sync_daemon_interface ens256
  virtual_ipaddress {
    10.1.1.1/24
  }
}
`
	dir := t.TempDir()
	var files []string
	for i, st := range []string{"MASTER", "BACKUP"} {
		p := filepath.Join(dir, []string{"lvs1.conf", "lvs2.conf"}[i])
		if err := os.WriteFile(p, []byte(fmt.Sprintf(inst, st, 100-10*i)), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	res, err := Import(files, Options{Exists: absent})
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Spec.Validate(); err != nil {
		t.Fatalf("lab does not validate: %v\n%s", err, res.YAML)
	}
	segOf := map[string]string{} // interface → segment, the same on both
	for _, n := range res.Spec.Nodes {
		if n.Role != topo.RoleDirector {
			continue
		}
		var names []string
		for _, ifc := range n.Interfaces {
			names = append(names, ifc.Name)
			if s, ok := segOf[ifc.Name]; ok && s != ifc.Segment {
				t.Errorf("%s: %s on segment %s, the other director's on %s", n.Name, ifc.Name, ifc.Segment, s)
			}
			segOf[ifc.Name] = ifc.Segment
		}
		slices.Sort(names)
		want := []string{"bond0", "ens161", "ens192", "ens224", "ens256"}
		if !slices.Equal(names, want) {
			t.Errorf("%s has interfaces %v, want %v\n%s", n.Name, names, want, res.YAML)
		}
	}
	for _, s := range res.Spec.Segments {
		if s.Name == "ens224" && !spareNets.Contains(s.Subnet.Addr()) {
			t.Errorf("segment ens224 is %s, want one in %s", s.Subnet, spareNets)
		}
	}
}

// TestDefeats: a digest line names the check it defeats (Caveat.Defeats,
// for lvslab verify), a missing notify program does not; CaveatsOf a
// lab file read back gives the same caveats as the import.
func TestDefeats(t *testing.T) {
	res, err := Import([]string{confData + "/debian/keepalived.conf.sample"}, Options{Exists: absent})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range res.Caveats {
		switch {
		case strings.Contains(c.Text, "digest"):
			if c.Defeats == nil || c.Defeats.Port == 0 || !c.Defeats.RealServer.IsValid() || !strings.Contains(c.Defeats.What, "digest") {
				t.Errorf("%s: Defeats = %+v", c, c.Defeats)
			}
			n++
		case c.Defeats != nil:
			t.Errorf("%s defeats %+v", c, c.Defeats)
		}
	}
	if n == 0 {
		t.Fatalf("no digest caveat: %v", res.Caveats)
	}
	dir := t.TempDir()
	res, err = Import([]string{confData + "/debian/keepalived.conf.sample"}, Options{Exists: absent, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	lab := filepath.Join(dir, "lab.yaml")
	if err := os.WriteFile(lab, res.YAML, 0o644); err != nil {
		t.Fatal(err)
	}
	spec, err := topo.Load(lab)
	if err != nil {
		t.Fatal(err)
	}
	back, err := CaveatsOf(spec, absent)
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != len(res.Caveats) {
		t.Fatalf("CaveatsOf gives %d caveats, the import %d", len(back), len(res.Caveats))
	}
	for i := range back {
		if back[i].Text != res.Caveats[i].Text || (back[i].Defeats == nil) != (res.Caveats[i].Defeats == nil) {
			t.Errorf("caveat %d: %s, the import's %s", i, back[i], res.Caveats[i])
		}
	}
}
