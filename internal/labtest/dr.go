package labtest

import (
	"context"
	"net/netip"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/lvslab/lvslab/realserver"
	"github.com/lvslab/lvslab/realserver/backend"
	"github.com/lvslab/lvslab/topo"
)

// The DR lab of seed 003 §4.3 (labs/dr.yaml), which the native tests of
// the client and the real servers stand up (no IPVS needed): the client
// → the router → the segment of the director lvs and the real servers
// web1 and web2. TestDRAddresses holds these to the file.
var (
	// Client is the client's address; Client2 the second one DR adds, a
	// second source for the client's tests.
	Client  = netip.MustParseAddr("192.168.10.6")
	Client2 = netip.MustParseAddr("192.168.10.7")
	VIP     = netip.MustParseAddr("192.168.188.100")
	RIP     = map[string]netip.Addr{
		"web1": netip.MustParseAddr("192.168.188.81"),
		"web2": netip.MustParseAddr("192.168.188.82"),
	}
)

// DRFile is the path of labs/dr.yaml in this source tree.
func DRFile() string {
	_, self, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(self), "..", "..", "labs", "dr.yaml")
}

// DR builds labs/dr.yaml, with Client2 added to the client's interface,
// as BuildSpec does under the name LabPrefix(letter)+"dr": torn down,
// with every process inside, and leak-checked when t ends.
func DR(t testing.TB, letter string) *topo.Lab {
	t.Helper()
	spec, err := topo.Load(DRFile())
	if err != nil {
		t.Fatal(err)
	}
	if err := spec.AddAddresses("client", netip.PrefixFrom(Client2, 24)); err != nil {
		t.Fatal(err)
	}
	return BuildSpec(t, spec, LabPrefix(letter), "dr")
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
	var srv *backend.Server
	err := h.Do(func() error {
		var err error
		srv, err = backend.Listen(opts)
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
