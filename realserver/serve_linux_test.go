package realserver_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/lvslab/lvslab/client"
	"github.com/lvslab/lvslab/internal/daemon"
	"github.com/lvslab/lvslab/internal/labtest"
	"github.com/lvslab/lvslab/internal/testutil"
	"github.com/lvslab/lvslab/realserver"
	"github.com/lvslab/lvslab/topo"
)

// lvslabBin is the lvslab executable built for these tests: backends run
// as lvslab-serve processes (built beside it), as in a lab.
var lvslabBin string

func TestMain(m *testing.M) { os.Exit(labtest.RunWithLvslab(m, "../cmd/lvslab", &lvslabBin)) }

func get(t *testing.T, h *topo.Host, target netip.AddrPort, proto client.Protocol, n int) *client.Result {
	t.Helper()
	res, err := client.Run(context.Background(), h, client.Options{
		Target: target, Protocol: proto, Requests: n,
		Timeout: time.Second, Deadline: 10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// steerVIP makes router send the VIP's packets to rs's MAC, as a DR
// director does. Equivalent to: `ip neigh replace VIP lladdr MAC dev DEV`.
func steerVIP(t *testing.T, router *topo.Host, dev string, rs *topo.Host) {
	t.Helper()
	rsNL, err := rs.Netlink()
	if err != nil {
		t.Fatal(err)
	}
	defer rsNL.Close()
	eth0, err := rsNL.LinkByName("eth0")
	if err != nil {
		t.Fatal(err)
	}
	nl, err := router.Netlink()
	if err != nil {
		t.Fatal(err)
	}
	defer nl.Close()
	link, err := nl.LinkByName(dev)
	if err != nil {
		t.Fatal(err)
	}
	err = nl.NeighSet(&netlink.Neigh{
		LinkIndex:    link.Attrs().Index,
		State:        netlink.NUD_PERMANENT,
		IP:           labtest.VIP.AsSlice(),
		HardwareAddr: eth0.Attrs().HardwareAddr,
	})
	if err != nil {
		t.Fatal(err)
	}
}

func start(t *testing.T, lab *topo.Lab, h *topo.Host) {
	t.Helper()
	if err := realserver.Start(h, realserver.ServiceOptions(lab.Spec, h.Name()), lvslabBin); err != nil {
		t.Fatal(err)
	}
}

func TestServe(t *testing.T) {
	lab := labtest.DR(t, "rs")
	cl := labtest.Host(t, lab, "client")
	for _, node := range []string{"web1", "web2"} {
		start(t, lab, labtest.Host(t, lab, node))
	}
	tests := []struct {
		name  string
		node  string
		proto client.Protocol
		port  uint16
	}{
		{"http web1", "web1", client.HTTP, 80},
		{"http web2", "web2", client.HTTP, 80},
		{"tcp echo web1", "web1", client.TCPEcho, realserver.EchoPort},
		{"udp echo web2", "web2", client.UDPEcho, realserver.EchoPort},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rip := labtest.RIP[tt.node]
			res := get(t, cl, netip.AddrPortFrom(rip, tt.port), tt.proto, 4)
			if res.Tally[tt.node] != 4 || len(res.Tally) != 1 {
				t.Fatalf("tally %v, errors %v; want all 4 from %s", res.Tally, res.Errors, tt.node)
			}
			if tt.proto != client.HTTP {
				return
			}
			for _, ev := range res.Replies() {
				if ev.Client.Addr() != labtest.Client || ev.Client != ev.Source {
					t.Errorf("server saw client %s, want the request's source %s", ev.Client, ev.Source)
				}
				if want := netip.AddrPortFrom(rip, 80); ev.Local != want {
					t.Errorf("server saw local %s, want %s", ev.Local, want)
				}
			}
		})
	}
	// Without IPVS, the router plays the DR director's part: it sends
	// frames for the VIP to web1's MAC, unchanged otherwise. web1 answers
	// from the VIP, TCP and UDP alike.
	t.Run("dr vip", func(t *testing.T) {
		web1 := labtest.Host(t, lab, "web1")
		if err := realserver.Prepare(web1, topo.ForwardDR, []netip.Addr{labtest.VIP}); err != nil {
			t.Fatal(err)
		}
		steerVIP(t, labtest.Host(t, lab, "router"), lab.Spec.Node("router").OnSegment(web1.Spec.Interfaces[0].Segment).Name, web1)
		res := get(t, cl, netip.AddrPortFrom(labtest.VIP, 80), client.HTTP, 2)
		if res.Tally["web1"] != 2 {
			t.Fatalf("tally %v, errors %v; want 2 from web1", res.Tally, res.Errors)
		}
		if ev := res.Replies()[0]; ev.Local != netip.AddrPortFrom(labtest.VIP, 80) || ev.Client.Addr() != labtest.Client {
			t.Errorf("web1 saw client %s, local %s; want %s and %s:80", ev.Client, ev.Local, labtest.Client, labtest.VIP)
		}
		res = get(t, cl, netip.AddrPortFrom(labtest.VIP, realserver.EchoPort), client.UDPEcho, 2)
		if res.Tally["web1"] != 2 {
			t.Fatalf("udp echo via the VIP: tally %v, errors %v; want 2 from web1 (reply not from the VIP?)", res.Tally, res.Errors)
		}
	})
	// One hub serves both nodes: it runs in the lab's switch namespace,
	// not the root one (the requests above reached each node's RIP, an
	// address only its own namespace has, so each node's sockets are
	// its own).
	t.Run("one hub serves the nodes", func(t *testing.T) {
		// Restarts, each opening sockets from a thread that enters
		// web2's namespace and ends there: none may leave the hub's
		// main thread behind in it.
		web2 := labtest.Host(t, lab, "web2")
		for range 40 {
			if err := realserver.Stop(web2, time.Second); err != nil {
				t.Fatal(err)
			}
			start(t, lab, web2)
		}
		pids := map[int]bool{}
		for _, node := range []string{"web1", "web2"} {
			pid, running, err := realserver.PID(labtest.Host(t, lab, node))
			if err != nil || !running {
				t.Fatalf("%s: server running %v, %v", node, running, err)
			}
			pids[pid] = true
		}
		if len(pids) != 1 {
			t.Fatalf("servers run in processes %v, want one hub", pids)
		}
		for pid := range pids {
			if !testutil.SameNamespace(t, pid, "net", lab.SwitchNsPath()) {
				t.Errorf("hub pid %d is not in the switch namespace %s", pid, lab.SwitchNsPath())
			}
			// Every thread is back in the switch namespace once the
			// ones that opened the nodes' sockets have ended.
			var sw unix.Stat_t
			if err := unix.Stat(lab.SwitchNsPath(), &sw); err != nil {
				t.Fatal(err)
			}
			var astray []string
			for range 100 {
				astray = astray[:0]
				tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*", pid))
				for _, task := range tasks {
					var ns unix.Stat_t
					if err := unix.Stat(task+"/ns/net", &ns); err != nil {
						continue // ended meanwhile
					}
					if ns.Dev != sw.Dev || ns.Ino != sw.Ino {
						tid, _ := strconv.Atoi(filepath.Base(task))
						astray = append(astray, topo.DescribeProcess(tid))
					}
				}
				if len(astray) == 0 {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			if len(astray) > 0 {
				t.Errorf("hub threads outside the switch namespace 1 s after the starts: %v", astray)
			}
			if testutil.SameNamespace(t, pid, "net", "/proc/thread-self/ns/net") {
				t.Errorf("hub pid %d is in the root network namespace", pid)
			}
		}
	})
	t.Run("start twice fails", func(t *testing.T) {
		h := labtest.Host(t, lab, "web1")
		err := realserver.Start(h, realserver.ServiceOptions(lab.Spec, "web1"), lvslabBin)
		if !errors.Is(err, daemon.ErrRunning) {
			t.Fatalf("second start: err = %v, want ErrRunning", err)
		}
	})
}

// TestServeStopKillStart is the documents' "stop httpd on a real server":
// the client is refused, and the server answers again once restarted.
func TestServeStopKillStart(t *testing.T) {
	lab := labtest.DR(t, "rs")
	cl := labtest.Host(t, lab, "client")
	web1 := labtest.Host(t, lab, "web1")
	target := netip.AddrPortFrom(labtest.RIP["web1"], 80)
	start(t, lab, web1)

	steps := []struct {
		name string
		do   func(t *testing.T)
		want map[string]int // tally, or errors when answered is false
		ok   bool
	}{
		{"running answers", func(t *testing.T) {}, map[string]int{"web1": 3}, true},
		{"stop refuses", func(t *testing.T) {
			if err := realserver.Stop(web1, 2*time.Second); err != nil {
				t.Fatal(err)
			}
			log, _ := os.ReadFile(daemon.LogPath(web1, realserver.ProcessName))
			if !strings.Contains(string(log), "web1 shut down") {
				t.Errorf("no graceful shutdown in the log:\n%s", log)
			}
		}, map[string]int{client.Refused: 3}, false},
		{"start answers again", func(t *testing.T) { start(t, lab, web1) }, map[string]int{"web1": 3}, true},
		{"kill refuses, the hub lives on", func(t *testing.T) {
			pid, _, err := realserver.PID(web1)
			if err != nil {
				t.Fatal(err)
			}
			if err := realserver.Kill(web1); err != nil {
				t.Fatal(err)
			}
			if running, err := realserver.Running(web1); err != nil || running {
				t.Errorf("Running after kill = %v, %v", running, err)
			}
			opts := realserver.ServiceOptions(lab.Spec, "web1")
			if missing, err := realserver.NotListening(web1, opts); err != nil || len(missing) != len(opts.HTTP)+len(opts.TCPEcho)+len(opts.UDPEcho) {
				t.Errorf("after kill web1 still listens: missing only %v (%v)", missing, err)
			}
			if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); err != nil {
				t.Errorf("the hub (pid %d) ended with web1's server: %v", pid, err)
			}
			log, _ := os.ReadFile(daemon.LogPath(web1, realserver.ProcessName))
			if !strings.Contains(string(log), "web1 killed") {
				t.Errorf("no kill in the log:\n%s", log)
			}
		}, map[string]int{client.Refused: 3}, false},
		{"start after kill answers", func(t *testing.T) { start(t, lab, web1) }, map[string]int{"web1": 3}, true},
		{"a killed hub takes its servers along", func(t *testing.T) {
			pid, _, err := realserver.PID(web1)
			if err != nil {
				t.Fatal(err)
			}
			if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			waitGone(t, pid)
			if running, err := realserver.Running(web1); err != nil || running {
				t.Errorf("Running after the hub was killed = %v, %v", running, err)
			}
		}, map[string]int{client.Refused: 3}, false},
		{"start after the hub died answers", func(t *testing.T) { start(t, lab, web1) }, map[string]int{"web1": 3}, true},
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

// waitGone waits until process pid has ended (and been reaped).
func waitGone(t *testing.T, pid int) {
	t.Helper()
	for range 200 {
		if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); errors.Is(err, os.ErrNotExist) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("pid %d still exists 2 s after SIGKILL", pid)
}

func TestServiceOptions(t *testing.T) {
	weight := 1
	spec := &topo.Spec{Services: []*topo.Service{
		{Port: 80, Protocol: "tcp", RealServers: []*topo.RealServer{{Node: "web1"}, {Node: "web2", Port: 8080, Weight: &weight}}},
		{FWMark: 3, Ports: []uint16{80, 443}, Protocol: "tcp", RealServers: []*topo.RealServer{{Node: "web1"}}},
		{Port: 53, Protocol: "udp", RealServers: []*topo.RealServer{{Node: "web2"}}},
		{Port: 3306, Protocol: "tcp", RealServers: []*topo.RealServer{{Node: "db1"}}},
		{Port: 9000, Protocol: "tcp", Check: &topo.Check{Type: "HTTP_GET"}, RealServers: []*topo.RealServer{{Node: "db1"}}},
		{Port: 6379, Protocol: "tcp", RealServers: []*topo.RealServer{{Node: "redis"}}},
		// A TCP_CHECK on another port than the real server's (Debian's quorum sample).
		{Port: 80, Protocol: "tcp", Check: &topo.Check{Type: "TCP_CHECK", ConnectPort: 2222}, RealServers: []*topo.RealServer{{Node: "q1", Port: 8080}}},
	}}
	tests := []struct {
		node             string
		http, tcpE, udpE []uint16
	}{
		{"web1", []uint16{80, 443}, []uint16{7}, []uint16{7}},
		{"web2", []uint16{8080}, []uint16{7}, []uint16{7, 53}},
		{"other", []uint16{80}, []uint16{7}, []uint16{7}},
		{"db1", []uint16{9000}, []uint16{7, 3306}, []uint16{7}},
		{"redis", nil, []uint16{7, 6379}, []uint16{7}},
		{"q1", []uint16{8080}, []uint16{7, 2222}, []uint16{7}},
	}
	for _, tt := range tests {
		t.Run(tt.node, func(t *testing.T) {
			got := realserver.ServiceOptions(spec, tt.node)
			want := realserver.ServeOptions{Node: tt.node, HTTP: tt.http, TCPEcho: tt.tcpE, UDPEcho: tt.udpE}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("ServiceOptions(%s) = %+v, want %+v", tt.node, got, want)
			}
		})
	}
}
