// Package verify is the battery `lvslab verify` runs over any lab that is
// up — the six of labs/ or one imported from a user's keepalived.conf
// files — and that the scenarios can call on theirs: each check returns a
// typed [Result] with its verdict, the figure it measured, the formula or
// rule it was held to, and on failure the cause in plain words.
//
// # The checks, in the order Run makes them
//
//   - master: each VRRP instance's VIPs held by exactly one director, one
//     of those keepalived.ExpectedMasters predicts from the priorities,
//     states and nopreempt.
//   - distribution: requests through each VIP reach the real servers in
//     the proportion the scheduler model of director/sched predicts for
//     one-request connections from the client (exactly for rr and wrr,
//     whose sequence repeats every sum-of-weights connections);
//     persistence: all of them reach one real server where the service
//     is persistent.
//   - arp: in DR no real server answers ARP for the VIP.
//   - path: one request captured on every link and traced
//     (captures.CheckDR, CheckNAT, CheckTUN).
//   - health: each service's health checker removes a stopped real server
//     within keepalived.RemovalRefused and takes it back within
//     keepalived.Readd; with a sorry_server, it alone serves once every
//     real server is down.
//   - failover: a graceful stop of each MASTER (the new one within its
//     Skew_Time), its start again (back within Master_Down_Interval +
//     preempt_delay when it preempts, else the new MASTER keeps the VIP),
//     and a crash (SIGKILL: the new one within Master_Down_Interval).
//     Each is watched by keepalived.Watch, the one failover watcher the
//     scenarios and the bench use, with the VRRP segment captured so that
//     the formula counts from its event on the wire (Wire.Anchor).
//
// Every slack added to a formula is named in verify.go with what it
// covers; they are the scenarios' for the same timers.
//
// The checks change the lab (they stop and start backends and keepalived)
// and leave it in a state fit only for teardown: `lvslab verify` stands a
// lab up for the battery and tears it down after.
//
// The pure parts — what a scheduler predicts, which member becomes MASTER
// when one goes, the terminal table and the report — are unit-tested
// without root; the rest runs in the guest (scenarios/verify_test.go).
package verify
