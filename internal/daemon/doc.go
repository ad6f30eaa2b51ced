// Package daemon supervises the long-running processes lvslab runs on a
// lab's nodes — each real server's server, each director's keepalived —
// and gives them one interface, [Kind], over which `lvslab start`,
// `stop`, `kill` and `logs` are one command each.
//
// # Records and logs
//
// A daemon is supervised through files in the lab's state directory, so
// that the command that started one need not be the one that stops it:
//
//	procs/NODE.NAME.json   the Record: pid, start time, argv, log path
//	logs/NODE.NAME.log     the daemon's stdout and stderr (LogPath)
//
// [Start] runs argv inside the node's namespace, in a session of its own
// (`setsid ip netns exec NS ARGV… >>LOG 2>&1 &`; with [NetnsOnly], forked
// from a thread inside the network namespace, without ip's mount
// namespace and /sys: the real servers' servers); [Stop] sends SIGTERM,
// then SIGKILL to the process and its group after a grace; [Signal]
// sends one signal; [Status] says whether it runs.
//
// # Identity
//
// A pid alone is not an identity: the kernel recycles pids. The record
// keeps the process's start time (field 22 of /proc/PID/stat), and a pid
// whose start time differs is some other process, never signalled.
// Signals go through a pidfd opened before the start time is checked,
// so a pid reused in between cannot be hit either. A process this one
// started is reaped once it exits (no zombie is left), and how it ended
// ("exit status 1") is kept for the error that reports it.
//
// # Ready and failing
//
// A Kind's Start returns once its daemon is ready. [WaitReady] is the
// one wait for that: it polls a condition (sockets listening, pid files
// written) until it holds, the daemon has died, or a bound has passed,
// and its errors quote the end of the daemon's log ([LogTail]). Errors
// name the node ("start server on web1: …") and how a daemon ended.
//
// # Kinds
//
// realserver.Daemon and keepalived.Daemon implement Kind; the CLI lists
// them, and nothing below the CLI needs the list. A Kind takes the node
// (a *topo.Host) and, to start, the lab: nothing in the interface says
// that a node's daemon is a process of its own.
//
// # A shared server host (planned, not built)
//
// Today every real server runs its own server process, lvslab-serve
// (in the TCG guest about 6 MiB RSS and 1.3 MiB PSS each, and 0.3 s of a
// 100-real-server lab's up per node, mostly the executable's start). A lab of a hundred real servers would rather run one host
// process serving every real server's namespace: it opens each node's
// sockets on a thread inside that namespace (a socket keeps the
// namespace it was made in) and serves them all. Such a host fits
// behind Kind unchanged:
//
//   - Start(lab, h) starts the host once for the lab (a daemon of this
//     package on no node, or on the first), then asks it, over a control
//     socket in the lab's state directory, to open node h's listeners,
//     and waits for them with WaitReady as today;
//   - Stop(h, grace) asks the host to close h's listeners and finish its
//     connections within grace: a stopped server refuses connections,
//     as `systemctl stop httpd` leaves it;
//   - Kill(h) asks the host to drop h's sockets at once (SO_LINGER 0: the
//     peers see resets), so a killed server vanishes as after `kill -9`;
//   - Running(h) asks the host whether h's listeners are open; Log(h)
//     stays logs/NODE.server.log, the host writing each node's lines to
//     that node's file.
//
// The per-node record then names the host's pid, and `lvslab stop NODE
// server` keeps its meaning. nginx real servers stay one process each.
package daemon
