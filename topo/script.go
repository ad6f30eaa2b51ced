package topo

import (
	"fmt"
	"strings"
)

// ShellScript renders the ip(8) commands that build the same network as
// Build does for spec under the lab name lab — for teaching ("what does
// up do?") and as the baseline Build is benchmarked against. Teardown is
// ShellTeardown.
func ShellScript(spec *Spec, lab string) string {
	var b strings.Builder
	sw := SwitchNamespace(lab)
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	line("#!/bin/sh")
	line("# lab %s from %s: the network `lvslab up --topology-only` builds", lab, spec.File)
	line("set -e")
	for _, ns := range plannedNamespaces(lab, spec) {
		line("ip netns add %s", ns)
	}
	line("ip -n %s link set lo up", sw)
	for _, seg := range spec.Segments {
		line("ip -n %s link add %s type bridge mcast_snooping 0", sw, BridgeName(seg.Name))
		line("ip -n %s link set %s up", sw, BridgeName(seg.Name))
	}
	for _, n := range spec.Nodes {
		ns := NamespaceName(lab, n.Name)
		line("ip -n %s link set lo up", ns)
		for _, ifc := range n.Interfaces {
			port := PortName(n.Name, ifc.Name)
			line("ip -n %s link add %s type veth peer name %s address %s netns %s",
				sw, port, ifc.Name, MAC(n.Name, ifc.Name), ns)
			line("ip -n %s link set %s master %s up", sw, port, BridgeName(ifc.Segment))
			for _, p := range ifc.Addresses {
				line("ip -n %s addr add %s dev %s", ns, p, ifc.Name)
			}
			line("ip -n %s link set %s up", ns, ifc.Name)
		}
		for _, r := range n.Routes {
			line("ip -n %s route add %s via %s", ns, r.To, r.Via)
		}
		if n.Gateway.IsValid() {
			line("ip -n %s route add default via %s", ns, n.Gateway)
		}
		for _, s := range spec.Sysctls(n) {
			line("ip netns exec %s sysctl -qw %s=%s", ns, s.Key, s.Value)
		}
	}
	return b.String()
}

// ShellTeardown renders the ip(8) commands that remove what ShellScript
// built.
func ShellTeardown(spec *Spec, lab string) string {
	var b strings.Builder
	b.WriteString("#!/bin/sh\n")
	names := plannedNamespaces(lab, spec)
	for i := len(names) - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "ip netns del %s\n", names[i])
	}
	return b.String()
}
