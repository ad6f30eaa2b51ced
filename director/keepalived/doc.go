// Package keepalived owns Debian's keepalived on a lab's directors: the
// keepalived.conf each director runs, the supervised daemon, and where the
// VIPs it moves sit.
//
// # Configuration
//
// [Render] writes a director's keepalived.conf from the lab file: a
// vrrp_instance for each VRRP instance the director is a member of, a
// virtual_server for each service it directs (its real servers, with the
// service's health check on each). A node whose lab entry names its own
// file (`keepalived: PATH`, relative to the lab file) gets that file
// verbatim. [ConfigTest] asks keepalived itself whether it accepts a file.
// The other direction, reading a keepalived.conf as users write it, is
// package conf (one grammar: a round-trip test renders every lab and
// parses it back); package lint finds the mistakes in such files.
//
// # Supervision
//
// [Start] runs `keepalived -n -l --no-syslog -D -f CONF -p PID -r
// VRRP_PID -c CHECKERS_PID` inside the director's namespace as the node's
// supervised process "keepalived" (topo.Host.StartProcess): no fork,
// console log in the lab's logs/NODE.keepalived.log and nowhere else (not
// syslog, which without a syslog daemon lands on /dev/console: see
// [Argv]), configuration and pid files in the
// lab's state directory under keepalived/. [Stop] is `systemctl stop
// keepalived` (SIGTERM: the VRRP process sends a priority-0 advert and
// drops its VIPs, the checker process deletes its virtual servers),
// [Kill] is a crash (SIGKILL of the whole process group: nothing is sent,
// VIPs and IPVS rules stay), [Reload] is SIGHUP. [StartLab] starts
// keepalived on every director that [Manages] says keepalived runs on;
// such a director's IPVS table is keepalived's, not the lab builder's.
//
// # Observation
//
// [VIPHolder] lists the directors that hold a VIP right now (their
// address lists, read over netlink); [WaitMaster] waits until exactly one
// named director does, [WaitHolds] until a named director is among them
// (after a crash the dead master keeps the VIP), [WaitHolders] until the
// holders are a given set, [WaitInstance] until one
// of the members [ExpectedMasters] names holds all of an instance's VIPs.
// [States] gives each VRRP
// instance's state (MASTER, BACKUP, FAULT, STOPPED) and effective
// priority as keepalived last logged them — its own account, so it works
// for verbatim configurations too and needs no notify script; this is
// what `lvslab status` prints.
//
// # Timers
//
// [Skew], [MasterDownInterval] and [PreemptDelay] are VRRP's formulas;
// [SettleBound] is how long an instance takes to have its MASTER after
// keepalived starts, [CheckBound] how long a health-checked real server
// takes to be in the table (they bound the waits of `lvslab up`,
// internal/labup.WaitReady), and [RemovalTimeout], [RemovalRefused] and
// [Readd] how long a checker takes to drop a failed one and to put it back.
//
// # Failover
//
// [Watch] is the one failover watcher: it does an action that moves the
// VIP ([Graceful] stop, [Crash], [Power] cut, [Preempt]ion by a restarted
// MASTER) while polling who holds the VIP and, optionally, running a
// client against the service, and returns a [Failover]: the takeover
// time, the VIP's holders, and the client's [Outage] with its gap (the
// one definition of the gap is on [Failover]). [Failover.SetWire] adds
// what a capture of the VRRP segment saw ([WireOf]: the old MASTER's
// priority-0 or last advert, the new one's first advert and gratuitous
// ARPs), so the times can be held to [Kind.Formula] from the event the
// formula counts from. The scenarios, `lvslab bench --failover` and
// `lvslab verify` all measure failovers with it.
package keepalived
