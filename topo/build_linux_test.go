package topo_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/lvslab/lvslab/internal/labtest"
	"github.com/lvslab/lvslab/internal/leakcheck"
	"github.com/lvslab/lvslab/internal/testutil"
	"github.com/lvslab/lvslab/topo"
)

// labPrefix starts the name of every lab this test process builds.
func labPrefix() string { return labtest.LabPrefix("t") }

func labName(base string) string { return labPrefix() + base }

// build stands up a lab file under a name unique to this test process,
// registering its teardown and a check of the root namespace after it.
func build(t *testing.T, file, name string) *topo.Lab {
	t.Helper()
	return labtest.BuildLab(t, file, labPrefix(), strings.TrimPrefix(name, labPrefix()))
}

func TestBuildEveryLab(t *testing.T) {
	files, err := filepath.Glob("../labs/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no lab files: %v", err)
	}
	for _, file := range files {
		base := strings.TrimSuffix(filepath.Base(file), ".yaml")
		t.Run(base, func(t *testing.T) {
			lab := build(t, file, labName(base))
			for _, h := range lab.Hosts() {
				checkHost(t, lab, h)
			}
		})
	}
}

// checkHost compares a node's namespace, read back through netlink and
// /proc/sys, with its lab file.
func checkHost(t *testing.T, lab *topo.Lab, h *topo.Host) {
	t.Helper()
	nl, err := h.Netlink()
	if err != nil {
		t.Fatal(err)
	}
	defer nl.Close()
	for _, ifc := range h.Spec.Interfaces {
		link, err := nl.LinkByName(ifc.Name)
		if err != nil {
			t.Errorf("%s: %s: %v", h.Name(), ifc.Name, err)
			continue
		}
		if got, want := link.Attrs().HardwareAddr.String(), topo.MAC(h.Name(), ifc.Name).String(); got != want {
			t.Errorf("%s %s: MAC %s, want %s", h.Name(), ifc.Name, got, want)
		}
		if link.Attrs().Flags&net.FlagUp == 0 {
			t.Errorf("%s %s: not up", h.Name(), ifc.Name)
		}
		addrs, err := nl.AddrList(link, netlink.FAMILY_V4)
		if err != nil {
			t.Fatal(err)
		}
		have := map[string]bool{}
		for _, a := range addrs {
			have[a.IPNet.String()] = true
		}
		for _, p := range ifc.Addresses {
			if !have[p.String()] {
				t.Errorf("%s %s: address %s missing (have %v)", h.Name(), ifc.Name, p, have)
			}
		}
	}
	if h.Spec.Gateway.IsValid() {
		routes, err := nl.RouteList(nil, netlink.FAMILY_V4)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, r := range routes {
			if isDefault(r) && r.Gw.Equal(net.IP(h.Spec.Gateway.AsSlice())) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: no default route via %s", h.Name(), h.Spec.Gateway)
		}
	}
	for _, s := range lab.Spec.Sysctls(h.Spec) {
		got, err := h.ReadSysctl(s.Key)
		if err != nil {
			t.Error(err)
			continue
		}
		if got != s.Value {
			t.Errorf("%s: sysctl %s = %s, want %s", h.Name(), s.Key, got, s.Value)
		}
	}
}

// isDefault tells a default route; netlink reports its destination as nil
// or as 0.0.0.0/0 depending on the version.
func isDefault(r netlink.Route) bool {
	if r.Dst == nil {
		return true
	}
	ones, _ := r.Dst.Mask.Size()
	return ones == 0 && r.Dst.IP.IsUnspecified()
}

// TestDRReachability is the check: from the client, across the
// router, TCP reaches each real server's address — accepted where
// something listens, refused where nothing does, never unreachable.
func TestDRReachability(t *testing.T) {
	lab := build(t, "../labs/dr.yaml", labName("reach"))
	client := host(t, lab, "client")
	for _, node := range []string{"web1", "web2"} {
		rs := host(t, lab, node)
		rip := rs.Spec.Interfaces[0].Addresses[0].Addr()
		var ln net.Listener
		if err := rs.Do(func() (err error) {
			ln, err = net.Listen("tcp", net.JoinHostPort(rip.String(), "8080"))
			return err
		}); err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		if err := dial(client, rip.String()+":8080"); err != nil {
			t.Errorf("client -> %s:8080 (listening): %v", node, err)
		}
		err := dial(client, rip.String()+":22")
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("client -> %s:22 (nothing listening): got %v, want connection refused", node, err)
		}
	}
}

// TestDRReachabilityNeedsRouter is the negative control: with the
// router's forwarding off, the same dial must fail.
func TestDRReachabilityNeedsRouter(t *testing.T) {
	lab := build(t, "../labs/dr.yaml", labName("noroute"))
	router := host(t, lab, "router")
	if err := router.Do(func() error {
		return os.WriteFile("/proc/sys/net/ipv4/ip_forward", []byte("0"), 0o644)
	}); err != nil {
		t.Fatal(err)
	}
	rs := host(t, lab, "web1")
	rip := rs.Spec.Interfaces[0].Addresses[0].Addr()
	if err := dial(host(t, lab, "client"), rip.String()+":22"); err == nil || errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("client -> web1 with forwarding off: got %v, want a failure to reach it", err)
	}
}

func host(t *testing.T, lab *topo.Lab, node string) *topo.Host {
	t.Helper()
	h, err := lab.Host(node)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// dial connects from a node. A fresh lab's first connection resolves
// two neighbours (client → router → real server); on a loaded machine a
// lost first ARP request is sent again after 1 s (retrans_time_ms) and a
// lost SYN after 1 s more, so 3 s rather than the 1 s that once timed
// out under load.
func dial(from *topo.Host, addr string) error {
	return from.Do(func() error {
		c, err := net.DialTimeout("tcp", addr, 3*time.Second)
		if err == nil {
			c.Close()
		}
		return err
	})
}

func TestBuildTwiceNeedsForce(t *testing.T) {
	name := labName("twice")
	lab := build(t, "../labs/dr.yaml", name)
	spec, err := topo.Load("../labs/dr.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, err = topo.Build(context.Background(), spec, topo.BuildOptions{Name: name})
	if !errors.Is(err, topo.ErrLabExists) {
		t.Fatalf("second up: got %v, want ErrLabExists", err)
	}
	if _, err := topo.Build(context.Background(), spec, topo.BuildOptions{Name: lab.Name, Force: true, Owner: os.Getpid()}); err != nil {
		t.Fatalf("second up with force: %v", err)
	}
}

// TestBuildFailureLeavesNothing breaks a build half-way (a sysctl the
// kernel doesn't have passes validation but fails to apply) and checks
// that no namespace or state is left.
func TestBuildFailureLeavesNothing(t *testing.T) {
	testutil.NeedNetns(t)
	before, err := leakcheck.Take(labPrefix())
	if err != nil {
		t.Fatal(err)
	}
	spec, err := topo.Load("../labs/dr.yaml")
	if err != nil {
		t.Fatal(err)
	}
	last := spec.Nodes[len(spec.Nodes)-1]
	last.Sysctls = map[string]string{"net.ipv4.no_such_setting": "1"}
	name := labName("broken")
	_, err = topo.Build(context.Background(), spec, topo.BuildOptions{Name: name, Owner: os.Getpid()})
	if err == nil {
		_ = topo.Destroy(name)
		t.Fatal("build with a bad sysctl succeeded")
	}
	if !strings.Contains(err.Error(), "no_such_setting") {
		t.Errorf("error does not name the sysctl: %v", err)
	}
	if _, err := os.Stat(topo.StateDir(name)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("state dir left behind: %v", err)
	}
	after, err := leakcheck.Take(labPrefix())
	if err != nil {
		t.Fatal(err)
	}
	if d := leakcheck.Diff(before, after); d != "" {
		t.Errorf("failed build left:\n%s", d)
	}
}

// TestDestroyEndsProcesses starts a process inside a node and checks that
// teardown ends it.
func TestDestroyEndsProcesses(t *testing.T) {
	lab := build(t, "../labs/dr.yaml", labName("procs"))
	cmd := host(t, lab, "web1").Command(context.Background(), "sleep", "300")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	// Wait until ip netns exec has entered the namespace and exec'd sleep.
	entered := false
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline) && !entered; {
		pids, err := topo.Processes(lab.State.Namespaces)
		if err != nil {
			t.Fatal(err)
		}
		entered = len(pids) > 0
		time.Sleep(10 * time.Millisecond)
	}
	if !entered {
		t.Fatal("process never showed up inside the lab")
	}
	if err := topo.Destroy(lab.Name); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		t.Logf("sleep ended: %v", err)
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("process inside the lab survived teardown")
	}
	// The registered cleanup finds the lab already gone.
	if _, err := topo.ReadState(lab.Name); !errors.Is(err, topo.ErrNoLab) {
		t.Errorf("state after destroy: %v", err)
	}
}

// TestSetLinks cuts web1's cables: the client can no longer reach it
// across the router, and reaches it again once they are back.
func TestSetLinks(t *testing.T) {
	lab := build(t, "../labs/dr.yaml", labName("links"))
	client, web1 := host(t, lab, "client"), host(t, lab, "web1")
	rip := web1.Spec.Interfaces[0].Addresses[0].Addr().String() + ":22"
	if err := reach(client, rip); err != nil {
		t.Fatalf("client -> web1 before: %v", err)
	}
	if err := web1.SetLinks(false); err != nil {
		t.Fatal(err)
	}
	if err := dial(client, rip); err == nil || errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("client -> web1 with its links down: got %v, want a failure to reach it", err)
	}
	if err := web1.SetLinks(true); err != nil {
		t.Fatal(err)
	}
	if err := reach(client, rip); err != nil {
		t.Errorf("client -> web1 with its links up again: %v", err)
	}
}

// reach dials addr, where nothing listens, until it is refused (so it was
// reached), at most five times: a first SYN may be lost while neighbour
// entries resolve, and under load the one-second dial timeout is short.
func reach(from *topo.Host, addr string) error {
	var err error
	for range 5 {
		if err = dial(from, addr); errors.Is(err, syscall.ECONNREFUSED) {
			return nil
		}
	}
	return fmt.Errorf("want connection refused (reached), got five times: %w", err)
}
