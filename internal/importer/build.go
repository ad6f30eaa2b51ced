package importer

import (
	"cmp"
	"fmt"
	"math"
	"net/netip"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/lvslab/lvslab/director/keepalived/conf"
	"github.com/lvslab/lvslab/topo"
)

// dir is one director of the lab.
type dir struct {
	src  *source
	name string
	// ifaces are its interface name on each segment, by segment index.
	ifaces map[int]string
	addrs  map[int]netip.Addr
	// extra are VIPs no vrrp_instance carries, placed as addresses.
	extra map[int][]netip.Addr
	why   map[int][]string // comments per interface
}

// service is one virtual service, merged over the directors that list it.
type service struct {
	key     string // VIP:PORT/proto
	pos     string // FILE:LINE of its first definition
	vip     netip.Addr
	port    uint16
	proto   string
	sched   string
	forward topo.Forward
	persist *topo.Persistence
	rss     []*rsIn
	check   *topo.Check
	checkAt string
	sorry   *rsIn
	quorum  int
	hyst    int
	dirs    []*dir
	notes   []string
}

type rsIn struct {
	addr         netip.Addr
	port         uint16
	weight       int
	upper, lower uint32
	pos          string
}

// rsNode is one real server host.
type rsNode struct {
	name  string
	addr  netip.Addr
	seg   int
	gw    netip.Addr
	gwWhy string
	http  bool
}

type segment struct {
	name   string
	subnet netip.Prefix
	why    string
}

type builder struct {
	opt      Options
	srcs     []*source
	dirs     []*dir
	services []*service
	segs     []*segment
	rs       []*rsNode
	used     map[netip.Addr]bool
	client   netip.Addr
	router   map[int]netip.Addr // TUN router's address per segment
	notes    []string
	caveats  []Caveat
	vrrp     []*vrrpIn
}

func newBuilder(srcs []*source, opt Options) *builder {
	return &builder{opt: opt, srcs: srcs, used: map[netip.Addr]bool{}}
}

func (b *builder) build() error {
	b.nameDirectors()
	b.collectServices()
	b.collectVRRP()
	b.caveatsOf()
	if err := b.place(); err != nil {
		return err
	}
	return nil
}

var nonName = regexp.MustCompile(`[^a-z0-9]+`)

// Sanitize makes s a lab or node name: lower case, runs of other
// characters than a-z and 0-9 as one -, at most 20 characters.
func Sanitize(s string) string { return sanitize(s) }

func sanitize(s string) string {
	s = strings.Trim(nonName.ReplaceAllString(strings.ToLower(s), "-"), "-")
	if len(s) > 20 {
		s = strings.TrimRight(s[:20], "-")
	}
	return s
}

// nameDirectors names each director after its router_id when those are
// distinct, else after its file.
func (b *builder) nameDirectors() {
	byID := map[string]int{}
	for _, s := range b.srcs {
		if s.cfg != nil && s.cfg.Global.RouterID != "" {
			byID[sanitize(s.cfg.Global.RouterID)]++
		}
	}
	taken := map[string]bool{"switch": true, "client": true, "router": true}
	for i, s := range b.srcs {
		d := &dir{src: s, ifaces: map[int]string{}, addrs: map[int]netip.Addr{}, extra: map[int][]netip.Addr{}, why: map[int][]string{}}
		var why string
		if s.cfg != nil && s.cfg.Global.RouterID != "" && byID[sanitize(s.cfg.Global.RouterID)] == 1 && sanitize(s.cfg.Global.RouterID) != "" {
			d.name = sanitize(s.cfg.Global.RouterID)
			why = fmt.Sprintf("named after router_id %s (%s)", s.cfg.Global.RouterID, s.cfg.Global.At("router_id"))
		} else {
			d.name = sanitize(strings.TrimSuffix(filepath.Base(s.path), filepath.Ext(s.path)))
			why = "named after its file"
			if s.cfg != nil && s.cfg.Global.RouterID != "" {
				why += " (the files share router_id " + s.cfg.Global.RouterID + ")"
			}
		}
		if d.name == "" || taken[d.name] {
			d.name = fmt.Sprintf("lvs%d", i+1)
			why = "named by its place on the command line"
		}
		taken[d.name] = true
		what := "runs " + s.path + " verbatim"
		switch {
		case s.peerOf != "":
			what = fmt.Sprintf("runs %s: the BACKUP peer of %s made as tutorials say (--peer): state BACKUP, priority %d, everything else equal", s.path, s.peerOf, b.opt.Peer)
		case s.save != nil:
			what = "programmed by lvslab from the ipvsadm-save dump " + s.path + " (no keepalived)"
		}
		d.why[-1] = []string{why, what}
		b.dirs = append(b.dirs, d)
	}
}

func ceilSecs(d time.Duration) int { return int(math.Ceil(d.Seconds())) }

func forwardOf(s string) topo.Forward { return topo.Forward(strings.ToLower(s)) }

// collectServices merges the directors' virtual servers by VIP, port and
// protocol, the first definition winning.
func (b *builder) collectServices() {
	byKey := map[string]*service{}
	add := func(d *dir, svc *service) {
		if old := byKey[svc.key]; old != nil {
			old.dirs = append(old.dirs, d)
			return
		}
		svc.dirs = []*dir{d}
		byKey[svc.key] = svc
		b.services = append(b.services, svc)
	}
	for _, d := range b.dirs {
		if d.src.cfg != nil {
			for _, vs := range d.src.cfg.Services {
				add(d, fromVirtualServer(vs))
			}
			continue
		}
		for _, ss := range d.src.save {
			svc := &service{key: fmt.Sprintf("%s/%s", netip.AddrPortFrom(ss.VIP, ss.Port), ss.Protocol),
				pos: fmt.Sprintf("%s:%d", d.src.path, ss.Line), vip: ss.VIP, port: ss.Port, proto: ss.Protocol, sched: ss.Scheduler}
			if ss.Persistent {
				svc.persist = &topo.Persistence{Timeout: ss.Timeout, Netmask: ss.Netmask}
			}
			for _, r := range ss.RealServers {
				if svc.forward == "" {
					svc.forward = r.Forward
				} else if r.Forward != svc.forward {
					svc.notes = append(svc.notes, fmt.Sprintf("%s:%d: the lab uses one forwarding method per service: %s, not %s", d.src.path, r.Line, svc.forward, r.Forward))
				}
				svc.rss = append(svc.rss, &rsIn{addr: r.RIP, port: r.Port, weight: r.Weight, upper: r.Upper, lower: r.Lower, pos: fmt.Sprintf("%s:%d", d.src.path, r.Line)})
			}
			if svc.forward == "" {
				svc.forward = topo.ForwardNAT
			}
			add(d, svc)
		}
	}
}

func fromVirtualServer(vs *conf.VirtualServer) *service {
	svc := &service{key: fmt.Sprintf("%s/%s", netip.AddrPortFrom(vs.VIP, vs.Port), strings.ToLower(vs.Protocol)),
		pos: vs.Node.Pos.String(), vip: vs.VIP, port: vs.Port, proto: strings.ToLower(vs.Protocol),
		sched: vs.Scheduler, forward: forwardOf(vs.Forward)}
	if vs.Persistence != nil {
		svc.persist = &topo.Persistence{Timeout: uint32(ceilSecs(*vs.Persistence))}
		if vs.Granularity.IsValid() {
			svc.persist.Netmask = vs.Granularity
		}
	}
	for _, r := range vs.RealServers {
		if r.Forward != "" && forwardOf(r.Forward) != svc.forward {
			svc.notes = append(svc.notes, fmt.Sprintf("%s: the lab uses one forwarding method per service: %s, not this real server's %s", r.At("lb_kind"), svc.forward, forwardOf(r.Forward)))
		}
		svc.rss = append(svc.rss, &rsIn{addr: r.Addr, port: r.Port, weight: r.Weight, upper: uint32(r.UThreshold), lower: uint32(r.LThreshold), pos: r.Node.Pos.String()})
		if svc.check == nil && len(r.Checks) > 0 {
			c := r.Checks[0]
			svc.check, svc.checkAt = topoCheck(c), c.Node.Pos.String()
			svc.check.InhibitOnFailure = r.InhibitOnFailure
			if svc.check.ConnectPort == r.Port {
				svc.check.ConnectPort = 0 // the real server's own port
			}
		}
	}
	if svc.check != nil {
		svc.quorum, svc.hyst = vs.Quorum, vs.Hysteresis
		if vs.Sorry != nil {
			port := vs.Sorry.Port
			if svc.forward != topo.ForwardNAT {
				port = 0
			}
			svc.sorry = &rsIn{addr: vs.Sorry.Addr, port: port, pos: vs.Sorry.Pos.String()}
		}
	}
	return svc
}

func topoCheck(c *conf.Check) *topo.Check {
	tc := &topo.Check{Type: c.Type, DelayLoop: ceilSecs(c.DelayLoop), ConnectTimeout: ceilSecs(c.ConnectTimeout),
		Retry: c.Retry, DelayBeforeRetry: ceilSecs(c.DelayBeforeRetry)}
	if c.Warmup != nil {
		w := ceilSecs(*c.Warmup)
		tc.Warmup = &w
	}
	if len(c.URLs) > 0 {
		tc.URL, tc.StatusCode = c.URLs[0].Path, c.URLs[0].StatusCode
	}
	tc.Script = c.MiscPath
	tc.ConnectPort = c.ConnectPort
	return tc
}

// vrrpIn is one vrrp_instance, merged over its members by name.
type vrrpIn struct {
	name    string
	first   *conf.Instance
	members []*member
	skip    string // why the lab file does not list it
}

type member struct {
	d  *dir
	in *conf.Instance
}

func (b *builder) collectVRRP() {
	byName := map[string]*vrrpIn{}
	for _, d := range b.dirs {
		if d.src.cfg == nil {
			continue
		}
		for _, in := range d.src.cfg.Instances {
			v := byName[in.Name]
			if v == nil {
				v = &vrrpIn{name: in.Name, first: in}
				byName[in.Name] = v
				b.vrrp = append(b.vrrp, v)
			}
			v.members = append(v.members, &member{d: d, in: in})
			if in.Interface != v.first.Interface && v.skip == "" {
				v.skip = fmt.Sprintf("%s names interface %s, %s names %s: the lab file's vrrp entry has one interface (the directors run their files all the same)", in.At("interface"), in.Interface, v.first.At("interface"), v.first.Interface)
			}
			if len(in.VIPs) == 0 && v.skip == "" {
				v.skip = fmt.Sprintf("%s: no virtual_ipaddress", in.Node.Pos)
			}
		}
	}
}

// caveatsOf lists what cannot run in the lab as written.
func (b *builder) caveatsOf() {
	for _, d := range b.dirs {
		if d.src.cfg != nil && d.src.peerOf == "" {
			b.caveats = append(b.caveats, caveatsOfFile(d.src, b.opt.Exists)...)
		}
	}
}

// caveatsOfFile lists what in s cannot run in the lab as written, by file
// (in the order read) and line; exists tells whether a program path
// exists.
func caveatsOfFile(s *source, exists func(string) bool) (out []Caveat) {
	type caveat struct {
		pos conf.Pos
		c   Caveat
	}
	var list []caveat
	add := func(p conf.Pos, format string, args ...any) *Caveat {
		list = append(list, caveat{p, Caveat{At: p.String(), Text: fmt.Sprintf(format, args...)}})
		return &list[len(list)-1].c
	}
	defer func() {
		// By file, in the order read, and line.
		slices.SortStableFunc(list, func(x, y caveat) int {
			if c := cmp.Compare(slices.Index(s.cfg.Files, x.pos.File), slices.Index(s.cfg.Files, y.pos.File)); c != 0 {
				return c
			}
			return cmp.Compare(x.pos.Line, y.pos.Line)
		})
		for _, c := range list {
			out = append(out, c.c)
		}
	}()
	// prog lists a program the file runs; ok is false when keepalived
	// cannot run it in the lab.
	prog := func(p conf.Pos, what, cmd string) (c *Caveat, ok bool) {
		name := strings.Trim(strings.Fields(cmd + " x")[0], `"'`)
		path, found := lookPath(name, exists)
		switch {
		case strings.ContainsAny(name, "<>|;&$`"):
			return add(p, "%s %q is shell syntax, which keepalived does not run (it execs the program): it fails in the lab as in production", what, cmd), false
		case !found:
			return add(p, "%s %s is not on this host: keepalived cannot run it (it disables it), so the lab does not show what it does in production (the lab shares the host's filesystem and writes nothing outside its state directory, so it puts no stub there)", what, name), false
		default:
			return add(p, "%s %s runs on this host, as root, in the director's network namespace but with the host's files and processes: make sure it changes nothing outside the lab and does not test the host instead", what, path), true
		}
	}
	for _, dg := range s.cfg.Diagnostics {
		switch {
		case dg.Key == conf.KeyIncludeMissing:
			add(dg.Pos, "include matches no file: keepalived reads on without it, as the lab does")
		case strings.HasPrefix(dg.Msg, "smtp_server:"):
			add(dg.Pos, "smtp_server: the lab has no mail server; keepalived's SMTP alerts fail quietly")
		}
	}
	if len(s.cfg.Files) > 1 {
		add(conf.Pos{File: s.path}, "includes %s: the lab runs keepalived on a copy of %s in the lab's state directory, so a relative include resolves there; give the lab absolute include paths", strings.Join(s.cfg.Files[1:], ", "), s.path)
	}
	for _, sc := range s.cfg.Scripts {
		if sc.Script != "" {
			prog(sc.At("script"), "vrrp_script "+sc.Name+" script", sc.Script)
		}
	}
	for _, in := range s.cfg.Instances {
		for _, k := range sortedKeys(in.Notify) {
			prog(in.At(k), k, in.Notify[k])
		}
		if in.SMTPAlert {
			add(in.At("smtp_alert"), "smtp_alert: the lab has no mail server; the alert fails quietly")
		}
	}
	for _, g := range s.cfg.SyncGroups {
		for _, k := range sortedKeys(g.Notify) {
			prog(g.At(k), k, g.Notify[k])
		}
	}
	for _, vs := range s.cfg.Services {
		defeats := func(c *Caveat, rs *conf.RealServer, what string) {
			c.Defeats = &Defeat{VIP: vs.VIP, Port: vs.Port, Protocol: strings.ToLower(vs.Protocol), RealServer: rs.Addr, What: what}
		}
		for _, rs := range vs.RealServers {
			if rs.NotifyUp != "" {
				prog(rs.At("notify_up"), "notify_up", rs.NotifyUp)
			}
			if rs.NotifyDown != "" {
				prog(rs.At("notify_down"), "notify_down", rs.NotifyDown)
			}
			for _, c := range rs.Checks {
				for _, u := range c.URLs {
					if u.Digest != "" {
						defeats(add(u.Pos, "HTTP_GET url %s digest %s: the lab's backend answers with its name and the connection's addresses, whose MD5 is never this, so keepalived takes real server %s out (and puts in the sorry server, if any)", u.Path, u.Digest, rs.Addr), rs,
							fmt.Sprintf("the %s digest of url %s", c.Type, u.Path))
					}
					if u.StatusCode != 0 && u.StatusCode != 200 {
						defeats(add(u.Pos, "HTTP_GET url %s status_code %d: the lab's backend answers 200, so keepalived takes real server %s out", u.Path, u.StatusCode, rs.Addr), rs,
							fmt.Sprintf("the %s status_code %d of url %s", c.Type, u.StatusCode, u.Path))
					}
				}
				if c.MiscPath != "" {
					if cv, ok := prog(c.At("misc_path"), "MISC_CHECK misc_path", c.MiscPath); !ok {
						defeats(cv, rs, "the MISC_CHECK script "+c.MiscPath)
					}
				}
			}
		}
	}
	return out // set by the deferred sort
}

// searchPath is where keepalived finds a program named without a path
// (the PATH systemd gives it).
var searchPath = []string{"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"}

// lookPath is the program keepalived would run for name, and whether
// there is one.
func lookPath(name string, exists func(string) bool) (string, bool) {
	if strings.HasPrefix(name, "/") {
		return name, exists(name)
	}
	for _, d := range searchPath {
		if p := d + "/" + name; exists(p) {
			return p, true
		}
	}
	return name, false
}

func sortedKeys(m map[string]string) []string {
	k := make([]string, 0, len(m))
	for x := range m {
		k = append(k, x)
	}
	slices.Sort(k)
	return k
}
