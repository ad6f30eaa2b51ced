package realserver_test

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lvslab/lvslab/client"
	"github.com/lvslab/lvslab/internal/daemon"
	"github.com/lvslab/lvslab/internal/labtest"
	"github.com/lvslab/lvslab/internal/testutil"
	"github.com/lvslab/lvslab/realserver"
	"github.com/lvslab/lvslab/topo"
)

// TestNginx runs Debian's nginx as web1's real server, as a lab file's
// `server: nginx` asks: it answers with the node's name, keeps its
// configuration, pid file and access log in the lab's state directory,
// and stops, dies and starts again as the built-in backend does.
func TestNginx(t *testing.T) {
	if _, err := exec.LookPath("nginx"); err != nil {
		if _, err := os.Stat("/usr/sbin/nginx"); err != nil {
			testutil.Gate(t, "nginx is not installed (apt-get install nginx, or make deps)")
		}
	}
	lab := labtest.DR(t, "rs")
	cl := labtest.Host(t, lab, "client")
	web1 := labtest.Host(t, lab, "web1")
	target := netip.AddrPortFrom(labtest.RIP["web1"], 80)
	opts := realserver.ServeOptions{Node: "web1", HTTP: []uint16{80}, Server: topo.ServerNginx}
	dir := realserver.NginxDir(lab.Name, "web1")
	start := func(t *testing.T) {
		t.Helper()
		if err := realserver.Start(web1, opts, lvslabBin); err != nil {
			t.Fatal(err)
		}
	}
	start(t)
	t.Cleanup(func() { _ = realserver.Kill(web1) })

	t.Run("its files are in the lab's state directory", func(t *testing.T) {
		if !strings.HasPrefix(dir, topo.StateDir(lab.Name)+"/") {
			t.Fatalf("nginx dir %s is not under the lab's state %s", dir, topo.StateDir(lab.Name))
		}
		pid, running, err := daemon.Status(web1, realserver.ProcessName)
		if err != nil || !running {
			t.Fatalf("server process: pid %d, running %v, %v", pid, running, err)
		}
		data, err := os.ReadFile(filepath.Join(dir, "nginx.pid"))
		if err != nil || strings.TrimSpace(string(data)) != strconv.Itoa(pid) {
			t.Errorf("pid file holds %q (%v), want the supervised pid %d", data, err, pid)
		}
		comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if strings.TrimSpace(string(comm)) != "nginx" {
			t.Errorf("the supervised process is %q, want nginx", comm)
		}
	})

	t.Run("it runs in web1's network namespace", func(t *testing.T) {
		pid, _, err := daemon.Status(web1, realserver.ProcessName)
		if err != nil {
			t.Fatal(err)
		}
		if !testutil.SameNamespace(t, pid, "net", web1.NsPath()) {
			t.Errorf("nginx pid %d is not in %s", pid, web1.NsPath())
		}
		if testutil.SameNamespace(t, pid, "net", "/proc/thread-self/ns/net") {
			t.Errorf("nginx pid %d is in the root network namespace", pid)
		}
	})

	steps := []struct {
		name string
		do   func(t *testing.T)
		want map[string]int // tally, or errors when ok is false
		ok   bool
	}{
		{"running answers with the node's name", func(t *testing.T) {}, map[string]int{"web1": 3}, true},
		{"the access log is in the state directory", func(t *testing.T) {
			// nginx logs a request after answering it: give it a moment.
			var log []byte
			var err error
			for range 100 {
				log, err = os.ReadFile(filepath.Join(dir, "access.log"))
				if err == nil && strings.Count(string(log), `"GET / HTTP/1.1" 200`) >= 3 {
					return
				}
				time.Sleep(20 * time.Millisecond)
			}
			t.Errorf("access log (%v):\n%s\nwant the 3 requests", err, log)
		}, map[string]int{"web1": 3}, true},
		{"stop (SIGQUIT) refuses", func(t *testing.T) {
			pid, _, _ := daemon.Status(web1, realserver.ProcessName)
			if err := realserver.Stop(web1, 5*time.Second); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("pid %d still exists after stop: %v", pid, err)
			}
			log, _ := os.ReadFile(daemon.LogPath(web1, realserver.ProcessName))
			if !strings.Contains(string(log), "gracefully shutting down") {
				t.Errorf("no graceful shutdown in nginx's log:\n%s", log)
			}
		}, map[string]int{client.Refused: 3}, false},
		{"start answers again", start, map[string]int{"web1": 3}, true},
		{"kill refuses", func(t *testing.T) {
			if err := realserver.Kill(web1); err != nil {
				t.Fatal(err)
			}
			if running, err := realserver.Running(web1); err != nil || running {
				t.Errorf("Running after kill = %v, %v", running, err)
			}
		}, map[string]int{client.Refused: 3}, false},
		{"start after kill answers", start, map[string]int{"web1": 3}, true},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			st.do(t)
			res := get(t, cl, target, client.HTTP, 3)
			got := res.Errors
			if st.ok {
				got = res.Tally
			}
			if fmt.Sprint(got) != fmt.Sprint(st.want) {
				t.Errorf("got tally %v, errors %v; want %v", res.Tally, res.Errors, st.want)
			}
		})
	}
}

// TestServiceOptionsNginx: a node whose lab file says `server: nginx`
// gets nginx on its HTTP ports and no echo; the others keep the built-in
// backend.
func TestServiceOptionsNginx(t *testing.T) {
	spec := &topo.Spec{Services: []*topo.Service{
		{Port: 80, Protocol: "tcp", RealServers: []*topo.RealServer{{Node: "web1", Server: topo.ServerNginx}, {Node: "web2"}}},
	}}
	tests := []struct {
		node string
		want realserver.ServeOptions
	}{
		{"web1", realserver.ServeOptions{Node: "web1", HTTP: []uint16{80}, Server: topo.ServerNginx}},
		{"web2", realserver.ServeOptions{Node: "web2", HTTP: []uint16{80}, TCPEcho: []uint16{7}, UDPEcho: []uint16{7}}},
	}
	for _, tt := range tests {
		t.Run(tt.node, func(t *testing.T) {
			if got := realserver.ServiceOptions(spec, tt.node); fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("ServiceOptions(%s) = %+v, want %+v", tt.node, got, tt.want)
			}
		})
	}
}
