package captures_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/lvslab/lvslab/captures"
	"github.com/lvslab/lvslab/internal/testutil"
	wireshark "github.com/lvslab/lvslab/internal/tshark"
)

// needTshark gates a test on Wireshark's tshark, the oracle of our
// decoding: skipped locally without it, a failure in CI.
func needTshark(t *testing.T) {
	t.Helper()
	testutil.NeedTool(t, "tshark", wireshark.ErrMissing.Error())
}

// oraclePcaps are the golden pcaps the tshark oracle reads: the VRRP
// pair's, and a DR trace whose ARP exchange is not gratuitous. (tshark
// takes about a second to start; every golden pcap would take a minute.)
var oraclePcaps = []string{
	filepath.Join("testdata", "vrrp", "lvs1-eth0.pcap"),
	filepath.Join("testdata", "vrrp", "lvs2-eth0.pcap"),
	filepath.Join("testdata", "dr", "lvs-eth0.pcap"),
}

// TestTsharkAgreesVRRP holds our decoding of VRRP adverts and gratuitous
// ARPs (VRRPAdverts, GARPs) against tshark's, on golden pcaps: the VRRP
// pair's, and a DR trace, where both must find none.
func TestTsharkAgreesVRRP(t *testing.T) {
	needTshark(t)
	for _, file := range oraclePcaps {
		t.Run(strings.TrimPrefix(file, "testdata/"), func(t *testing.T) {
			adverts, garps := decodeVRRP(t, file)
			d, err := wireshark.CompareVRRP(file, adverts, garps)
			if err != nil {
				t.Fatal(err)
			}
			if d != "" {
				t.Errorf("%s:\n%s", file, d)
			}
		})
	}
}

// decodeVRRP is our decoding of a pcap's adverts and gratuitous ARPs.
func decodeVRRP(t *testing.T, file string) ([]captures.Advert, []captures.GARP) {
	t.Helper()
	adverts, err := captures.VRRPAdverts(file)
	if err != nil {
		t.Fatal(err)
	}
	garps, err := captures.GARPs(file)
	if err != nil {
		t.Fatal(err)
	}
	return adverts, garps
}

// TestTsharkDisagrees is the negative control of the tshark oracle: the
// comparison the scenarios make (CompareVRRP: tshark's reading, then its
// Diff with ours; tshark reads each file once here) must fail when our
// decoding differs from tshark's — ours of another link (lvs1 sees its
// own adverts leave; lvs2 sees them arrive, then its own takeover and its
// gratuitous ARPs), or ours changed in one field.
func TestTsharkDisagrees(t *testing.T) {
	needTshark(t)
	lvs1 := filepath.Join("testdata", "vrrp", "lvs1-eth0.pcap")
	lvs2 := filepath.Join("testdata", "vrrp", "lvs2-eth0.pcap")
	dr := filepath.Join("testdata", "dr", "lvs-eth0.pcap")
	adverts, garps := decodeVRRP(t, lvs2)
	if len(adverts) == 0 || len(garps) == 0 {
		t.Fatalf("lvs2's capture: %d adverts, %d gratuitous ARPs; the control needs both", len(adverts), len(garps))
	}
	otherAdverts, otherGARPs := decodeVRRP(t, lvs1)
	changed := func(edit func(a *captures.Advert)) []captures.Advert {
		c := append([]captures.Advert(nil), adverts...)
		edit(&c[len(c)-1])
		return c
	}
	tests := []struct {
		name    string
		adverts []captures.Advert
		garps   []captures.GARP
	}{
		{"another link's adverts", otherAdverts, garps},
		{"another link's gratuitous ARPs", adverts, otherGARPs},
		{"a priority off by one", changed(func(a *captures.Advert) { a.Priority++ }), garps},
		{"an interval in the wrong unit", changed(func(a *captures.Advert) { a.AdvertInt /= 100 }), garps},
		{"a time a microsecond off", changed(func(a *captures.Advert) { a.Time = a.Time.Add(1000) }), garps},
		{"a VIP missing", changed(func(a *captures.Advert) { a.VIPs = nil }), garps},
		{"a gratuitous ARP's MAC", adverts, func() []captures.GARP {
			c := append([]captures.GARP(nil), garps...)
			c[0].MAC = otherAdverts[0].SrcMAC
			return c
		}()},
	}
	theirs, err := wireshark.ReadVRRP(lvs2)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if theirs.Diff(tt.adverts, tt.garps) == "" {
				t.Error("the comparison passed two different decodings")
			}
		})
	}
	t.Run("gratuitous ARPs where tshark sees none", func(t *testing.T) {
		if d, err := wireshark.CompareVRRP(dr, nil, garps); err != nil || d == "" {
			t.Errorf("the comparison passed: %v", err)
		}
	})
	t.Run("unchanged agrees", func(t *testing.T) {
		if d := theirs.Diff(adverts, garps); d != "" {
			t.Errorf("the same link must agree:\n%s", d)
		}
	})
}
