// Package bench measures lvslab's pieces and returns the figures as
// result structs, each with a Write that prints its table; the CLI
// (`lvslab bench`) only wires flags to it.
//
// # Building labs
//
// [Builds] builds and tears down lab files' networks (topology only, as
// `lvslab up --topology-only`) run after run and returns a [BuildResult]:
// the up and down times per lab, and for a baseline file also its ip(8)
// script's (topo.ShellScript), alternating run by run, with the ratio
// ([ScriptTarget]). [GuestBoots] times guest boots that run true,
// restored from the guest's snapshot and afresh ([GuestResult]).
//
// # Requests per second
//
// [Ours] runs the built-in client (client.Run) and [Wrk] runs wrk, both
// from a node's namespace, one request at a time, each on a new
// connection ("Connection: close"), for a given duration, and return a
// [Rate]. Both count only successful replies.
//
// [Throughput] (needs IPVS) stands each lab up and measures both tools
// through the VIP and directly to a real server's RIP
// ([ThroughputResult]; the target is ours/wrk at least
// [ThroughputTarget]).
//
// # The client against wrk, natively
//
// [Client] needs no IPVS, so it runs on any host at full speed: it stands
// a lab's network up (topology only, as `lvslab up --topology-only`),
// starts the built-in backend on one real server, and measures
// requests/s to that RIP from the client node with both tools, alternating
// which goes first, run after run. The ratio ours/wrk says how much the
// client costs next to a C load generator; the target is at least
// [ClientTarget].
//
// # Failovers
//
// [Failover] (needs IPVS) stands a keepalived pair up and fails its
// MASTER over run after run, gracefully, by crash and by a power cut,
// each watched by director/keepalived.Watch (the scenarios' watcher, with
// its one definition of the gap), and returns the gaps and takeovers per
// kind next to keepalived.Kind.Formula ([FailoverResult]).
package bench
