package impair_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lvslab/lvslab/internal/labtest"
	"github.com/lvslab/lvslab/internal/testutil"
	"github.com/lvslab/lvslab/topo"
	"github.com/lvslab/lvslab/topo/impair"
)

// The oracles here are independent of the package: busybox ping's
// statistics, the kernel's interface counters, and tc's own listing of
// what it finds in the namespaces.

func buildLab(t *testing.T, base string) *topo.Lab {
	t.Helper()
	testutil.NeedTool(t, "busybox", "its ping is the oracle of what gets through")
	return labtest.BuildLab(t, "../../labs/dr.yaml", labtest.LabPrefix("f"), base)
}

var pingStats = regexp.MustCompile(`(\d+) packets transmitted, (\d+) packets received`)

// ping sends count echo requests from node to addr every interval and
// returns how many were answered, and the output.
func ping(t *testing.T, lab *topo.Lab, node, addr string, count int, interval time.Duration) (int, string) {
	t.Helper()
	h, err := lab.Host(node)
	if err != nil {
		t.Fatal(err)
	}
	wait := int(math.Ceil((time.Duration(count)*interval + 2*time.Second).Seconds()))
	out, _ := h.Command(context.Background(), "busybox", "ping", "-c", strconv.Itoa(count),
		"-i", fmt.Sprintf("%.3f", interval.Seconds()), "-W", "1", "-w", strconv.Itoa(wait), addr).CombinedOutput()
	m := pingStats.FindStringSubmatch(string(out))
	if m == nil {
		t.Fatalf("ping %s from %s: no statistics in:\n%s", addr, node, out)
	}
	got, _ := strconv.Atoi(m[2])
	return got, string(out)
}

// rxPackets is the kernel's count of packets node received on ifc.
func rxPackets(t *testing.T, lab *topo.Lab, node, ifc string) uint64 {
	t.Helper()
	h, err := lab.Host(node)
	if err != nil {
		t.Fatal(err)
	}
	nl, err := h.Netlink()
	if err != nil {
		t.Fatal(err)
	}
	defer nl.Close()
	link, err := nl.LinkByName(ifc)
	if err != nil {
		t.Fatal(err)
	}
	return link.Attrs().Statistics.RxPackets
}

func record(t *testing.T, lab *topo.Lab) *impair.Record {
	t.Helper()
	r, err := impair.Read(lab.Name)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// rules is how many drop rules the switch holds, as nft lists them.
func rules(t *testing.T, lab *topo.Lab) int {
	t.Helper()
	n, err := impair.PartitionRules(lab)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestPartition(t *testing.T) {
	lab := buildLab(t, "part")
	// client (192.168.10.6) and router (192.168.10.200) share hostonly.
	if got, out := ping(t, lab, "client", "192.168.10.200", 3, 200*time.Millisecond); got != 3 {
		t.Fatalf("before any partition: %d of 3 answered:\n%s", got, out)
	}
	t.Run("two-way", func(t *testing.T) {
		if err := impair.Partition(lab, []string{"client"}, []string{"router", "web1"}, false); err != nil {
			t.Fatal(err)
		}
		if got, out := ping(t, lab, "client", "192.168.10.200", 3, 200*time.Millisecond); got != 0 {
			t.Errorf("partitioned: %d of 3 answered, want 0:\n%s", got, out)
		}
		// router has two ports, web1 one; client one: 3 pairs, both ways.
		if got := rules(t, lab); got != 6 {
			t.Errorf("switch holds %d drop rules, want 6", got)
		}
		if got := record(t, lab).Partitions; len(got) != 1 || got[0].OneWay {
			t.Errorf("record: partitions %+v, want one two-way", got)
		}
		if err := impair.Heal(lab); err != nil {
			t.Fatal(err)
		}
		if got := rules(t, lab); got != 0 {
			t.Errorf("healed: switch holds %d drop rules, want 0", got)
		}
		if got, out := ping(t, lab, "client", "192.168.10.200", 3, 200*time.Millisecond); got != 3 {
			t.Errorf("healed: %d of 3 answered:\n%s", got, out)
		}
	})
	t.Run("one-way", func(t *testing.T) {
		// client cannot hear router; router still hears client. The
		// kernel's counters tell the directions apart: the lab is quiet
		// (no IPv6), so only the pings and ARP move them.
		if err := impair.Partition(lab, []string{"client"}, []string{"router"}, true); err != nil {
			t.Fatal(err)
		}
		clientRx, routerRx := rxPackets(t, lab, "client", "eth0"), rxPackets(t, lab, "router", "eth1")
		if got, out := ping(t, lab, "client", "192.168.10.200", 5, 200*time.Millisecond); got != 0 {
			t.Errorf("one-way partition: %d of 5 answered, want 0:\n%s", got, out)
		}
		if d := rxPackets(t, lab, "router", "eth1") - routerRx; d < 5 {
			t.Errorf("router received %d packets from the client's 5 pings (and ARP), want at least 5: it should still hear the client", d)
		}
		if d := rxPackets(t, lab, "client", "eth0") - clientRx; d != 0 {
			t.Errorf("client received %d packets, want 0: it should not hear the router", d)
		}
		if got := rules(t, lab); got != 2 {
			t.Errorf("switch holds %d drop rules, want 2 (router's two ports to client's)", got)
		}
		if err := impair.Heal(lab); err != nil {
			t.Fatal(err)
		}
	})
}

func TestBadInputAppliesNothing(t *testing.T) {
	lab := buildLab(t, "bad")
	loss := impair.Netem{Loss: 10}
	tests := []struct {
		name  string
		apply func() error
		want  string
	}{
		{name: "unknown node", apply: func() error {
			return impair.Apply(lab, impair.Endpoint{Node: "nobody", Interface: "eth0"}, loss, impair.Both)
		}, want: `no node "nobody"`},
		{name: "unknown interface", apply: func() error {
			return impair.Apply(lab, impair.Endpoint{Node: "web1", Interface: "eth7"}, loss, impair.Both)
		}, want: `no interface "eth7"`},
		{name: "loss over 100%", apply: func() error {
			return impair.Apply(lab, impair.Endpoint{Node: "web1", Interface: "eth0"}, impair.Netem{Loss: 120}, impair.Both)
		}, want: "loss 120%"},
		{name: "bad direction", apply: func() error {
			return impair.Apply(lab, impair.Endpoint{Node: "web1", Interface: "eth0"}, loss, "sideways")
		}, want: `direction "sideways"`},
		{name: "link of unknown interface", apply: func() error {
			return impair.SetLink(lab, impair.Endpoint{Node: "web1", Interface: "eth7"}, false)
		}, want: `no interface "eth7"`},
		{name: "flap with no count", apply: func() error {
			return impair.Flap(context.Background(), lab, impair.Endpoint{Node: "web1", Interface: "eth0"}, time.Second, 0, nil)
		}, want: "count 0"},
		{name: "partition of unknown node", apply: func() error {
			return impair.Partition(lab, []string{"client"}, []string{"nobody"}, false)
		}, want: `no node "nobody"`},
		{name: "node on both sides", apply: func() error {
			return impair.Partition(lab, []string{"client", "web1"}, []string{"web1"}, false)
		}, want: "node web1 is on both sides"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.apply()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error naming %q", err, tt.want)
			}
			if q, err := impair.Qdiscs(lab); err != nil || len(q) != 0 {
				t.Errorf("qdiscs after a refusal: %v, %v", q, err)
			}
			if n := rules(t, lab); n != 0 {
				t.Errorf("%d partition rules after a refusal", n)
			}
			if r := record(t, lab); !r.Empty() || len(r.Events) != 0 {
				t.Errorf("record after a refusal: %+v", r)
			}
		})
	}
}

func TestLink(t *testing.T) {
	lab := buildLab(t, "link")
	cable := impair.Endpoint{Node: "router", Interface: "eth1"}
	if err := impair.SetLink(lab, cable, false); err != nil {
		t.Fatal(err)
	}
	if got, out := ping(t, lab, "client", "192.168.10.200", 3, 200*time.Millisecond); got != 0 {
		t.Errorf("cable down: %d of 3 answered:\n%s", got, out)
	}
	if got := record(t, lab).Down; len(got) != 1 || got[0] != cable {
		t.Errorf("record: down %v, want [%s]", got, cable)
	}
	if err := impair.SetLink(lab, cable, true); err != nil {
		t.Fatal(err)
	}
	if got, out := ping(t, lab, "client", "192.168.10.200", 3, 200*time.Millisecond); got != 3 {
		t.Errorf("cable back: %d of 3 answered:\n%s", got, out)
	}
	var seen []string
	start := time.Now()
	period := 200 * time.Millisecond
	if err := impair.Flap(context.Background(), lab, cable, period, 3, func(e impair.Event) { seen = append(seen, e.Kind) }); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	if got, want := strings.Join(seen, " "), "down up down up down up"; got != want {
		t.Errorf("flap: %s, want %s", got, want)
	}
	// Down half a period, up half a period, three times; the last up
	// ends it (no wait after it). Only the lower side: how much longer
	// it took is the machine's load, not the flap's (make bench measures
	// times).
	if lo := 5 * period / 2; took < lo {
		t.Errorf("flap took %s, want at least %s", took, lo)
	}
	if r := record(t, lab); len(r.Down) != 0 {
		t.Errorf("after the flap, record: down %v", r.Down)
	}
	if got, out := ping(t, lab, "client", "192.168.10.200", 3, 200*time.Millisecond); got != 3 {
		t.Errorf("after the flap: %d of 3 answered:\n%s", got, out)
	}
}

// TestImpair checks loss and delay against ping where the kernel has
// netem; where it has none (the project's CI host), that Apply says so
// and applies nothing. The scenarios check netem in the guest kernel too.
func TestImpair(t *testing.T) {
	hasNetem, why := testutil.KernelModule(t, "sch_netem", "/sys/module/sch_netem")
	lab := buildLab(t, "imp")
	cable := impair.Endpoint{Node: "router", Interface: "eth1"}
	// Resolve the neighbours first: under 50% loss each way an ARP
	// exchange succeeds a quarter of the time, and its three tries all
	// fail 42% of the time, which would drop every ping that follows.
	if got, out := ping(t, lab, "client", "192.168.10.200", 2, 200*time.Millisecond); got != 2 {
		t.Fatalf("before the impairment: %d of 2 answered:\n%s", got, out)
	}
	err := impair.Apply(lab, cable, impair.Netem{Loss: 50, Delay: 100 * time.Millisecond}, impair.Both)
	if !hasNetem {
		t.Logf("no netem here (%s)", why)
		if err == nil || !strings.Contains(err.Error(), "sch_netem") {
			t.Fatalf("Apply on a kernel without netem = %v, want an error naming sch_netem", err)
		}
		if r := record(t, lab); !r.Empty() {
			t.Errorf("record after a failed apply: %+v", r)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if q, err := impair.Qdiscs(lab); err != nil || len(q) != 2 {
		t.Errorf("qdiscs: %v, %v; want router:eth1 in and out", q, err)
	}
	// A round trip crosses the cable twice: answered with (1-p)² = 25%.
	// Of 60 pings, a binomial(60, 0.25) lies in [5, 26] with p > 0.999.
	const n = 60
	got, out := ping(t, lab, "client", "192.168.10.200", n, 50*time.Millisecond)
	t.Logf("loss 50%% each way, delay 100ms each way: %d of %d pings answered (expected 15)", got, n)
	if got < 5 || got > 26 {
		t.Errorf("loss 50%% each way: %d of %d answered, want 5..26 (expected 15):\n%s", got, n, out)
	}
	if !strings.Contains(out, "round-trip") {
		t.Fatalf("no round-trip line:\n%s", out)
	}
	rtt := regexp.MustCompile(`min/avg/max = ([\d.]+)/`).FindStringSubmatch(out)
	if rtt == nil {
		t.Fatalf("no round-trip figures:\n%s", out)
	}
	t.Logf("round trip min/avg/max: %s", regexp.MustCompile(`min/avg/max = (\S+)`).FindStringSubmatch(out)[1])
	if min, _ := strconv.ParseFloat(rtt[1], 64); min < 200 {
		t.Errorf("delay 100ms each way: min rtt %.1f ms, want at least 200", min)
	}
	if err := impair.Clear(lab, cable); err != nil {
		t.Fatal(err)
	}
	if q, err := impair.Qdiscs(lab); err != nil || len(q) != 0 {
		t.Errorf("after clear, qdiscs: %v, %v", q, err)
	}
	if got, out := ping(t, lab, "client", "192.168.10.200", 10, 50*time.Millisecond); got != 10 {
		t.Errorf("cleared: %d of 10 answered:\n%s", got, out)
	}
}

// TestResetLeavesNothing is what a failed spec's cleanup runs: every
// fault in force is undone, as the kernel lists it.
func TestResetLeavesNothing(t *testing.T) {
	lab := buildLab(t, "reset")
	if err := impair.Partition(lab, []string{"client"}, []string{"router"}, true); err != nil {
		t.Fatal(err)
	}
	if err := impair.SetLink(lab, impair.Endpoint{Node: "web1", Interface: "eth0"}, false); err != nil {
		t.Fatal(err)
	}
	if has, _ := testutil.KernelModule(t, "sch_netem", "/sys/module/sch_netem"); has {
		if err := impair.Apply(lab, impair.Endpoint{Node: "web2", Interface: "eth0"}, impair.Netem{Loss: 1}, impair.Out); err != nil {
			t.Fatal(err)
		}
	}
	if err := impair.Reset(lab); err != nil {
		t.Fatal(err)
	}
	if n := rules(t, lab); n != 0 {
		t.Errorf("%d partition rules left", n)
	}
	if q, err := impair.Qdiscs(lab); err != nil || len(q) != 0 {
		t.Errorf("qdiscs left: %v, %v", q, err)
	}
	if r := record(t, lab); !r.Empty() {
		t.Errorf("record not empty: %+v", r)
	}
	if got, out := ping(t, lab, "client", "192.168.10.200", 3, 200*time.Millisecond); got != 3 {
		t.Errorf("after reset: %d of 3 answered:\n%s", got, out)
	}
}

// TestDownRemovesFaults: `lvslab down` with faults in force removes them
// with the namespaces; the leak check of BuildLab's cleanup then finds
// no namespace or state of the lab.
func TestDownRemovesFaults(t *testing.T) {
	lab := buildLab(t, "down")
	if err := impair.Partition(lab, []string{"client"}, []string{"router"}, false); err != nil {
		t.Fatal(err)
	}
	if err := impair.SetLink(lab, impair.Endpoint{Node: "web1", Interface: "eth0"}, false); err != nil {
		t.Fatal(err)
	}
	if err := topo.Destroy(lab.Name); err != nil {
		t.Fatal(err)
	}
	if _, err := impair.Read(lab.Name); !errors.Is(err, topo.ErrNoLab) {
		t.Errorf("the lab's record after down: %v, want ErrNoLab", err)
	}
}
