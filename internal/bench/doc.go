// Package bench measures lvslab's pieces and returns the figures as
// result structs; the CLI (`lvslab bench`) only wires flags to it and
// prints.
//
// # Requests per second
//
// [Ours] runs the built-in client (client.Run) and [Wrk] runs wrk, both
// from a node's namespace, one request at a time, each on a new
// connection ("Connection: close"), for a given duration, and return a
// [Rate]. Both count only successful replies.
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
package bench
