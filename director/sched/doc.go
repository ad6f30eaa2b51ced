// Package sched is a model of the kernel's IPVS schedulers
// (net/netfilter/ipvs/ip_vs_*.c, as in Linux 6.1): given a service's real
// servers in the kernel's list order, with their weights and connection
// counts, it says which real server the kernel gives a new connection.
// Scenarios compute what they expect from it instead of writing tallies
// down, and a check over any running lab (lvslab verify) can do the same.
//
// # What is modelled
//
// Each rule names the kernel function it follows:
//
//	rr    ip_vs_rr.c    ip_vs_rr_schedule: the next available server after the last one
//	wrr   ip_vs_wrr.c   ip_vs_wrr_schedule, ip_vs_wrr_dest_changed: a current weight stepping
//	                    down by the weights' gcd, starting where the real servers' adds left it
//	lc    ip_vs_lc.c    ip_vs_lc_schedule: least ip_vs_dest_conn_overhead, first of equals
//	wlc   ip_vs_wlc.c   ip_vs_wlc_schedule: least overhead / weight, compared crosswise
//	sed   ip_vs_sed.c   ip_vs_sed_schedule: least (active + 1) / weight
//	nq    ip_vs_nq.c    ip_vs_nq_schedule: an idle server at once, else as sed
//	fo    ip_vs_fo.c    ip_vs_fo_schedule: the highest weight, first of equals
//	ovf   ip_vs_ovf.c   ip_vs_ovf_schedule: the highest weight with active <= weight
//	sh    ip_vs_sh.c    ip_vs_sh_reassign, ip_vs_sh_get: 256 buckets by hash_32(saddr)
//	dh    ip_vs_dh.c    ip_vs_dh_reassign, ip_vs_dh_get: 256 buckets by hash_32(daddr)
//	mh    ip_vs_mh.c    ip_vs_mh_permutate, ip_vs_mh_populate, ip_vs_mh_get: Maglev
//	                    lookup table of 4093 entries, hsiphash with fixed keys
//
// lblc and lblcr (locality-based, per destination address with a cache
// that expires) and twos (random) are not modelled: [New] returns
// [ErrNoModel] for them. Flags that change a scheduler (sh-fallback,
// sh-port, mh-fallback, mh-port) are not modelled either.
//
// # Pitfalls it handles
//
//   - The kernel's list order is the reverse of the order real servers were
//     added (__ip_vs_update_dest adds at the head with list_add_rcu), so
//     [List] reverses the lab file's order.
//   - A weight-0 (quiesced) server gets no new connections from any
//     scheduler; sh, dh and mh then refuse the clients whose bucket names it.
//   - A closed connection still counts, as inactive, until its entry
//     expires (FIN_WAIT, ipvsadm --set's second value): [Close] moves
//     it from active to inactive.
package sched
