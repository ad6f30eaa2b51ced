package lint

import (
	"fmt"

	"github.com/lvslab/lvslab/director/keepalived/conf"
)

// nopreemptMaster: keepalived clears nopreempt on an instance whose
// initial state is MASTER.
func nopreemptMaster(c *conf.Config) []Finding {
	var out []Finding
	for _, in := range c.Instances {
		if in.NoPreempt && in.State == "MASTER" {
			out = append(out, Finding{Pos: in.At("nopreempt"), Rule: "nopreempt-master", Level: Problem,
				Msg:    fmt.Sprintf("vrrp_instance %s: nopreempt with state MASTER (line %d)", in.Name, in.At("state").Line),
				Impact: "keepalived ignores nopreempt on a MASTER: when this director comes back it takes the VIP back anyway, a second interruption",
				Fix:    "state BACKUP on every director, nopreempt on every director, priorities still different"})
		}
	}
	return out
}

// vridShared: a vrid is one virtual MAC (00:00:5e:00:01:VRID) per L2
// segment; two instances with one vrid on one interface collide.
func vridShared(c *conf.Config) []Finding {
	var out []Finding
	for i, in := range c.Instances {
		for _, o := range c.Instances[:i] {
			if in.VRID == 0 || in.VRID != o.VRID || in.Interface != o.Interface {
				continue
			}
			out = append(out, Finding{Pos: in.At("virtual_router_id"), Rule: "vrid-shared", Level: Problem,
				Msg: fmt.Sprintf("vrrp_instances %s and %s (%s) both use virtual_router_id %d on %s",
					in.Name, o.Name, o.At("virtual_router_id"), in.VRID, in.Interface),
				Impact: "their adverts are taken for one router's: the instances disturb each other's elections and share one virtual MAC",
				Fix:    "give each instance on a segment its own virtual_router_id (1-255), also across clusters sharing the segment"})
		}
	}
	return out
}

// authPassLong: keepalived uses the first 8 characters of auth_pass.
func authPassLong(c *conf.Config) []Finding {
	var out []Finding
	for _, in := range c.Instances {
		if in.Auth == nil || len(in.Auth.Pass) <= 8 {
			continue
		}
		out = append(out, Finding{Pos: in.Auth.At("auth_pass"), Rule: "auth-pass-long", Level: Problem,
			Msg:    fmt.Sprintf("vrrp_instance %s: auth_pass is %d characters; keepalived uses %q", in.Name, len(in.Auth.Pass), in.Auth.Pass[:8]),
			Impact: "the rest is silently dropped: two passwords that differ after the 8th character are the same password",
			Fix:    "use at most 8 characters"})
	}
	return out
}

// vrrpStrict: vrrp_strict enforces RFC rules and firewalls the VIPs.
func vrrpStrict(c *conf.Config) []Finding {
	g := c.Global
	if !g.VRRPStrict {
		return nil
	}
	return []Finding{{Pos: g.At("vrrp_strict"), Rule: "vrrp-strict", Level: Problem,
		Msg: "vrrp_strict is set",
		Impact: "keepalived adds firewall rules that drop traffic to the VIPs (the classic \"VIP does not answer ping or HTTP\"), " +
			"and refuses authentication and unicast peers",
		Fix: "remove vrrp_strict (it is in many distributions' default keepalived.conf)"}}
}
