package conf

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"time"
)

// Facts lists what c says, one fact a line, in a fixed order and
// keepalived's terms, defaults filled in: what a golden file records and
// what a round trip through Render must keep.
func (c *Config) Facts() []string {
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	g := c.Global
	if g.RouterID != "" {
		add("global router_id %s", g.RouterID)
	}
	if g.VRRPStrict {
		add("global vrrp_strict")
	}
	if sd := g.LVSSyncDaemon; sd != nil {
		add("global lvs_sync_daemon %s %s", sd.Interface, sd.Instance)
	}
	for _, s := range c.Scripts {
		add("vrrp_script %s script=%q interval=%s timeout=%s weight=%d rise=%d fall=%d",
			s.Name, s.Script, secs(s.Interval), secs(s.Timeout), s.Weight, s.Rise, s.Fall)
	}
	for _, g := range c.SyncGroups {
		add("vrrp_sync_group %s group=%s", g.Name, strings.Join(g.Instances, ","))
	}
	for _, in := range c.Instances {
		p := "vrrp_instance " + in.Name
		add("%s state=%s interface=%s vrid=%d priority=%d advert_int=%s", p, in.State, in.Interface, in.VRID, in.Priority, secs(in.AdvertInt))
		if in.Auth != nil {
			add("%s auth=%s/%s", p, in.Auth.Type, in.Auth.Pass)
		}
		for _, v := range in.VIPs {
			add("%s vip=%s", p, v)
		}
		if in.SyncDaemonInterface != "" {
			add("%s lvs_sync_daemon_interface=%s", p, in.SyncDaemonInterface)
		}
		if in.NoPreempt {
			add("%s nopreempt", p)
		}
		if in.PreemptDelay > 0 {
			add("%s preempt_delay=%s", p, secs(in.PreemptDelay))
		}
		if in.UnicastSrcIP.IsValid() || len(in.UnicastPeers) > 0 {
			add("%s unicast src=%s peers=%s", p, in.UnicastSrcIP, addrs(in.UnicastPeers))
		}
		for _, t := range in.TrackScripts {
			add("%s track_script=%s weight=%d", p, t.Name, t.Weight)
		}
		for _, t := range in.TrackIfaces {
			add("%s track_interface=%s weight=%d", p, t.Name, t.Weight)
		}
		keys := make([]string, 0, len(in.Notify))
		for k := range in.Notify {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			add("%s %s=%q", p, k, in.Notify[k])
		}
	}
	for _, vs := range c.Services {
		p := "virtual_server " + vs.Name()
		add("%s lb_algo=%s lb_kind=%s protocol=%s quorum=%d hysteresis=%d", p, vs.Scheduler, vs.Forward, vs.Protocol, vs.Quorum, vs.Hysteresis)
		if vs.Persistence != nil {
			add("%s persistence_timeout=%s", p, secs(*vs.Persistence))
		}
		if vs.Granularity.IsValid() {
			add("%s persistence_granularity=%s", p, vs.Granularity)
		}
		if vs.Sorry != nil {
			add("%s sorry_server=%s:%d", p, vs.Sorry.Addr, vs.Sorry.Port)
		}
		for _, rs := range vs.RealServers {
			q := fmt.Sprintf("%s real_server %s:%d", p, rs.Addr, rs.Port)
			add("%s weight=%d inhibit_on_failure=%t", q, rs.Weight, rs.InhibitOnFailure)
			if rs.UThreshold != 0 || rs.LThreshold != 0 {
				add("%s uthreshold=%d lthreshold=%d", q, rs.UThreshold, rs.LThreshold)
			}
			for _, ch := range rs.Checks {
				add("%s %s", q, ch.Fact())
			}
		}
	}
	return out
}

// Fact is a check in one line.
func (c *Check) Fact() string {
	s := fmt.Sprintf("%s delay_loop=%s timeout=%s retry=%d delay_before_retry=%s", c.Type,
		secs(c.DelayLoop), secs(c.ConnectTimeout), c.Retry, secs(c.DelayBeforeRetry))
	if c.Warmup != nil {
		s += " warmup=" + secs(*c.Warmup)
	}
	if c.ConnectPort != 0 {
		s += fmt.Sprintf(" connect_port=%d", c.ConnectPort)
	}
	for _, u := range c.URLs {
		s += fmt.Sprintf(" url=%s status=%d", u.Path, u.StatusCode)
	}
	if c.MiscPath != "" {
		s += fmt.Sprintf(" misc_path=%q", c.MiscPath)
	}
	return s
}

// Name is the virtual server as keepalived's logs name it: "VIP:PORT"
// or "fwmark N".
func (vs *VirtualServer) Name() string {
	if vs.FWMark != 0 {
		return fmt.Sprintf("fwmark %d", vs.FWMark)
	}
	return fmt.Sprintf("%s:%d", vs.VIP, vs.Port)
}

func (v *VIP) String() string {
	s := v.Prefix.String()
	for _, kv := range [][2]string{{"dev", v.Dev}, {"brd", v.Brd}, {"label", v.Label}, {"scope", v.Scope}} {
		if kv[1] != "" {
			s += " " + kv[0] + " " + kv[1]
		}
	}
	return s
}

func secs(d time.Duration) string { return fmt.Sprintf("%gs", d.Seconds()) }

func addrs(a []netip.Addr) string {
	s := make([]string, len(a))
	for i, x := range a {
		s[i] = x.String()
	}
	return strings.Join(s, ",")
}
