package lint

import (
	"fmt"
	"time"

	"github.com/lvslab/lvslab/director/keepalived/conf"
)

// vipNotCarried: a virtual_server whose VIP no vrrp_instance of the file
// moves: nothing puts the VIP on the director.
func vipNotCarried(c *conf.Config) []Finding {
	var out []Finding
	for _, vs := range c.Services {
		if vs.FWMark != 0 || carried(c, vs) {
			continue
		}
		f := Finding{Pos: vs.Node.Pos, Rule: "vip-not-carried", Level: Problem,
			Msg:    fmt.Sprintf("virtual_server %s: no vrrp_instance carries %s", vs.Name(), vs.VIP),
			Impact: "keepalived programs the IPVS service, but nothing puts the VIP on this director: clients' packets for it never arrive (or, with a pair, arrive at both or neither)",
			Fix:    fmt.Sprintf("add %s to the virtual_ipaddress of the vrrp_instance on the client-facing interface", vs.VIP)}
		if len(c.Instances) == 0 {
			f.Level = Advice
			f.Impact = "this file has no vrrp_instance: the VIP must be put on the director some other way (ip addr add VIP dev IF), or the service never sees a packet"
			f.Fix = "add a vrrp_instance carrying the VIP, or make sure something else adds it"
		}
		out = append(out, f)
	}
	return out
}

func carried(c *conf.Config, vs *conf.VirtualServer) bool {
	for _, in := range c.Instances {
		for _, list := range [][]*conf.VIP{in.VIPs, in.ExcludedVIPs} {
			for _, v := range list {
				if v.Prefix.Addr() == vs.VIP {
					return true
				}
			}
		}
	}
	return false
}

// weightZero: weight 0 quiesces a real server.
func weightZero(c *conf.Config) []Finding {
	var out []Finding
	for _, vs := range c.Services {
		for _, rs := range vs.RealServers {
			if rs.Weight != 0 {
				continue
			}
			out = append(out, Finding{Pos: rs.At("weight"), Rule: "weight-zero", Level: Problem,
				Msg:    fmt.Sprintf("real_server %s of %s has weight 0", rs.Addr, vs.Name()),
				Impact: "a weight-0 server is quiesced: it is in the table but gets no new connections, ever",
				Fix:    "weight 1 (or more); remove the real server if it is meant to be out"})
		}
	}
	return out
}

// nbGetRetry: keepalived 2 renamed nb_get_retry to retry and ignores the
// old name.
func nbGetRetry(c *conf.Config) []Finding {
	var out []Finding
	seen := map[conf.Pos]bool{}
	for _, vs := range c.Services {
		for _, rs := range vs.RealServers {
			for _, ch := range rs.Checks {
				if ch.OldRetry == nil || seen[*ch.OldRetry] {
					continue
				}
				seen[*ch.OldRetry] = true
				out = append(out, Finding{Pos: *ch.OldRetry, Rule: "nb-get-retry", Level: Problem,
					Msg:    fmt.Sprintf("%s of real_server %s: nb_get_retry is keepalived 1's name", ch.Type, rs.Addr),
					Impact: fmt.Sprintf("keepalived 2 ignores the line (\"Unknown keyword\"): the check retries %d time(s), its default, not what the line says", ch.Retry),
					Fix:    "write retry instead of nb_get_retry"})
			}
		}
	}
	return out
}

// slowCheck: a server that stops answering is taken out after
// delay_loop + (retry+1) × connect_timeout + retry × delay_before_retry
// (FACTS.md); when the retries alone outlast delay_loop, the removal
// takes well over the delay_loop readers expect.
func slowCheck(c *conf.Config) []Finding {
	var out []Finding
	for _, vs := range c.Services {
		seen := map[string]bool{} // one finding per distinct check of a service
		for _, rs := range vs.RealServers {
			for _, ch := range rs.Checks {
				if ch.Type == "MISC_CHECK" || seen[ch.Fact()] {
					continue
				}
				seen[ch.Fact()] = true
				retries := ch.WorstCase() - ch.DelayLoop
				if ch.DelayLoop >= retries {
					continue
				}
				out = append(out, Finding{Pos: ch.At("connect_timeout"), Rule: "slow-check", Level: Problem,
					Msg: fmt.Sprintf("%s of real_server %s (and any other with the same check): delay_loop %s is shorter than the check's worst case, (retry %d + 1) × connect_timeout %s + retry × delay_before_retry %s = %s",
						ch.Type, rs.Addr, secs(ch.DelayLoop), ch.Retry, secs(ch.ConnectTimeout), secs(ch.DelayBeforeRetry), secs(retries)),
					Impact: fmt.Sprintf("a real server that stops answering (packets dropped, not refused) stays in the table up to delay_loop + %s = %s, not %s: clients sent to it time out meanwhile",
						secs(retries), secs(ch.WorstCase()), secs(ch.DelayLoop)),
					Fix: "lower connect_timeout, retry or delay_before_retry until the worst case is what you can afford, or expect that removal time"})
			}
		}
	}
	return out
}

func secs(d time.Duration) string { return fmt.Sprintf("%gs", d.Seconds()) }
