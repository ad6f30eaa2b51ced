// Package arping asks who answers ARP for an address on a lab's segment,
// with iputils' arping run in a node: the check of LVS-DR's "ARP
// problem", where only the director may answer for the VIP and a real
// server that answers too steals the clients.
//
// Probe runs arping; Answers reads its output. Nothing here sends a
// packet itself: arping is the tool the documents use, so the lab asks
// the way their readers would.
package arping

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os/exec"
	"regexp"
	"slices"
	"strings"

	"github.com/lvslab/lvslab/topo"
)

// ErrMissing means arping is not installed (Debian iputils-arping).
var ErrMissing = errors.New("arping is not installed (apt-get install iputils-arping, or make deps)")

// Probe sends three ARP requests for ip from the node h's interface
// iface, broadcasting each (-b) so that every host that answers is heard
// on each probe, not only the first to answer, and returns the MAC
// addresses that answered (as Answers) with arping's output. No answer is
// not an error: arping's exit status 1 says just that, and the caller
// judges it.
//
// Equivalent to: `ip netns exec NS arping -b -c 3 -w 3 -I IFACE IP`.
func Probe(ctx context.Context, h *topo.Host, iface string, ip netip.Addr) (macs []string, out []byte, err error) {
	if _, err := exec.LookPath("arping"); err != nil {
		return nil, nil, ErrMissing
	}
	out, err = h.Command(ctx, "arping", "-b", "-c", "3", "-w", "3", "-I", iface, ip.String()).CombinedOutput()
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 1) {
		return nil, out, fmt.Errorf("arping %s from %s %s: %w: %s", ip, h.Name(), iface, err, strings.TrimSpace(string(out)))
	}
	return Answers(string(out)), out, nil
}

// reply is one answer in arping's output: "Unicast reply from IP [MAC]
// 0.712ms" (or "Broadcast reply" when the answer was broadcast).
var reply = regexp.MustCompile(`reply from \S+ \[([0-9A-Fa-f:]{17})\]`)

// Answers are the MAC addresses arping's output says answered, each once,
// lower-case (as topo.MAC prints them) and sorted.
func Answers(out string) []string {
	var macs []string
	for _, m := range reply.FindAllStringSubmatch(out, -1) {
		if mac := strings.ToLower(m[1]); !slices.Contains(macs, mac) {
			macs = append(macs, mac)
		}
	}
	slices.Sort(macs)
	return macs
}
