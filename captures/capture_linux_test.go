package captures_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lvslab/lvslab/captures"
	"github.com/lvslab/lvslab/internal/labtest"
	"github.com/lvslab/lvslab/internal/testutil"
	"github.com/lvslab/lvslab/topo"
)

// These tests build labs/dr.yaml's network natively (no IPVS: the client
// talks to a real server's own address through the router) and capture
// on every link.

func labPrefix() string { return labtest.LabPrefix("c") }

// buildDR stands up dr.yaml's network under a unique name, registering
// its teardown and a check that nothing is left behind.
func buildDR(t *testing.T, base string) *topo.Lab {
	t.Helper()
	return labtest.BuildLab(t, "../labs/dr.yaml", labPrefix(), base)
}

func host(t *testing.T, lab *topo.Lab, node string) *topo.Host {
	t.Helper()
	h, err := lab.Host(node)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// serve listens on addr inside node h and answers every connection with
// the node's name, until the test ends.
func serve(t *testing.T, h *topo.Host, addr string) {
	t.Helper()
	var ln net.Listener
	if err := h.Do(func() error {
		var err error
		ln, err = net.Listen("tcp4", addr)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			fmt.Fprintln(c, h.Name())
			c.Close()
		}
	}()
}

// request connects from node h to target and reads the answer; it
// returns the client's address:port.
func request(t *testing.T, h *topo.Host, target string) netip.AddrPort {
	t.Helper()
	var c net.Conn
	if err := h.Do(func() error {
		var err error
		c, err = net.DialTimeout("tcp4", target, 2*time.Second)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := io.ReadAll(c); err != nil {
		t.Fatal(err)
	}
	return netip.MustParseAddrPort(c.LocalAddr().String())
}

func TestCaptureTraceThroughRouter(t *testing.T) {
	lab := buildDR(t, "trace")
	serve(t, host(t, lab, "web1"), "192.168.188.81:80")

	dir := t.TempDir()
	c, err := captures.Start(context.Background(), lab, nil, captures.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	client := request(t, host(t, lab, "client"), "192.168.188.81:80")
	files, err := c.Stop()
	if err != nil {
		t.Fatal(err)
	}
	if want := len(captures.AllLinks(lab.Spec)); len(files) != want {
		t.Fatalf("got %d files, want one per link (%d): %v", len(files), want, files)
	}

	flow := captures.Flow{Client: client, VIP: netip.MustParseAddrPort("192.168.188.81:80")}
	p, err := captures.Trace(files, flow, lab.Spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", p.Table())

	wantCables(t, "request", p.Request, "client:eth0 → router:eth1", "router:eth0 → web1:eth0")
	wantCables(t, "reply", p.Reply, "web1:eth0 → router:eth0", "router:eth1 → client:eth0")
	fwd := p.Request[1]
	if fwd.TTL != p.Request[0].TTL-1 {
		t.Errorf("router hop TTL %d, want %d", fwd.TTL, p.Request[0].TTL-1)
	}
	if got, want := strings.Join(fwd.Changed, ","), "src-mac,dst-mac,ttl"; got != want {
		t.Errorf("router hop changed %s, want %s", got, want)
	}

	t.Run("tshark agrees", func(t *testing.T) {
		testutil.NeedTool(t, "tshark", "it is the oracle of our decoder (apt-get install tshark)")
		for _, h := range append(append([]captures.Hop{}, p.Request...), p.Reply...) {
			for _, l := range h.Links {
				file := filepath.Join(dir, l.FileName())
				got := tshark(t, file, h)
				want := fmt.Sprintf("%s\t%s\t%s\t%d", h.DstMAC, h.Dst.Addr(), h.SrcMAC, h.TTL)
				if got != want {
					t.Errorf("%s, frame in %s: tshark says %q, we say %q", h.String(), l.FileName(), got, want)
				}
			}
		}
	})
}

// tshark decodes, independently, the frame of hop h in file: the one
// with its IP ID, TCP ports and TTL (tshark's own field names).
func tshark(t *testing.T, file string, h captures.Hop) string {
	t.Helper()
	filter := fmt.Sprintf("ip.id == %d && tcp.srcport == %d && tcp.dstport == %d && tcp.flags.syn == 1 && ip.ttl == %d && eth.src == %s",
		h.IPID, h.Src.Port(), h.Dst.Port(), h.TTL, h.SrcMAC)
	out, err := exec.Command("tshark", "-r", file, "-Y", filter,
		"-T", "fields", "-e", "eth.dst", "-e", "ip.dst", "-e", "eth.src", "-e", "ip.ttl").Output()
	if err != nil {
		t.Fatalf("tshark -r %s: %v", file, err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return lines[0]
}

func wantCables(t *testing.T, what string, hops []captures.Hop, want ...string) {
	t.Helper()
	var got []string
	for _, h := range hops {
		got = append(got, h.From.String()+" → "+h.To.String())
	}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("%s hops:\n got %q\nwant %q", what, got, want)
	}
}

func TestCaptureFilterAndLimit(t *testing.T) {
	lab := buildDR(t, "filter")
	serve(t, host(t, lab, "web1"), "192.168.188.81:80")
	serve(t, host(t, lab, "web2"), "192.168.188.82:8080")
	links := []captures.Link{{Node: "router", Interface: "eth0"}}

	c, err := captures.Start(context.Background(), lab, links, captures.Options{
		Dir:    t.TempDir(),
		Filter: captures.Filter{Ports: []uint16{8080}},
	})
	if err != nil {
		t.Fatal(err)
	}
	cl := host(t, lab, "client")
	request(t, cl, "192.168.188.81:80")
	request(t, cl, "192.168.188.82:8080")
	files, err := c.Stop()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := captures.Trace(files, captures.Flow{VIP: netip.MustParseAddrPort("192.168.188.81:80")}, lab.Spec); !errors.Is(err, captures.ErrNoPacket) {
		t.Errorf("port 80 was filtered out, but Trace says %v", err)
	}
	if _, err := captures.Trace(files, captures.Flow{VIP: netip.MustParseAddrPort("192.168.188.82:8080")}, lab.Spec); err != nil {
		t.Errorf("port 8080 was kept: %v", err)
	}

	t.Run("MaxPackets", func(t *testing.T) {
		c, err := captures.Start(context.Background(), lab, links, captures.Options{Dir: t.TempDir(), MaxPackets: 3})
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			request(t, cl, "192.168.188.81:80")
		}
		if _, err := c.Stop(); err != nil {
			t.Fatal(err)
		}
		if n := c.Packets()[links[0]]; n != 3 {
			t.Errorf("wrote %d packets, want the bound 3", n)
		}
	})
}

func TestCaptureSurvivesTeardown(t *testing.T) {
	lab := buildDR(t, "gone")
	c, err := captures.Start(context.Background(), lab, nil, captures.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if err := topo.Destroy(lab.Name); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := c.Stop()
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Stop after teardown: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Stop hangs after the lab was torn down")
	}
}

func TestStartUnknownLink(t *testing.T) {
	lab := buildDR(t, "bad")
	_, err := captures.Start(context.Background(), lab, []captures.Link{{Node: "web1", Interface: "eth9"}}, captures.Options{Dir: t.TempDir()})
	if err == nil {
		t.Fatal("capture on web1:eth9 started")
	}
}
