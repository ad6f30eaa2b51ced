// Package realserver owns what a lab's real servers do: the address and
// sysctl setup each forwarding method needs, and the backend that answers
// the clients.
//
// # Setup
//
// Prepare gives a node what the documents' "real server setup" sections
// do by hand:
//
//   - DR: the VIP as a /32 on lo, arp_ignore=1 and arp_announce=2 (all
//     and lo), so that the real server accepts packets for the VIP but
//     never answers ARP for it;
//   - TUN: tunl0 up with the VIP as a /32, rp_filter=0 on tunl0 and all;
//   - NAT: nothing beyond the default route through the director, which
//     the lab file gives.
//
// # The backend
//
// Serve is the built-in backend, run inside a node's namespace as its own
// process (lvslab-serve, package realserver/backend; `lvslab serve` runs
// the same). Every HTTP GET is answered with three lines:
//
//	web1                       the node's name, as the documents'
//	                           `hostname > index.html` makes `curl VIP` print
//	client 192.168.10.6:40312  the remote address the server saw
//	local 192.168.188.100:80   the address the connection arrived on
//	                           (the VIP for DR and TUN, the RIP for NAT)
//
// TCP and UDP echo answer each line or datagram with "NODE " followed by
// what was received. UDP replies leave from the address the datagram was
// sent to (IP_PKTINFO), so a DR or TUN real server replies from the VIP.
//
// # nginx
//
// A real server whose lab file entry says `server: nginx` runs Debian's
// nginx instead (nginx.go): a configuration lvslab renders, a page
// naming the node, its pid file and access log, all under the lab's
// state directory (NginxDir); HTTP only, no echo.
//
// # The server daemon
//
// Start, Stop, Kill and Running run the node's server — built-in or
// nginx alike — as its daemon "server", the name `lvslab stop web1
// server` takes; [Daemon] is them as a daemon.Kind. Stop is the
// documents' `systemctl stop httpd` (SIGQUIT first for nginx, as
// `systemctl stop nginx` does): it stops accepting, lets what is in
// flight finish, and from then on the node refuses connections. Kill is
// its `kill -9`: the node's sockets and connections are closed at once,
// with no drain.
//
// # One hub for the built-in servers
//
// nginx runs as a process of its own on its node, supervised by package
// internal/daemon. The built-in servers of a lab are served by one
// process, the lab's server hub (HubName: lvslab-serve --hub, a
// backend.Hub, supervised as the switch node's daemon "servers"), which
// opens each node's sockets from a thread inside the node's namespace;
// Start, Stop and Kill ask it, over a unix socket in the lab's state
// directory (HubSocket), to serve, stop or kill one node's server, so a
// node's server is still stopped, killed and started on its own. In the
// TCG guest a hundred real servers came up in 5.6 s rather than 13.7 s,
// each costing 175 KiB rather than 1.3 MiB (lvslab bench --scale --full):
// a Go process's start, a hundred times, was most of a lab's bring-up.
// `lvslab down` ends the hub with the lab's other processes; a hub that
// died takes every node's server with it (Running then says so).
package realserver
