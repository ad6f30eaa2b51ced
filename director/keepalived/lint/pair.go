package lint

import (
	"fmt"
	"slices"
	"strings"

	"github.com/lvslab/lvslab/director/keepalived/conf"
)

// member is one file's vrrp_instance of a pair.
type member struct {
	file *conf.Config
	in   *conf.Instance
}

// pairs groups the instances of several files that are one VRRP router:
// the same instance name in different files. An instance with no
// namesake joins a group whose instances share one of its VIPs.
func pairs(files []*conf.Config) [][]member {
	var groups [][]member
	find := func(m member) int {
		for i, g := range groups {
			if slices.ContainsFunc(g, func(o member) bool { return o.file == m.file }) {
				continue
			}
			if g[0].in.Name == m.in.Name {
				return i
			}
		}
		for i, g := range groups {
			if slices.ContainsFunc(g, func(o member) bool { return o.file == m.file }) {
				continue
			}
			if shareVIP(g[0].in, m.in) {
				return i
			}
		}
		return -1
	}
	for _, c := range files {
		for _, in := range c.Instances {
			m := member{c, in}
			if i := find(m); i >= 0 {
				groups[i] = append(groups[i], m)
			} else {
				groups = append(groups, []member{m})
			}
		}
	}
	return groups
}

func shareVIP(a, b *conf.Instance) bool {
	for _, x := range a.VIPs {
		for _, y := range b.VIPs {
			if x.Prefix.Addr() == y.Prefix.Addr() {
				return true
			}
		}
	}
	return false
}

// pairMismatch: members of one VRRP router must agree on
// virtual_router_id, authentication, advert_int and the VIP list, or
// each discards the other's adverts and both become MASTER.
func pairMismatch(files []*conf.Config) []Finding {
	const impact = "each director discards the other's adverts, so both become MASTER and hold the VIP (split brain): clients' ARP entries flap between the two"
	var out []Finding
	for _, g := range pairs(files) {
		first := g[0]
		for _, m := range g[1:] {
			add := func(kw, mine, theirs string) {
				out = append(out, Finding{Pos: m.in.At(kw), Rule: "pair-mismatch", Level: Problem,
					Msg:    fmt.Sprintf("vrrp_instance %s: %s %s here, %s at %s", m.in.Name, kw, mine, theirs, first.in.At(kw)),
					Impact: impact,
					Fix:    fmt.Sprintf("make %s the same on every director of the pair", kw)})
			}
			if m.in.VRID != first.in.VRID {
				add("virtual_router_id", fmt.Sprint(m.in.VRID), fmt.Sprint(first.in.VRID))
			}
			if a, b := authString(m.in.Auth), authString(first.in.Auth); a != b {
				kw := "authentication"
				out = append(out, Finding{Pos: m.in.At(kw), Rule: "pair-mismatch", Level: Problem,
					Msg:    fmt.Sprintf("vrrp_instance %s: authentication %s here, %s at %s", m.in.Name, a, b, first.in.At(kw)),
					Impact: impact,
					Fix:    "use the same auth_type and auth_pass (its first 8 characters count) on every director of the pair"})
			}
			if m.in.AdvertInt != first.in.AdvertInt {
				add("advert_int", m.in.AdvertInt.String(), first.in.AdvertInt.String())
			}
			if a, b := vipList(m.in), vipList(first.in); a != b {
				add("virtual_ipaddress", "{"+a+"}", "{"+b+"}")
			}
		}
	}
	return out
}

func authString(a *conf.Auth) string {
	if a == nil {
		return "none"
	}
	pass := a.Pass
	if len(pass) > 8 {
		pass = pass[:8]
	}
	return fmt.Sprintf("%s %q", a.Type, pass)
}

// vipList is an instance's VIP addresses, sorted.
func vipList(in *conf.Instance) string {
	var s []string
	for _, v := range in.VIPs {
		s = append(s, v.Prefix.Addr().String())
	}
	slices.Sort(s)
	return strings.Join(s, " ")
}

// equalPriority: with equal priorities the higher primary IP address
// wins the election, whatever state says.
func equalPriority(files []*conf.Config) []Finding {
	var out []Finding
	for _, g := range pairs(files) {
		for i, m := range g {
			for _, o := range g[:i] {
				if m.in.Priority != o.in.Priority {
					continue
				}
				out = append(out, Finding{Pos: m.in.At("priority"), Rule: "equal-priority", Level: Problem,
					Msg: fmt.Sprintf("vrrp_instance %s: priority %d here and at %s", m.in.Name, m.in.Priority, o.in.At("priority")),
					Impact: "the election is decided by the higher primary IP address, not by state MASTER: the director you meant as MASTER may stay BACKUP, " +
						"and after a failover the old master does not take the VIP back",
					Fix: "give the intended MASTER the higher priority (for example 100 and 90)"})
			}
		}
	}
	return out
}
