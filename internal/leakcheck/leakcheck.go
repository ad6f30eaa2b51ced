// Package leakcheck compares what a lab must never leave behind or
// change: the root namespace's links, addresses, routes and key sysctls,
// and the lab namespaces and lab state of one owner. Take a Snapshot
// before, another after, and Diff them. It asks iproute2 itself, as an
// independent oracle of what the root namespace looks like.
package leakcheck

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Snapshot is the root namespace as `ip` prints it, plus the namespaces
// and lab state directories whose names start with a prefix.
type Snapshot map[string]string

// Take records the current state. Only namespaces and labs named with
// prefix are recorded, so that tests running in parallel processes, each
// with its own prefix, do not see each other's labs as leaks.
func Take(prefix string) (Snapshot, error) {
	s := Snapshot{}
	for _, args := range [][]string{{"-o", "link"}, {"-o", "addr"}, {"route"}} {
		out, err := exec.Command("ip", args...).Output()
		if err != nil {
			return nil, fmt.Errorf("run ip %s: %w", strings.Join(args, " "), err)
		}
		s["ip "+strings.Join(args, " ")] = string(out)
	}
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		return nil, fmt.Errorf("run ip netns list: %w", err)
	}
	s["ip netns list ("+prefix+"*)"] = filterPrefix(string(out), prefix)
	labs, _ := filepath.Glob(filepath.Join("/run/lvslab", prefix+"*"))
	s["/run/lvslab/"+prefix+"*"] = strings.Join(labs, "\n")
	for _, key := range []string{"net/ipv4/ip_forward", "net/ipv4/conf/all/arp_ignore",
		"net/ipv4/conf/all/arp_announce", "net/ipv4/conf/all/rp_filter"} {
		data, err := os.ReadFile("/proc/sys/" + key)
		if err != nil {
			return nil, fmt.Errorf("read sysctl %s: %w", key, err)
		}
		s["sysctl "+key] = string(data)
	}
	return s, nil
}

func filterPrefix(list, prefix string) string {
	var keep []string
	for _, line := range strings.Split(list, "\n") {
		if line != "" && strings.HasPrefix(line, prefix) {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "\n")
}

// Diff names what changed between before and after, or returns "".
func Diff(before, after Snapshot) string {
	var b strings.Builder
	for key, was := range before {
		if now := after[key]; now != was {
			fmt.Fprintf(&b, "%s changed:\n--- before\n%s\n+++ after\n%s\n", key, was, now)
		}
	}
	return b.String()
}
