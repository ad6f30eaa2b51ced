package client

import (
	"context"
	"fmt"
	"net/netip"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/lvslab/lvslab/topo"
)

var arpReply = regexp.MustCompile(`reply from \S+ \[([0-9A-Fa-f:]{17})\]`)

// ARPAnswers sends three broadcast ARP requests for ip from the node h's
// interface iface and returns the MAC addresses that answered, sorted,
// lower-case, with arping's output. No answer is not an error.
//
// Equivalent to: `ip netns exec NS arping -b -c 3 -w 3 -I IF IP`.
func ARPAnswers(ctx context.Context, h *topo.Host, iface string, ip netip.Addr) ([]string, string, error) {
	if _, err := exec.LookPath("arping"); err != nil {
		return nil, "", fmt.Errorf("ask who has %s: arping (Debian iputils-arping) is not installed: %w", ip, err)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	// -b keeps broadcasting, so every host that answers is heard on each
	// probe, not only the first one to answer. Exit status 1 only means
	// "no reply", which the caller judges.
	out, _ := h.Command(ctx, "arping", "-b", "-c", "3", "-w", "3", "-I", iface, ip.String()).CombinedOutput()
	if err := ctx.Err(); err != nil {
		return nil, string(out), fmt.Errorf("ask who has %s from %s: %w", ip, h.Name(), err)
	}
	var macs []string
	for _, m := range arpReply.FindAllStringSubmatch(string(out), -1) {
		mac := strings.ToLower(m[1])
		if !slices.Contains(macs, mac) {
			macs = append(macs, mac)
		}
	}
	slices.Sort(macs)
	return macs, string(out), nil
}
