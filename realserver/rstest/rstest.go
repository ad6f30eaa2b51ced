// Package rstest helps tests stand up a small LVS-DR lab natively (no
// IPVS needed) and run backends and clients in it.
//
// The lab is the documents' DR topology: client (192.168.10.6, and .7 as
// a secondary source) → router → inside segment with the director lvs
// (192.168.188.8) and the real servers web1 (.81) and web2 (.82); the VIP
// is 192.168.188.100.
package rstest

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/lvslab/lvslab/internal/testutil"
	"github.com/lvslab/lvslab/realserver"
	"github.com/lvslab/lvslab/topo"
)

// Addresses of the DR lab.
var (
	Client  = netip.MustParseAddr("192.168.10.6")
	Client2 = netip.MustParseAddr("192.168.10.7")
	VIP     = netip.MustParseAddr("192.168.188.100")
	RIP     = map[string]netip.Addr{
		"web1": netip.MustParseAddr("192.168.188.81"),
		"web2": netip.MustParseAddr("192.168.188.82"),
	}
)

// DRLab is the lab file.
const DRLab = `name: dr
segments:
  - name: outside
    subnet: 192.168.10.0/24
  - name: inside
    subnet: 192.168.188.0/24
nodes:
  - name: client
    role: client
    interfaces:
      - {name: eth0, segment: outside, addresses: [192.168.10.6/24, 192.168.10.7/24]}
    gateway: 192.168.10.200
  - name: router
    role: router
    interfaces:
      - {name: eth0, segment: outside, addresses: [192.168.10.200/24]}
      - {name: eth1, segment: inside, addresses: [192.168.188.200/24]}
  - name: lvs
    role: director
    interfaces:
      - {name: eth0, segment: inside, addresses: [192.168.188.8/24]}
    gateway: 192.168.188.200
  - name: web1
    role: realserver
    interfaces:
      - {name: eth0, segment: inside, addresses: [192.168.188.81/24]}
    gateway: 192.168.188.200
  - name: web2
    role: realserver
    interfaces:
      - {name: eth0, segment: inside, addresses: [192.168.188.82/24]}
    gateway: 192.168.188.200
services:
  - name: web
    directors: [lvs]
    vip: 192.168.188.100
    port: 80
    scheduler: rr
    forward: dr
    realservers:
      - {node: web1}
      - {node: web2}
`

// Lab builds the DR lab under a name unique to this test process (prefix
// plus pid), and tears it down — with every process inside — when t ends.
// It skips (fails in CI) where namespaces cannot be made.
func Lab(t testing.TB, prefix string) *topo.Lab {
	t.Helper()
	testutil.NeedNetns(t)
	file := filepath.Join(t.TempDir(), "dr.yaml")
	if err := os.WriteFile(file, []byte(DRLab), 0o644); err != nil {
		t.Fatal(err)
	}
	spec, err := topo.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("%s%d", prefix, os.Getpid()%100000)
	lab, err := topo.Build(context.Background(), spec, topo.BuildOptions{Name: name, Owner: os.Getpid()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := topo.Destroy(lab.Name); err != nil && !errors.Is(err, topo.ErrNoLab) {
			t.Errorf("destroy lab %s: %v", lab.Name, err)
		}
	})
	return lab
}

// Host returns a node of lab, failing t if there is none.
func Host(t testing.TB, lab *topo.Lab, node string) *topo.Host {
	t.Helper()
	h, err := lab.Host(node)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// ServeInProcess runs the backend inside the node's namespace from the
// test process itself (sockets opened on a thread in the namespace,
// served from any goroutine), until t ends.
func ServeInProcess(t testing.TB, h *topo.Host, opts realserver.ServeOptions) {
	t.Helper()
	if opts.Node == "" {
		opts.Node = h.Name()
	}
	var srv *realserver.Server
	err := h.Do(func() error {
		var err error
		srv, err = realserver.Listen(opts)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve on %s: %v", h.Name(), err)
		}
	})
}
