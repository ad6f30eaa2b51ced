package bench

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/lvslab/lvslab/internal/labtest"

	"github.com/lvslab/lvslab/internal/testutil"
	"github.com/lvslab/lvslab/topo"
)

// lvslabBin is the lvslab executable built for these tests: the backend
// runs as lvslab-serve (built beside it), as in a lab.
var lvslabBin string

func TestMain(m *testing.M) { os.Exit(labtest.RunWithLvslab(m, "../../cmd/lvslab", &lvslabBin)) }

// TestClient runs the native client benchmark briefly on labs/dr.yaml:
// both tools get replies in every run, the lab is gone afterwards. The
// ratio is logged, not checked: this test runs on a shared machine.
func TestClient(t *testing.T) {
	testutil.NeedNetns(t)
	testutil.NeedTool(t, "wrk", "it is what our client is measured against (scripts/deps.sh installs it)")
	spec, err := topo.Load("../../labs/dr.yaml")
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("bcl%d", os.Getpid())
	res, err := Client(context.Background(), spec, ClientOptions{Runs: 2, Duration: time.Second, Binary: lvslabBin, Name: name})
	if err != nil {
		t.Fatal(err)
	}
	if want := netip.MustParseAddrPort("192.168.188.81:80"); res.Target != want || res.RealServer != "web1" || res.Client != "client" {
		t.Errorf("measured %s -> %s %s, want client -> web1 %s", res.Client, res.RealServer, res.Target, want)
	}
	if len(res.Runs) != 2 {
		t.Fatalf("%d runs, want 2", len(res.Runs))
	}
	for i, r := range res.Runs {
		if r.Ours.OK == 0 || r.Wrk.OK == 0 || r.Ours.Failed > 0 || r.Wrk.Failed > 0 {
			t.Errorf("run %d: ours %+v, wrk %+v; want replies and no failure", i+1, r.Ours, r.Wrk)
		}
		if r.WrkFirst != (i%2 == 1) {
			t.Errorf("run %d: wrk first = %v, want the order to alternate", i+1, r.WrkFirst)
		}
		t.Logf("run %d: ours %s req/s, wrk %s req/s, ratio %.2f", i+1, r.Ours, r.Wrk, r.Ratio())
	}
	labs, err := topo.List()
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(labs, name) {
		t.Errorf("lab %s is still up after the benchmark", name)
	}
}

func TestClientNoHTTPService(t *testing.T) {
	spec, err := topo.Parse("nohttp.yaml", []byte(`name: nohttp
segments:
  - {name: lan, subnet: 10.0.0.0/24}
nodes:
  - name: client
    role: client
    interfaces:
      - {name: eth0, segment: lan, addresses: [10.0.0.1/24]}
`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Client(context.Background(), spec, ClientOptions{}); err == nil {
		t.Error("Client on a lab without an HTTP service: no error")
	}
}
