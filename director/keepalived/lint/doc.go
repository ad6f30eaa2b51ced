// Package lint finds the mistakes people make in keepalived.conf — the
// ones that parse, start, and then go wrong in production — and says,
// for each, where (FILE:LINE), what goes wrong, and the fix.
//
// # Rules
//
// [Check] reads one or more parsed files (package conf), one per
// director, and applies [Rules]: per file (nopreempt with state MASTER, a
// virtual_server VIP no vrrp_instance carries, a virtual_server with no
// protocol line (keepalived 2.2 makes it UDP), weight 0, nb_get_retry, a
// health check slower than its delay_loop suggests, a DR real server off
// the director's subnet, NAT without a way back, two instances sharing a
// vrid on one interface, an auth_pass longer than 8 characters,
// vrrp_strict) and across the files of a pair (virtual_router_id, auth,
// advert_int or VIPs that disagree; equal priorities). The parser's own
// errors, unknown keywords, missing includes and the values keepalived
// overrides (a real server's port under DR, a quorum above the total
// weight, …) come along as findings too.
//
// What the file cannot show is inferred, and each such finding says what
// was inferred: a director's subnets come from the VIPs' prefix lengths,
// or, when the VIPs are /32, from the /24 around its VIPs and
// unicast_src_ip.
//
// # keepalived's own opinion
//
// [ConfigTest] runs `keepalived --config-test -f FILE` in a scratch
// network namespace holding the interfaces the file names (so keepalived
// judges the file, not this machine's interfaces) and turns what it
// prints into findings. It needs no IPVS.
package lint
