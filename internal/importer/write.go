package importer

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/lvslab/lvslab/topo"
)

// yw writes YAML text with comments.
type yw struct{ b strings.Builder }

func (w *yw) line(indent int, format string, args ...any) {
	w.b.WriteString(strings.Repeat("  ", indent))
	fmt.Fprintf(&w.b, format, args...)
	w.b.WriteByte('\n')
}

func (w *yw) comment(indent int, text string) {
	for _, l := range strings.Split(text, "\n") {
		w.line(indent, "# %s", l)
	}
}

func q(s string) string { return fmt.Sprintf("%q", s) }

func (b *builder) labName() string {
	if b.opt.Name != "" {
		return b.opt.Name
	}
	n := sanitize(strings.TrimSuffix(filepath.Base(b.srcs[0].path), filepath.Ext(b.srcs[0].path)))
	if n == "" || n == "keepalived" {
		n = "imported"
	}
	return n
}

// confPath is the keepalived: value of a file: relative to the lab file's
// directory, or absolute.
func (b *builder) confPath(p string) string {
	if b.opt.Dir == "" {
		if a, err := filepath.Abs(p); err == nil {
			return a
		}
		return p
	}
	ap, err1 := filepath.Abs(p)
	ad, err2 := filepath.Abs(b.opt.Dir)
	if err1 != nil || err2 != nil {
		return p
	}
	if r, err := filepath.Rel(ad, ap); err == nil {
		return r
	}
	return ap
}

func (b *builder) result() (*Result, error) {
	w := &yw{}
	var files []string
	for _, s := range b.srcs {
		files = append(files, s.path)
	}
	w.comment(0, "Imported by `lvslab import "+strings.Join(files, " ")+"`.")
	w.comment(0, "Every choice the import made is a comment next to it. Addresses and\ninterface names the files give are theirs; the rest is the import's.")
	if len(b.caveats) > 0 {
		w.comment(0, "\nWhat cannot run in a lab as written (the files are not changed):")
		for _, c := range b.caveats {
			w.comment(0, "- "+c.String())
		}
	}
	name := b.labName()
	w.line(0, "name: %s", name)
	w.line(0, "doc: %s", q("imported from "+strings.Join(files, ", ")))
	w.line(0, "segments:")
	for _, s := range b.segs {
		w.comment(1, s.why)
		w.line(1, "- {name: %s, subnet: %s}", s.name, s.subnet)
	}
	w.line(0, "nodes:")
	w.comment(1, "The client: the lowest free address on the client's network.")
	w.line(1, "- name: client")
	w.line(2, "role: client")
	w.line(2, "interfaces:")
	w.line(3, "- {name: eth0, segment: %s, addresses: [%s]}", b.segs[0].name, pfx(b.client, b.segs[0].subnet))
	forwarders := map[*dir]bool{}
	for _, svc := range b.services {
		if svc.forward == topo.ForwardDR {
			for _, n := range b.rs {
				if n.gw.IsValid() && n.seg != 0 && slices.Contains(svc.rss, findRS(svc, n.addr)) {
					forwarders[svc.dirs[0]] = true
				}
			}
		}
	}
	for _, d := range b.dirs {
		w.comment(1, strings.Join(d.why[-1], "; "))
		w.line(1, "- name: %s", d.name)
		w.line(2, "role: director")
		if d.src.cfg != nil {
			w.line(2, "keepalived: %s", q(b.confPath(d.src.path)))
		}
		w.line(2, "interfaces:")
		for i := range b.segs {
			if d.ifaces[i] == "" {
				continue
			}
			for _, why := range d.why[i] {
				w.comment(3, why)
			}
			addrs := []string{pfx(d.addrs[i], b.segs[i].subnet)}
			for _, a := range d.extra[i] {
				addrs = append(addrs, pfx(a, b.segs[i].subnet))
			}
			w.line(3, "- {name: %s, segment: %s, addresses: [%s]}", d.ifaces[i], b.segs[i].name, strings.Join(addrs, ", "))
		}
		if b.router != nil {
			var routes []string
			for i := range b.segs {
				if _, ok := b.router[i]; ok && i != 0 && d.ifaces[i] == "" {
					routes = append(routes, fmt.Sprintf("{to: %s, via: %s}", b.segs[i].subnet, b.router[0]))
				}
			}
			if len(routes) > 0 {
				w.comment(2, "TUN: the real servers' networks are behind the router")
				w.line(2, "routes: [%s]", strings.Join(routes, ", "))
			}
		}
		if forwarders[d] {
			w.comment(2, "DR replies from real servers on another network go through this director")
			w.line(2, "sysctls: {net.ipv4.ip_forward: \"1\"}")
		}
	}
	if b.router != nil {
		w.comment(1, "TUN: a router joins the client's network and the real servers' (lowest free addresses)")
		w.line(1, "- name: router")
		w.line(2, "role: router")
		w.line(2, "interfaces:")
		k := 0
		for i := range b.segs {
			if a, ok := b.router[i]; ok {
				w.line(3, "- {name: eth%d, segment: %s, addresses: [%s]}", k, b.segs[i].name, pfx(a, b.segs[i].subnet))
				k++
			}
		}
	}
	for _, n := range b.rs {
		what := "a TCP listener that accepts on its ports"
		if n.http {
			what = "HTTP, answering with its name"
		}
		if b.serverField(n.addr) != "" {
			what = "Debian's nginx (--server nginx), a page with its name"
		}
		w.comment(1, fmt.Sprintf("Real server %s (RIP from the configuration): %s", n.addr, what))
		w.line(1, "- name: %s", n.name)
		w.line(2, "role: realserver")
		w.line(2, "interfaces:")
		w.line(3, "- {name: eth0, segment: %s, addresses: [%s]}", b.segs[n.seg].name, pfx(n.addr, b.segs[n.seg].subnet))
		if n.gw.IsValid() {
			w.comment(2, n.gwWhy)
			w.line(2, "gateway: %s", n.gw)
		}
	}
	b.writeServices(w)
	b.writeVRRP(w)
	spec, err := topo.Parse(filepath.Join(b.opt.Dir, name+".yaml"), []byte(w.b.String()))
	if err != nil {
		return nil, fmt.Errorf("import: the lab made from the files does not hold together, so nothing is written (each problem with the configuration line it came from):\n%s", fromLines(w.b.String(), err))
	}
	res := &Result{YAML: []byte(w.b.String()), Spec: spec, Caveats: b.caveats, Notes: b.notes}
	for _, s := range b.srcs {
		if s.peerOf != "" {
			res.Files = map[string][]byte{filepath.Base(s.path): s.data}
		}
	}
	return res, nil
}

func findRS(svc *service, a netip.Addr) *rsIn {
	for _, r := range svc.rss {
		if r.addr == a {
			return r
		}
	}
	return nil
}

func pfx(a netip.Addr, p netip.Prefix) string { return netip.PrefixFrom(a, p.Bits()).String() }

func (b *builder) rsName(a netip.Addr) string {
	for _, n := range b.rs {
		if n.addr == a {
			return n.name
		}
	}
	return ""
}

func (b *builder) writeServices(w *yw) {
	if len(b.services) == 0 {
		return
	}
	w.line(0, "services:")
	for i, svc := range b.services {
		var dirs []string
		for _, d := range svc.dirs {
			dirs = append(dirs, d.name)
		}
		w.comment(1, fmt.Sprintf("%s (%s)", svc.key, svc.pos))
		for _, n := range svc.notes {
			w.comment(1, n)
		}
		w.line(1, "- name: vs%d", i+1)
		w.line(2, "directors: [%s]", strings.Join(dirs, ", "))
		w.line(2, "vip: %s", svc.vip)
		w.line(2, "port: %d", svc.port)
		w.line(2, "protocol: %s", svc.proto)
		w.line(2, "scheduler: %s", svc.sched)
		w.line(2, "forward: %s", svc.forward)
		if p := svc.persist; p != nil {
			if p.Netmask.IsValid() {
				w.line(2, "persistence: {timeout: %d, netmask: %s}", p.Timeout, p.Netmask)
			} else {
				w.line(2, "persistence: {timeout: %d}", p.Timeout)
			}
		}
		w.line(2, "realservers:")
		for _, r := range svc.rss {
			extra := ""
			if r.upper != 0 || r.lower != 0 {
				extra = fmt.Sprintf(", upper: %d, lower: %d", r.upper, r.lower)
			}
			extra += b.serverField(r.addr)
			w.line(3, "- {node: %s, port: %d, weight: %d%s} # %s", b.rsName(r.addr), r.port, r.weight, extra, r.pos)
		}
		if c := svc.check; c != nil {
			w.comment(2, "the first real server's check ("+svc.checkAt+"), keepalived's defaults filled in, in whole seconds")
			w.line(2, "check:")
			w.line(3, "type: %s", c.Type)
			w.line(3, "delay_loop: %d", c.DelayLoop)
			w.line(3, "connect_timeout: %d", c.ConnectTimeout)
			w.line(3, "retry: %d", c.Retry)
			w.line(3, "delay_before_retry: %d", c.DelayBeforeRetry)
			if c.Warmup != nil {
				w.line(3, "warmup: %d", *c.Warmup)
			}
			if c.URL != "" {
				w.line(3, "url: %s", q(c.URL))
			}
			if c.StatusCode != 0 {
				w.line(3, "status_code: %d", c.StatusCode)
			}
			if c.Script != "" {
				w.line(3, "script: %s", q(c.Script))
			}
			if c.ConnectPort != 0 {
				w.comment(3, "the check connects to this port, not the real servers' own: they listen on it too")
				w.line(3, "connect_port: %d", c.ConnectPort)
			}
			if c.InhibitOnFailure {
				w.line(3, "inhibit_on_failure: true")
			}
			if svc.quorum != 1 && svc.quorum != 0 {
				w.line(2, "quorum: %d", svc.quorum)
			}
			if svc.hyst != 0 && svc.quorum > 1 {
				w.line(2, "hysteresis: %d", svc.hyst)
			}
			if s := svc.sorry; s != nil {
				w.line(2, "sorry_server: {node: %s, port: %d%s} # %s", b.rsName(s.addr), s.port, b.serverField(s.addr), s.pos)
			}
		}
	}
}

func (b *builder) writeVRRP(w *yw) {
	var list []*vrrpIn
	for _, v := range b.vrrp {
		if v.skip != "" {
			b.notes = append(b.notes, "vrrp_instance "+v.name+" is not in the lab file's vrrp list (its directors run it all the same): "+v.skip)
			continue
		}
		list = append(list, v)
	}
	if len(list) == 0 {
		return
	}
	w.line(0, "vrrp:")
	w.comment(1, "What the directors' files say, for lvslab's readiness and checks: the\ndirectors run their own files, not this.")
	for _, v := range b.vrrp {
		if v.skip != "" {
			w.comment(1, "vrrp_instance "+v.name+" is not listed: "+v.skip)
		}
	}
	for _, v := range list {
		in := v.first
		w.comment(1, fmt.Sprintf("vrrp_instance %s (%s)", v.name, in.Node.Pos))
		w.line(1, "- name: %s", v.name)
		w.line(2, "vrid: %d", in.VRID)
		w.line(2, "interface: %s", in.Interface)
		adv := ceilSecs(in.AdvertInt)
		w.line(2, "advert_int: %d", adv)
		if in.Auth != nil && in.Auth.Type != "" {
			w.line(2, "auth: {type: %s, pass: %s}", in.Auth.Type, q(in.Auth.Pass))
		}
		var vips []string
		seen := map[netip.Addr]bool{}
		for _, vip := range in.VIPs {
			if seen[vip.Prefix.Addr()] {
				w.comment(2, fmt.Sprintf("%s: %s is written twice; listed once (the kernel holds an address once on an interface)", vip.Pos, vip.Prefix.Addr()))
				continue
			}
			seen[vip.Prefix.Addr()] = true
			if vip.Prefix.Bits() == 32 {
				vips = append(vips, vip.Prefix.Addr().String())
			} else {
				vips = append(vips, vip.Prefix.String())
			}
		}
		w.line(2, "vips: [%s]", strings.Join(vips, ", "))
		if in.UnicastSrcIP.IsValid() || len(in.UnicastPeers) > 0 {
			if len(v.members) > 1 {
				w.line(2, "unicast: true")
			} else {
				w.comment(2, fmt.Sprintf("%s: unicast_peer names no director of the lab: its adverts go nowhere and this director becomes MASTER (import the peer's file too)", in.At("unicast_peer")))
			}
		}
		w.line(2, "members:")
		for _, m := range v.members {
			extra := ""
			if m.in.NoPreempt && m.in.State == "BACKUP" {
				extra += ", nopreempt: true"
			}
			if m.in.PreemptDelay > 0 && m.in.State == "BACKUP" {
				extra += fmt.Sprintf(", preempt_delay: %d", ceilSecs(m.in.PreemptDelay))
			}
			w.line(3, "- {node: %s, state: %s, priority: %d%s} # %s", m.d.name, m.in.State, m.in.Priority, extra, m.in.Node.Pos)
		}
	}
}

var (
	problemRe = regexp.MustCompile(`^[^:]*:(\d+): (.*)$`)
	originRe  = regexp.MustCompile(`#.*?(\S+:\d+)\)?\s*$|\((\S+:\d+)\)`)
)

// fromLines rewrites the lab file's validation problems (LAB:LINE: msg)
// to name the configuration line each came from: the FILE:LINE its own
// line's or the nearest comment above it names.
func fromLines(yaml string, err error) string {
	lines := strings.Split(yaml, "\n")
	var out []string
	for _, p := range strings.Split(err.Error(), "\n") {
		m := problemRe.FindStringSubmatch(p)
		if m == nil {
			out = append(out, p)
			continue
		}
		n, _ := strconv.Atoi(m[1])
		origin := ""
		for i := min(n, len(lines)) - 1; i >= 0 && origin == ""; i-- {
			if o := originRe.FindStringSubmatch(lines[i]); o != nil {
				origin = o[1] + o[2]
			}
		}
		if origin == "" {
			origin = "(the import's own choice)"
		}
		out = append(out, origin+": "+m[2])
	}
	return strings.Join(out, "\n")
}

// serverField is the `server:` of a real server at addr in the lab file:
// none for lvslab's backend, nginx where --server nginx asks and every
// service the node serves is TCP (nginx answers HTTP only; the node then
// keeps lvslab's backend, and a note says why).
func (b *builder) serverField(addr netip.Addr) string {
	if b.opt.Server != topo.ServerNginx {
		return ""
	}
	for _, svc := range b.services {
		if svc.proto == "tcp" {
			continue
		}
		for _, r := range svc.rss {
			if r.addr == addr {
				b.noteOnce(fmt.Sprintf("%s serves a %s service: it runs lvslab's backend, not nginx (HTTP only)", b.rsName(addr), svc.proto))
				return ""
			}
		}
	}
	return ", server: " + topo.ServerNginx
}

// noteOnce adds a note unless it is there already.
func (b *builder) noteOnce(n string) {
	if !slices.Contains(b.notes, n) {
		b.notes = append(b.notes, n)
	}
}
