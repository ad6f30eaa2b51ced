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
// nginx alike — as its supervised daemon "server" (package
// internal/daemon), the name `lvslab stop web1 server` takes; [Daemon]
// is them as a daemon.Kind. Stop is the documents' `systemctl stop
// httpd` (SIGQUIT first for nginx, as `systemctl stop nginx` does), Kill
// its `kill -9`.
package realserver
