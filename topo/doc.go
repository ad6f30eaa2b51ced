// Package topo owns a lab's topology: the lab file that describes it (a
// Spec), the network namespaces, bridges and veth pairs that stand it up,
// its state directory and the teardown that leaves the host as it was,
// ending whatever still runs inside. Everything else in lvslab — directors, real servers, the
// client, captures, keepalived — reads a Spec and works through a Host.
//
// # Overview
//
// A lab is one LVS cluster from a source document: a client, maybe a
// router, one or two directors and their real servers, wired by L2
// segments. Each node is a network namespace; each segment is a bridge in
// the lab's own switch namespace; each cable is a veth pair whose node end
// keeps the document's name (eth0) and whose switch end is named after the
// node (NamespaceName, BridgeName, PortName, MAC). The root namespace is
// never changed: no link, address, route or sysctl of the host is touched.
//
//	spec (lab file) → Build → Lab (Hosts) → directors, real servers, client → Destroy
//
// # Lab files
//
// Load reads a lab file (YAML, see labs/): Parse decodes it strictly (an
// unknown key is an error), SetDefaults fills what the file may leave out
// the way ipvsadm and keepalived would (scheduler wlc, weight 1, advert_int
// 1 …; see SetDefaults), and Validate reports every problem at once as a
// ValidationError of Problems, each with its FILE:LINE and the path of the
// field (nodes.web1.gateway; see Line).
//
// Code that reads a lab file uses its lookups rather than loops of its own:
//
//	spec.Node("web1")                  a node by name
//	spec.FirstOf(topo.RoleClient)      the first node of a role (NodesOf: all)
//	spec.AddressOn("lvs01", "eth0")    a node's first address on an interface
//	spec.Service("web"), svc.RealServer("web1")
//	v.Member("lvs01"), v.Master(), v.Backup()
//	                                   a VRRP instance's members; Ranked is
//	                                   the election order, highest priority
//	                                   first, state MASTER breaking ties
//
// A lab derived from a shipped one (another real server, more client
// addresses, other weights) is made with AddAddresses, AddNodeLike,
// Service.AddRealServer and Service.SetWeights before it is built.
//
// # Building
//
// Build stands up a validated Spec: it records the namespaces it will make
// in the lab's state directory first (StateRoot, /run/lvslab/LAB), so that
// a build killed half-way can still be torn down, then makes the switch
// namespace with one bridge per segment (multicast snooping off, so VRRP
// adverts reach every port), one namespace per node with its veths,
// addresses, routes and sysctls (Sysctls: the role's defaults, then the
// node's own), and plugs each switch end into its bridge. Namespaces are
// made on a throwaway locked thread that dies with its goroutine; no
// caller's thread ever moves. IPv6 is off inside, so captures carry only
// the lab's traffic. If anything fails, or ctx ends, everything built so
// far is removed.
//
// ShellScript and ShellTeardown print the ip(8) commands that build and
// remove the same network, for teaching. NetlinkAddr and IPNet turn a
// netip.Prefix into what netlink takes (`ip addr add P dev IF`).
//
// Open finds a lab that is up from its state directory (another shell, the
// next command); List names them; Lab.Host and Lab.Hosts give its nodes.
//
// # Hosts
//
// A Host is a live node. Do runs a function on a thread inside the node's
// namespace; Netlink returns a handle bound to it; Command prepares a
// program to run there (`ip netns exec NS …`, /sys remounted for it);
// StartProcess starts one in the network namespace alone, forked from a
// thread inside it (`nsenter --net=…`: no ip process, no mount
// namespace). WriteSysctls and ReadSysctl
// set and read the namespace's own sysctls; SetLinks brings its cables
// down and up again (a cut cable, a crashed host).
//
// # Processes
//
// A node's long-running processes (a real server's server, keepalived)
// run inside its namespace; internal/daemon supervises them through
// records and logs in the lab's state directory (StateDir), so
// that the command that stops one need not be the one that started it.
// Whatever is still running when the lab goes is ended by Destroy.
//
// # Cleanup
//
// Destroy tears a lab down: it ends every process still inside the lab's
// namespaces (by pid, found through /proc, never by name), deletes the
// namespaces — which takes their veths and bridges with them — and
// removes the state directory. It works on half-built labs. A lab built by
// a test records its owner's pid; once that process has died the lab is
// Stale and a sweep may destroy it.
//
// # Errors
//
// Errors read "verb object: cause" (`create namespace LAB-web1: …`,
// `add default route via 192.168.10.200: …`) and wrap their cause.
// ErrLabExists, ErrNoLab, ErrProcessRunning and ErrNotRunning are the
// sentinels to test with errors.Is.
package topo
