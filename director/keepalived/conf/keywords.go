package conf

import "strings"

// The keywords of keepalived 2.2 the typed view does not read, by the
// block they appear in. A kept keyword is noted ("kept as written");
// an out-of-scope one says why a lab cannot stand it up; anything in
// neither table is unknown.

// kept are keywords a lab runs verbatim without lvslab modelling them.
var kept = map[string]map[string]bool{
	"global_defs": set(`notification_email_from smtp_connect_timeout smtp_helo
		smtp_alert smtp_alert_vrrp smtp_alert_checker no_email_faults
		vrrp_mcast_group4 default_interface lvs_flush lvs_flush_onstop lvs_timeouts
		vrrp_garp_master_delay vrrp_garp_master_repeat vrrp_garp_master_refresh
		vrrp_garp_master_refresh_repeat vrrp_garp_lower_prio_delay
		vrrp_garp_lower_prio_repeat vrrp_garp_interval vrrp_gna_interval vrrp_min_garp
		vrrp_lower_prio_no_advert vrrp_higher_prio_send_advert vrrp_version
		vrrp_iptables vrrp_ipsets nftables nftables_priority nftables_counters
		nftables_ifindex vrrp_check_unicast_src vrrp_skip_check_adv_addr
		vrrp_priority checker_priority bfd_priority vrrp_no_swap checker_no_swap
		vrrp_rt_priority checker_rt_priority vrrp_startup_delay log_unknown_vrrps
		dynamic_interfaces process_names vrrp_process_name checker_process_name
		notify_fifo notify_fifo_script vrrp_notify_fifo vrrp_notify_fifo_script
		lvs_notify_fifo lvs_notify_fifo_script max_auto_priority
		min_auto_priority_delay checker_log_all_failures umask startup_script
		shutdown_script random_seed linkbeat_use_polling vrrp_rx_bufs_policy
		vrrp_rx_bufs_multiplier vrrp_netlink_cmd_rcv_bufs vrrp_netlink_monitor_rcv_bufs
		fifo_write_vrrp_states_on_reload vrrp_garp_extra_if vrrp_owner_ignore_priority`),
	"vrrp_instance": set(`dont_track_primary mcast_src_ip version garp_master_delay
		garp_master_repeat garp_master_refresh garp_master_refresh_repeat
		garp_lower_prio_delay garp_lower_prio_repeat lower_prio_no_advert
		higher_prio_send_advert accept no_accept skip_check_adv_addr
		check_unicast_src unicast_ttl debug notify_deleted kernel_rx_buf_size
		old_unicast_checksum unicast_fault_no_peer vrrp_garp_extra_if`),
	"vrrp_script":     set(`init_fail`),
	"vrrp_sync_group": set(`smtp_alert global_tracking sync_group_tracking_weight notify_priority_changes`),
	"virtual_server": set(`ha_suspend virtualhost smtp_alert quorum_up quorum_down
		sorry_server_inhibit sorry_server_lvs_method ops inhibit_on_failure
		flag-1 flag-2 flag-3 sh-port sh-fallback mh-port mh-fallback ip_family
		persistence_engine retry_on_failure`),
	"real_server": set(`alpha smtp_alert virtualhost log_all_failures`),
	"TCP_CHECK":   set(`bind_port bind_if fwmark alpha log_all_failures`),
	"HTTP_GET":    set(`bind_port bind_if fwmark alpha log_all_failures virtualhost http_protocol enable_sni`),
	"MISC_CHECK":  set(`user alpha log_all_failures`),
	"url":         set(`virtualhost regex regex_no_match regex_options regex_stack regex_min_offset regex_max_offset`),
}

// outOfScope are keywords a lab cannot stand up, with the reason.
var outOfScope = map[string]map[string]string{
	"top": {
		"virtual_server_group": "virtual_server_group is out of lvslab's scope",
		"static_ipaddress":     "static addresses are not placed by lvslab labs",
		"static_routes":        "static routes in keepalived.conf are out of lvslab's scope",
		"static_rules":         "policy routing rules are out of lvslab's scope",
		"linkbeat_interfaces":  "link beat polling is out of lvslab's scope",
		"vrrp_track_process":   "process tracking is out of lvslab's scope",
		"vrrp_track_file":      "file tracking is out of lvslab's scope",
		"track_file":           "file tracking is out of lvslab's scope",
		"bfd_instance":         "BFD is out of lvslab's scope",
		"net_namespace":        "keepalived's own network namespace: a lab already runs it in the director's",
		"garp_group":           "gratuitous ARP groups are out of lvslab's scope",
		"instance":             "keepalived instances (-i/--instance) are out of lvslab's scope",
	},
	"global_defs": {
		"vrrp_mcast_group6":      "IPv6 multicast: lvslab labs are IPv4 only",
		"enable_snmp_keepalived": "SNMP is out of lvslab's scope", "enable_snmp_vrrp": "SNMP is out of lvslab's scope",
		"enable_snmp_checker": "SNMP is out of lvslab's scope", "enable_snmp_rfc": "SNMP is out of lvslab's scope",
		"enable_snmp_rfcv2": "SNMP is out of lvslab's scope", "enable_snmp_rfcv3": "SNMP is out of lvslab's scope",
		"enable_traps": "SNMP is out of lvslab's scope", "snmp_socket": "SNMP is out of lvslab's scope",
		"enable_dbus": "D-Bus is out of lvslab's scope", "net_namespace": "keepalived's own network namespace: a lab already runs it in the director's",
	},
	"vrrp_instance": {
		"use_vmac":         "VRRP virtual MAC (macvlan) is out of lvslab's scope",
		"use_vmac_addr":    "VRRP virtual MAC (macvlan) is out of lvslab's scope",
		"vmac_xmit_base":   "VRRP virtual MAC (macvlan) is out of lvslab's scope",
		"native_ipv6":      "IPv6: lvslab labs are IPv4 only",
		"virtual_routes":   "virtual routes are out of lvslab's scope",
		"virtual_rules":    "virtual rules (policy routing) are out of lvslab's scope",
		"track_process":    "process tracking is out of lvslab's scope",
		"track_file":       "file tracking is out of lvslab's scope",
		"track_bfd":        "BFD is out of lvslab's scope",
		"strict_mode":      "strict mode: like vrrp_strict, drops traffic to the VIPs",
		"vrf":              "VRFs are out of lvslab's scope",
		"unicast_src_ipv6": "IPv6: lvslab labs are IPv4 only",
	},
	"vrrp_sync_group": {
		"track_script":    "sync-group tracking is out of lvslab's scope",
		"track_interface": "sync-group tracking is out of lvslab's scope",
		"track_process":   "process tracking is out of lvslab's scope",
		"track_file":      "file tracking is out of lvslab's scope",
		"track_bfd":       "BFD is out of lvslab's scope",
	},
	"real_server": {
		"SSL_GET":    "SSL_GET is out of lvslab's scope (TCP_CHECK, HTTP_GET and MISC_CHECK are in)",
		"SMTP_CHECK": "SMTP_CHECK is out of lvslab's scope (TCP_CHECK, HTTP_GET and MISC_CHECK are in)",
		"DNS_CHECK":  "DNS_CHECK is out of lvslab's scope (TCP_CHECK, HTTP_GET and MISC_CHECK are in)",
		"UDP_CHECK":  "UDP_CHECK is out of lvslab's scope (TCP_CHECK, HTTP_GET and MISC_CHECK are in)",
		"PING_CHECK": "PING_CHECK is out of lvslab's scope (TCP_CHECK, HTTP_GET and MISC_CHECK are in)",
		"BFD_CHECK":  "BFD_CHECK is out of lvslab's scope (TCP_CHECK, HTTP_GET and MISC_CHECK are in)",
		"FILE_CHECK": "FILE_CHECK is out of lvslab's scope (TCP_CHECK, HTTP_GET and MISC_CHECK are in)",
	},
	"HTTP_GET": {
		"ssl": "TLS settings are out of lvslab's scope",
	},
}

func set(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}
