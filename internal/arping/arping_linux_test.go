package arping_test

import (
	"context"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lvslab/lvslab/internal/arping"
	"github.com/lvslab/lvslab/internal/labtest"
	"github.com/lvslab/lvslab/internal/testutil"
	"github.com/lvslab/lvslab/topo"
)

// TestProbe asks, from the director of seed 003's DR lab (no IPVS
// needed), who answers for a real server's address (the real server, by
// the MAC the builder gave it) and for an address nobody has (nobody,
// without an error).
func TestProbe(t *testing.T) {
	testutil.NeedTool(t, "arping", "the ARP checks run iputils' arping (Debian iputils-arping)")
	lab := labtest.BuildLab(t, filepath.Join("..", "..", "labs", "dr.yaml"), labtest.LabPrefix("a"), "arping")
	lvs, err := lab.Host("lvs")
	if err != nil {
		t.Fatal(err)
	}
	web1 := lab.Spec.Node("web1")
	tests := []struct {
		name string
		ip   netip.Addr
		want []string
	}{
		{"a real server's RIP", web1.AddressOn("eth0"), []string{strings.ToLower(topo.MAC("web1", "eth0").String())}},
		{"an address nobody has", netip.MustParseAddr("192.168.188.99"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			got, out, err := arping.Probe(ctx, lvs, "eth0", tt.ip)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("Probe(%s) (-want +got):\n%s\narping said:\n%s", tt.ip, d, out)
			}
		})
	}
	t.Run("no such interface", func(t *testing.T) {
		_, _, err := arping.Probe(context.Background(), lvs, "eth9", web1.AddressOn("eth0"))
		if err == nil || !strings.Contains(err.Error(), "lvs eth9") || !strings.Contains(err.Error(), "exit status") {
			t.Errorf("Probe on eth9 = %v, want an error naming lvs eth9 and the exit status", err)
		}
	})
}
