// Package client is the lab's client: it sends requests from a client
// node to a VIP (or any address) and tallies who answered.
//
// # How it runs
//
// Run creates every socket on a thread inside the node's namespace (one
// topo.Host.Do call for the whole run, no process per request), so the
// packets leave from the node as `curl` run there would send them. Each
// request may be bound to one of several source addresses, taken in turn,
// for the documents' persistence and source-hash checks, and to a fixed
// source port (Options.SourcePort, as `curl --local-port`), so that a
// flow is the same every run.
//
// The sockets are used with plain syscalls and poll(2) on that same thread
// (pollConn), not through Go's network poller: a goroutine locked to its
// thread pays two thread switches each time the poller wakes it, which
// made a request on a new connection cost about twice wrk's CPU time.
// `lvslab bench --client` measures the client against wrk natively.
//
// A Conn is one connection held open across requests (HTTP keep-alive,
// or an echo protocol's socket): Dial opens it inside the node, and Ask
// sends a request on it from any goroutine. The scenarios hold
// connections that way while the director counts them as active, or
// while a failover or a deleted real server happens under them.
//
// # What it reports
//
// A Result tallies replies by the first line of the answer — the real
// server's node name, as the built-in backend (package realserver) and the
// documents' `hostname > index.html` give it — counts failures by kind
// (refused, timeout, reset, unreachable, closed, other), and keeps a
// timeline of every request with its source, server and latency, plus the
// client and local addresses the real server said it saw.
//
// Every run is bounded twice: by a number of requests and by a deadline.
package client
