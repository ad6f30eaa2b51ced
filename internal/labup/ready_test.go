package labup

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lvslab/lvslab/director/keepalived"
	"github.com/lvslab/lvslab/internal/labtest"
	"github.com/lvslab/lvslab/internal/testutil"
	"github.com/lvslab/lvslab/topo"
)

func TestReadyString(t *testing.T) {
	tests := []struct {
		name string
		r    Ready
		want string
	}{
		{"waited", Ready{What: "lvs01 MASTER of VI_1 holds 192.168.10.30", Since: "lvs01's keepalived started",
			Took: 3700 * time.Millisecond, Waited: 2 * time.Second, Bound: 13609 * time.Millisecond},
			"ready: lvs01 MASTER of VI_1 holds 192.168.10.30 after 3.7 s (since lvs01's keepalived started; bound 13.6 s)"},
		{"ready at the first look", Ready{What: "lvs01 MASTER of VI_1 holds 192.168.10.30", Since: "lvs01's keepalived started",
			Took: 6300 * time.Millisecond, Waited: 30 * time.Millisecond, First: true, Bound: 15 * time.Second},
			"ready: lvs01 MASTER of VI_1 holds 192.168.10.30 already at the first look, 6.3 s (since lvs01's keepalived started; bound 15.0 s)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.r.String(); got != tt.want {
				t.Errorf("String() =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

// startKeepalived starts keepalived on every director of a lab with no
// virtual service (keepalived.StartLab would first clear an IPVS table,
// which needs IPVS).
func startKeepalived(t *testing.T, lab *topo.Lab) {
	t.Helper()
	testutil.NeedTool(t, keepalived.Binary(), "it runs the lab's VRRP (make deps)")
	for _, h := range lab.Hosts() {
		if keepalived.Manages(lab.Spec, h.Name()) {
			if err := keepalived.StartNode(lab, h); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestWaitReadyVRRP runs natively: VRRP needs no IPVS.
func TestWaitReadyVRRP(t *testing.T) {
	prefix := labtest.LabPrefix("u")
	t.Run("the expected MASTER within Master_Down_Interval", func(t *testing.T) {
		lab := labtest.BuildLab(t, "testdata/vrrp-pair.yaml", prefix, "ready")
		startKeepalived(t, lab)
		got, err := WaitReady(context.Background(), lab)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Kind != "vrrp" || !strings.HasPrefix(got[0].What, "lvs01 MASTER of VI_1 holds 192.168.10.30") {
			t.Fatalf("WaitReady = %v, want lvs01 MASTER of VI_1", got)
		}
		// lvs01 waits its Master_Down_Interval, 3 + 156/256 s, before it
		// takes the VIP: seeing it sooner means the wait saw nothing.
		mdi := keepalived.MasterDownInterval(1, 100)
		if got[0].Took < mdi-300*time.Millisecond || got[0].Took > got[0].Bound {
			t.Errorf("MASTER after %s since its keepalived started; want about %s, at most the bound %s", got[0].Took, mdi, got[0].Bound)
		}
		t.Log(got[0])
	})
	t.Run("a member's keepalived is dead: the error names it", func(t *testing.T) {
		lab := labtest.BuildLab(t, "testdata/vrrp-pair.yaml", prefix, "never")
		startKeepalived(t, lab)
		h, err := lab.Host("lvs01")
		if err != nil {
			t.Fatal(err)
		}
		if err := keepalived.Kill(h); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 6*time.Second)
		defer cancel()
		_, err = WaitReady(ctx, lab)
		if err == nil {
			t.Fatal("WaitReady = nil error with lvs01's keepalived dead, want an error")
		}
		for _, want := range []string{"lvs01", "VI_1", "does not run"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not name %s", err, want)
			}
		}
		t.Log(err)
	})
	t.Run("the wrong MASTER: the error names who was expected and who holds the VIP", func(t *testing.T) {
		lab := labtest.BuildLab(t, "testdata/vrrp-pair.yaml", prefix, "wrong")
		h, err := lab.Host("lvs01")
		if err != nil {
			t.Fatal(err)
		}
		// lvs01 without its link goes to FAULT: lvs02 takes the VIP.
		if err := h.SetLinks(false); err != nil {
			t.Fatal(err)
		}
		startKeepalived(t, lab)
		ctx, cancel := context.WithTimeout(context.Background(), 6*time.Second)
		defer cancel()
		_, err = WaitReady(ctx, lab)
		if err == nil {
			t.Fatal("WaitReady = nil error with lvs01 cut off, want an error")
		}
		for _, want := range []string{"wait for lvs01 to hold the VIPs of VI_1 alone", "192.168.10.30 held by [lvs02]"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
		}
		t.Log(err)
	})
}
