package keepalived

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lvslab/lvslab/director/keepalived/conf"
	"github.com/lvslab/lvslab/topo"
)

// TestRoundTrip renders every director of every lab, parses the result
// back with package conf, and checks that it says what the lab file
// says: the renderer and the parser share one grammar. The parse must
// also be clean: no error, nothing unknown or out of scope.
func TestRoundTrip(t *testing.T) {
	for _, r := range directors(t) {
		if r.lab == "verbatim" {
			continue // the node's own file: nothing rendered
		}
		t.Run(r.lab+"/"+r.node, func(t *testing.T) {
			text, err := Render(r.spec, r.node)
			if err != nil {
				t.Fatal(err)
			}
			c, err := conf.Load(r.golden, []byte(text), conf.Options{})
			if err != nil {
				t.Fatalf("parse rendered file: %v", err)
			}
			for _, d := range c.Diagnostics {
				if d.Severity > conf.Note {
					t.Errorf("rendered file: %s", d)
				}
			}
			if diff := cmp.Diff(specFacts(r.spec, r.node), c.Facts()); diff != "" {
				t.Errorf("parsed facts differ from the lab file's (-lab +parsed):\n%s", diff)
			}
		})
	}
}

// specFacts are the facts (conf.Config.Facts) the lab file gives the
// director node.
func specFacts(spec *topo.Spec, node string) []string {
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	add("global router_id %s", node)
	for _, v := range spec.VRRP {
		if v.SyncDaemon != "" && v.Member(node) != nil {
			add("global lvs_sync_daemon %s %s", v.SyncDaemon, v.Name)
			break
		}
	}
	for _, sc := range trackedScripts(spec, node) {
		add("vrrp_script %s script=%q interval=%s timeout=%s weight=%d rise=%d fall=%d",
			sc.Name, sc.Script, secs(sc.Interval), secs(sc.Timeout), sc.Weight, sc.Rise, sc.Fall)
	}
	for _, v := range spec.VRRP {
		m := v.Member(node)
		if m == nil {
			continue
		}
		p := "vrrp_instance " + v.Name
		add("%s state=%s interface=%s vrid=%d priority=%d advert_int=%s", p, m.State, v.Interface, v.VRID, m.Priority, secs(v.AdvertInt))
		if v.Auth != nil {
			add("%s auth=%s/%s", p, v.Auth.Type, v.Auth.Pass)
		}
		for _, vip := range v.VIPs {
			add("%s vip=%s dev %s", p, vip, v.Interface)
		}
		if m.NoPreempt {
			add("%s nopreempt", p)
		}
		if m.PreemptDelay > 0 && !m.NoPreempt {
			add("%s preempt_delay=%s", p, secs(m.PreemptDelay))
		}
		if v.Unicast {
			var peers []string
			for _, o := range v.Members {
				if o != m {
					peers = append(peers, spec.AddressOn(o.Node, v.Interface).String())
				}
			}
			add("%s unicast src=%s peers=%s", p, spec.AddressOn(node, v.Interface), strings.Join(peers, ","))
		}
		for _, s := range v.TrackScripts {
			add("%s track_script=%s weight=0", p, s)
		}
		if v.Notify != "" {
			add("%s notify=%q", p, v.Notify)
		}
	}
	for _, svc := range spec.Services {
		if !slices.Contains(svc.Directors, node) {
			continue
		}
		name := fmt.Sprintf("%s:%d", svc.VIP, svc.Port)
		proto := strings.ToUpper(svc.Protocol)
		if svc.FWMark != 0 {
			name, proto = fmt.Sprintf("fwmark %d", svc.FWMark), ""
		}
		p := "virtual_server " + name
		quorum := svc.Quorum
		if quorum == 0 {
			quorum = 1
		}
		add("%s lb_algo=%s lb_kind=%s protocol=%s quorum=%d hysteresis=%d", p, svc.Scheduler, lbKinds[svc.Forward], proto, quorum, svc.Hysteresis)
		if ps := svc.Persistence; ps != nil {
			add("%s persistence_timeout=%s", p, secs(int(ps.Timeout)))
			if ps.Netmask.IsValid() {
				add("%s persistence_granularity=%s", p, ps.Netmask)
			}
		}
		if ss := svc.SorryServer; ss != nil {
			add("%s sorry_server=%s:%d", p, ss.RIP, ss.Port)
		}
		for _, rs := range svc.RealServers {
			q := fmt.Sprintf("%s real_server %s:%d", p, rs.RIP, rs.Port)
			weight := topo.DefaultWeight
			if rs.Weight != nil {
				weight = *rs.Weight
			}
			c := svc.Check
			add("%s weight=%d inhibit_on_failure=%t", q, weight, c != nil && c.InhibitOnFailure)
			if rs.Upper != 0 || rs.Lower != 0 {
				add("%s uthreshold=%d lthreshold=%d", q, rs.Upper, rs.Lower)
			}
			if c == nil {
				continue
			}
			f := fmt.Sprintf("%s delay_loop=%s timeout=%s retry=%d delay_before_retry=%s", c.Type,
				secs(c.DelayLoop), secs(c.ConnectTimeout), c.Retry, secs(c.DelayBeforeRetry))
			if c.Warmup != nil {
				f += " warmup=" + secs(*c.Warmup)
			}
			if port := checkPort(svc, rs); port != 0 && rs.Port == 0 && c.Type != topo.CheckMisc {
				f += fmt.Sprintf(" connect_port=%d", port)
			}
			if c.Type == topo.CheckHTTP {
				f += fmt.Sprintf(" url=%s status=%d", c.URL, c.StatusCode)
			}
			if c.Type == topo.CheckMisc {
				f += fmt.Sprintf(" misc_path=%q", c.Script)
			}
			add("%s %s", q, f)
		}
	}
	return out
}

func secs(s int) string { return fmt.Sprintf("%gs", (time.Duration(s) * time.Second).Seconds()) }
