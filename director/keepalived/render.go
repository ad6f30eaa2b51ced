package keepalived

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/lvslab/lvslab/topo"
)

// Manages reports whether keepalived runs on the director node of spec:
// the node is a member of a VRRP instance, or names its own
// keepalived.conf. On such a director keepalived, not the lab builder,
// programs the IPVS table (from its virtual_server blocks) and places the
// VRRP VIPs.
func Manages(spec *topo.Spec, node string) bool {
	if n := spec.Node(node); n != nil {
		if n.Role != topo.RoleDirector {
			return false
		}
		if n.Keepalived != "" {
			return true
		}
	}
	for _, v := range spec.VRRP {
		if v.Member(node) != nil {
			return true
		}
	}
	return false
}

// Render returns the keepalived.conf of the director node: the file the
// node names (`keepalived: PATH`, relative to the lab file) verbatim, or
// one rendered from the lab file's VRRP instances and services. spec must
// be valid (topo.Validate).
//
// The rendered file has, in the lab file's order:
//
//	global_defs     router_id NODE, enable_script_security, script_user
//	                root, keepalived's default gratuitous-ARP settings,
//	                lvs_sync_daemon IFACE INSTANCE (sync_daemon)
//	vrrp_script     per script an instance of the node tracks
//	vrrp_instance   per VRRP instance the node is a member of, with
//	                unicast_src_ip/unicast_peer (unicast: true), notify
//	                and track_script
//	virtual_server  per service the node directs, each real server with
//	                the service's check (TCP_CHECK, HTTP_GET, MISC_CHECK)
func Render(spec *topo.Spec, node string) (string, error) {
	n := spec.Node(node)
	if n == nil {
		return "", fmt.Errorf("render keepalived.conf: lab %s has no node %q", spec.Name, node)
	}
	if n.Role != topo.RoleDirector {
		return "", fmt.Errorf("render keepalived.conf of %s: a %s, not a director", node, n.Role)
	}
	if n.Keepalived != "" {
		path := ConfigSource(spec, n)
		data, err := os.ReadFile(path)
		if err != nil {
			return "", fmt.Errorf("render keepalived.conf of %s: %w", node, err)
		}
		return string(data), nil
	}
	w := &writer{}
	w.line(0, "# keepalived.conf of %s, rendered by lvslab from lab %s", node, spec.Name)
	if spec.Doc != "" {
		w.line(0, "# following %s", spec.Doc)
	}
	w.blank()
	renderGlobal(w, spec, node)
	for _, sc := range trackedScripts(spec, node) {
		w.blank()
		renderScript(w, sc)
	}
	for _, v := range spec.VRRP {
		if m := v.Member(node); m != nil {
			w.blank()
			renderVRRP(w, spec, v, m)
		}
	}
	for _, svc := range spec.Services {
		if slices.Contains(svc.Directors, node) {
			w.blank()
			if err := renderService(w, svc); err != nil {
				return "", fmt.Errorf("render keepalived.conf of %s: %w", node, err)
			}
		}
	}
	return w.String(), nil
}

// ConfigSource is the keepalived.conf a node names in the lab file,
// resolved against the lab file's directory; "" if it names none.
func ConfigSource(spec *topo.Spec, n *topo.Node) string {
	if n.Keepalived == "" {
		return ""
	}
	if filepath.IsAbs(n.Keepalived) || spec.File == "" {
		return n.Keepalived
	}
	return filepath.Join(filepath.Dir(spec.File), n.Keepalived)
}

func renderGlobal(w *writer, spec *topo.Spec, node string) {
	w.open(0, "global_defs")
	w.line(1, "router_id %s", node)
	// vrrp_script, notify and MISC_CHECK programs run as root; keepalived
	// checks that no one else can change them.
	w.line(1, "enable_script_security")
	w.line(1, "script_user root")
	// keepalived's defaults, written out: 5 gratuitous ARPs on becoming
	// MASTER, 5 more 5 s later.
	w.line(1, "vrrp_garp_master_delay 5")
	w.line(1, "vrrp_garp_master_repeat 5")
	for _, v := range spec.VRRP {
		if v.SyncDaemon != "" && v.Member(node) != nil {
			// The kernel's master sync daemon while the instance is
			// MASTER, its backup daemon otherwise.
			w.line(1, "lvs_sync_daemon %s %s", v.SyncDaemon, v.Name)
			break // validation allows one per director
		}
	}
	w.close(0)
}

// trackedScripts are the vrrp_scripts that an instance node is a member
// of tracks, in the lab file's order.
func trackedScripts(spec *topo.Spec, node string) []*topo.VRRPScript {
	var out []*topo.VRRPScript
	for _, sc := range spec.VRRPScripts {
		for _, v := range spec.VRRP {
			if v.Member(node) != nil && slices.Contains(v.TrackScripts, sc.Name) {
				out = append(out, sc)
				break
			}
		}
	}
	return out
}

func renderScript(w *writer, sc *topo.VRRPScript) {
	w.open(0, "vrrp_script %s", sc.Name)
	w.line(1, "script %s", strconv.Quote(sc.Script))
	w.line(1, "interval %d", sc.Interval)
	if sc.Timeout > 0 {
		w.line(1, "timeout %d", sc.Timeout)
	}
	if sc.Weight != 0 {
		w.line(1, "weight %d", sc.Weight)
	}
	w.line(1, "fall %d", sc.Fall)
	w.line(1, "rise %d", sc.Rise)
	w.close(0)
}

func renderVRRP(w *writer, spec *topo.Spec, v *topo.VRRP, m *topo.Member) {
	w.open(0, "vrrp_instance %s", v.Name)
	w.line(1, "state %s", m.State)
	w.line(1, "interface %s", v.Interface)
	w.line(1, "virtual_router_id %d", v.VRID)
	w.line(1, "priority %d", m.Priority)
	w.line(1, "advert_int %d", v.AdvertInt)
	if m.NoPreempt {
		w.line(1, "nopreempt")
	}
	switch {
	case m.PreemptDelay > 0 && m.NoPreempt:
		w.line(1, "# preempt_delay %d left out: keepalived ignores it with nopreempt", m.PreemptDelay)
	case m.PreemptDelay > 0:
		w.line(1, "preempt_delay %d", m.PreemptDelay)
	}
	if a := v.Auth; a != nil {
		w.open(1, "authentication")
		w.line(2, "auth_type %s", a.Type)
		w.line(2, "auth_pass %s", a.Pass)
		w.close(1)
	}
	if v.Unicast {
		w.line(1, "unicast_src_ip %s", spec.AddressOn(m.Node, v.Interface))
		w.open(1, "unicast_peer")
		for _, o := range v.Members {
			if o != m {
				w.line(2, "%s", spec.AddressOn(o.Node, v.Interface))
			}
		}
		w.close(1)
	}
	w.open(1, "virtual_ipaddress")
	for _, p := range v.VIPs {
		w.line(2, "%s dev %s", p, v.Interface)
	}
	w.close(1)
	if len(v.TrackScripts) > 0 {
		w.open(1, "track_script")
		for _, name := range v.TrackScripts {
			w.line(2, "%s", name)
		}
		w.close(1)
	}
	if v.Notify != "" {
		w.line(1, "notify %s", strconv.Quote(v.Notify))
	}
	w.close(0)
}

var lbKinds = map[topo.Forward]string{
	topo.ForwardDR:  "DR",
	topo.ForwardNAT: "NAT",
	topo.ForwardTUN: "TUN",
}

func renderService(w *writer, svc *topo.Service) error {
	kind, ok := lbKinds[svc.Forward]
	if !ok {
		return fmt.Errorf("service %s: unknown forwarding method %q", svc.Name, svc.Forward)
	}
	if svc.FWMark != 0 {
		w.open(0, "virtual_server fwmark %d", svc.FWMark)
	} else {
		w.open(0, "virtual_server %s %d", svc.VIP, svc.Port)
	}
	if svc.Check != nil {
		w.line(1, "delay_loop %d", svc.Check.DelayLoop)
	}
	w.line(1, "lb_algo %s", svc.Scheduler)
	w.line(1, "lb_kind %s", kind)
	if p := svc.Persistence; p != nil {
		w.line(1, "persistence_timeout %d", p.Timeout)
		if p.Netmask.IsValid() {
			w.line(1, "persistence_granularity %s", p.Netmask)
		}
	}
	if svc.FWMark == 0 { // a mark's rule says the protocol
		w.line(1, "protocol %s", strings.ToUpper(svc.Protocol))
	}
	if svc.Quorum != 0 {
		w.line(1, "quorum %d", svc.Quorum)
	}
	if svc.Hysteresis != 0 {
		w.line(1, "hysteresis %d", svc.Hysteresis)
	}
	if ss := svc.SorryServer; ss != nil {
		if ss.Port != 0 {
			w.line(1, "sorry_server %s %d", ss.RIP, ss.Port)
		} else {
			w.line(1, "sorry_server %s", ss.RIP)
		}
	}
	for _, rs := range svc.RealServers {
		w.blank()
		if rs.Port != 0 {
			w.open(1, "real_server %s %d", rs.RIP, rs.Port)
		} else {
			w.open(1, "real_server %s", rs.RIP)
		}
		weight := topo.DefaultWeight
		if rs.Weight != nil {
			weight = *rs.Weight
		}
		w.line(2, "weight %d", weight)
		if rs.Upper != 0 {
			w.line(2, "uthreshold %d", rs.Upper)
		}
		if rs.Lower != 0 {
			w.line(2, "lthreshold %d", rs.Lower)
		}
		if c := svc.Check; c != nil {
			if c.InhibitOnFailure {
				w.line(2, "inhibit_on_failure")
			}
			if err := renderCheck(w, svc, rs, c); err != nil {
				return err
			}
		}
		w.close(1)
	}
	w.close(0)
	return nil
}

func renderCheck(w *writer, svc *topo.Service, rs *topo.RealServer, c *topo.Check) error {
	w.open(2, "%s", c.Type)
	switch c.Type {
	case topo.CheckTCP, topo.CheckHTTP:
		if c.Type == topo.CheckHTTP {
			w.open(3, "url")
			w.line(4, "path %s", c.URL)
			if c.StatusCode != 0 {
				w.line(4, "status_code %d", c.StatusCode)
			}
			w.close(3)
		}
		if c.ConnectPort != 0 {
			w.line(3, "connect_port %d", c.ConnectPort)
		} else if port := checkPort(svc, rs); port != 0 && rs.Port == 0 {
			// A firewall-mark service's real servers have no port of
			// their own: check the first marked port.
			w.line(3, "connect_port %d", port)
		}
		w.line(3, "connect_timeout %d", c.ConnectTimeout)
	case topo.CheckMisc:
		w.line(3, "misc_path %s", strconv.Quote(c.Script))
		w.line(3, "misc_timeout %d", c.ConnectTimeout)
	default:
		return fmt.Errorf("service %s: unknown check type %q", svc.Name, c.Type)
	}
	w.line(3, "retry %d", c.Retry)
	w.line(3, "delay_before_retry %d", c.DelayBeforeRetry)
	if c.Warmup != nil {
		w.line(3, "warmup %d", *c.Warmup)
	}
	w.close(2)
	return nil
}

// checkPort is the port a connecting check reaches rs on.
func checkPort(svc *topo.Service, rs *topo.RealServer) uint16 {
	switch {
	case rs.Port != 0:
		return rs.Port
	case svc.Port != 0:
		return svc.Port
	case len(svc.Ports) > 0:
		return svc.Ports[0]
	}
	return 0
}

// writer builds a keepalived.conf with four-space indentation.
type writer struct{ b strings.Builder }

func (w *writer) line(depth int, format string, args ...any) {
	w.b.WriteString(strings.Repeat("    ", depth))
	fmt.Fprintf(&w.b, format, args...)
	w.b.WriteByte('\n')
}

func (w *writer) open(depth int, format string, args ...any) {
	w.line(depth, format+" {", args...)
}

func (w *writer) close(depth int) { w.line(depth, "}") }

func (w *writer) blank() { w.b.WriteByte('\n') }

func (w *writer) String() string { return w.b.String() }
