package topo

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Sysctl is one per-namespace kernel setting, keyed as sysctl(8) keys it.
type Sysctl struct {
	Key, Value string
}

// Sysctls lists what the builder sets in a node's namespace, in order: the
// defaults of its role and of the services it takes part in, then the
// node's own sysctls from the lab file (which may undo a default, to build
// a deliberately broken lab).
//
//   - router, and a director of a NAT service: net.ipv4.ip_forward=1
//   - real server of a DR service: arp_ignore=1 and arp_announce=2 on all,
//     default and lo (seed 000 §RS setup; the "ARP problem" otherwise)
//   - real server of a TUN service: rp_filter=0 on all and default
func (s *Spec) Sysctls(n *Node) []Sysctl {
	var out []Sysctl
	add := func(key, value string) {
		for i := range out {
			if out[i].Key == key {
				out[i].Value = value
				return
			}
		}
		out = append(out, Sysctl{key, value})
	}
	if n.Role == RoleRouter {
		add("net.ipv4.ip_forward", "1")
	}
	for _, svc := range s.Services {
		if svc.Forward == ForwardNAT && contains(svc.Directors, n.Name) {
			add("net.ipv4.ip_forward", "1")
		}
		if !svc.servedBy(n.Name) {
			continue
		}
		switch svc.Forward {
		case ForwardDR:
			for _, dev := range []string{"all", "default", "lo"} {
				add("net.ipv4.conf."+dev+".arp_ignore", "1")
				add("net.ipv4.conf."+dev+".arp_announce", "2")
			}
		case ForwardTUN:
			for _, dev := range []string{"all", "default"} {
				add("net.ipv4.conf."+dev+".rp_filter", "0")
			}
		}
	}
	for _, s := range s.NodeSysctls(n) {
		add(s.Key, s.Value)
	}
	return out
}

// NodeSysctls lists just the node's own sysctls from the lab file, sorted
// by key. Code that changes a method's sysctls after the build (such as a
// real server's setup) writes these again, so the lab file keeps the last
// word.
func (s *Spec) NodeSysctls(n *Node) []Sysctl {
	out := make([]Sysctl, 0, len(n.Sysctls))
	for _, k := range sortedSysctlKeys(n.Sysctls) {
		out = append(out, Sysctl{k, n.Sysctls[k]})
	}
	return out
}

// WriteSysctls sets per-namespace sysctls inside the host's namespace.
// Equivalent to: `ip netns exec NS sysctl -w KEY=VALUE …`.
func (h *Host) WriteSysctls(settings []Sysctl) error {
	if len(settings) == 0 {
		return nil
	}
	if err := h.Do(func() error { return writeSysctls(settings) }); err != nil {
		return fmt.Errorf("set sysctls on %s: %w", h.Name(), err)
	}
	return nil
}

// servedBy reports whether node is one of the service's backends: a
// real server or the sorry server.
func (svc *Service) servedBy(node string) bool {
	return svc.RealServer(node) != nil || (svc.SorryServer != nil && svc.SorryServer.Node == node)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// SysctlPath maps a sysctl key to its file under /proc/sys. Dots separate
// components, as sysctl(8) reads them.
func SysctlPath(key string) string {
	return filepath.Join("/proc/sys", strings.ReplaceAll(key, ".", "/"))
}

// writeSysctls writes settings; the caller's thread must be inside the
// target namespace, since /proc/sys/net resolves by the opening thread.
func writeSysctls(settings []Sysctl) error {
	for _, s := range settings {
		if err := os.WriteFile(SysctlPath(s.Key), []byte(s.Value+"\n"), 0o644); err != nil {
			return fmt.Errorf("set sysctl %s=%s: %w", s.Key, s.Value, err)
		}
	}
	return nil
}

// ReadSysctl reads one setting as seen from inside the host's namespace.
func (h *Host) ReadSysctl(key string) (string, error) {
	var v string
	err := h.Do(func() error {
		data, err := os.ReadFile(SysctlPath(key))
		v = strings.TrimSpace(string(data))
		return err
	})
	if err != nil {
		return "", fmt.Errorf("read sysctl %s on %s: %w", key, h.Name(), err)
	}
	return v, nil
}

func sortedSysctlKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
