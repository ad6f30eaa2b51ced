package conf

import (
	"net/netip"
	"strings"
	"time"
)

// Instance is a vrrp_instance.
type Instance struct {
	Block
	Name      string
	State     string // MASTER or BACKUP (default BACKUP)
	Interface string
	VRID      int // virtual_router_id, 1-255; 0 when missing
	Priority  int // default 100
	AdvertInt time.Duration
	Auth      *Auth
	VIPs      []*VIP
	// ExcludedVIPs are virtual_ipaddress_excluded: moved with the
	// instance but not in the adverts.
	ExcludedVIPs []*VIP
	UnicastSrcIP netip.Addr
	UnicastPeers []netip.Addr
	NoPreempt    bool
	PreemptDelay time.Duration
	TrackScripts []*Track
	TrackIfaces  []*Track
	Notify       map[string]string // notify, notify_master, … → program
	SMTPAlert    bool
	// SyncDaemonInterface is the old lvs_sync_daemon_interface.
	SyncDaemonInterface string
}

// Defaults of a vrrp_instance.
const (
	DefaultPriority  = 100
	DefaultAdvertInt = time.Second
)

// Auth is an instance's authentication block.
type Auth struct {
	Block
	Type string // PASS or AH
	Pass string // as written; keepalived uses the first 8 characters
}

// VIP is one line of virtual_ipaddress: ADDR[/LEN] [dev IF] [brd B]
// [label L] [scope S].
type VIP struct {
	Pos    Pos
	Prefix netip.Prefix // /32 when no length is written
	Dev    string
	Brd    string
	Label  string
	Scope  string
}

// Track is one line of track_script or track_interface: a name and its
// optional weight.
type Track struct {
	Pos    Pos
	Name   string
	Weight int
}

func (v *viewer) instance(b *Node) *Instance {
	in := &Instance{Block: Block{b}, Name: b.Arg(0), State: "BACKUP",
		Priority: DefaultPriority, AdvertInt: DefaultAdvertInt, Notify: map[string]string{}}
	for _, n := range b.Children {
		switch n.Keyword {
		case "state":
			s, _ := v.value(n)
			switch strings.ToUpper(s) {
			case "MASTER", "BACKUP":
				in.State = strings.ToUpper(s)
			default:
				v.errorf(n, "%q is neither MASTER nor BACKUP", s)
			}
		case "interface":
			in.Interface, _ = v.value(n)
		case "virtual_router_id":
			in.VRID, _ = v.int(n, 1, 255)
		case "priority":
			if p, ok := v.int(n, 1, 255); ok {
				in.Priority = p
			}
		case "advert_int":
			if d, ok := v.timer(n); ok {
				in.AdvertInt = d
			}
		case "authentication":
			in.Auth = v.auth(n)
		case "virtual_ipaddress":
			in.VIPs = v.vips(n)
		case "virtual_ipaddress_excluded":
			in.ExcludedVIPs = v.vips(n)
		case "unicast_src_ip":
			if s, ok := v.value(n); ok {
				in.UnicastSrcIP, _ = v.addr(n, s)
			}
		case "unicast_peer":
			for _, c := range names(n) {
				if a, ok := v.addr(c, c.Keyword); ok {
					in.UnicastPeers = append(in.UnicastPeers, a)
				}
			}
		case "nopreempt":
			in.NoPreempt = v.flag(n)
		case "preempt":
			in.NoPreempt = !v.flag(n)
		case "preempt_delay":
			in.PreemptDelay, _ = v.timer(n)
		case "track_script":
			in.TrackScripts = v.tracks(n)
		case "track_interface":
			in.TrackIfaces = v.tracks(n)
		case "notify", "notify_master", "notify_backup", "notify_fault", "notify_stop", "notify_master_rx_lower_pri":
			in.Notify[n.Keyword] = strings.Join(n.Args, " ")
		case "smtp_alert":
			in.SMTPAlert = v.flag(n)
		case "lvs_sync_daemon_interface":
			in.SyncDaemonInterface, _ = v.value(n)
		default:
			v.other("vrrp_instance", n)
		}
	}
	if in.VRID == 0 && !(Block{b}).Has("virtual_router_id") {
		v.errorf(b, "%s has no virtual_router_id", in.Name)
	}
	return in
}

func (v *viewer) auth(b *Node) *Auth {
	a := &Auth{Block: Block{b}}
	for _, n := range names(b) {
		switch n.Keyword {
		case "auth_type":
			s, _ := v.value(n)
			a.Type = strings.ToUpper(s)
			if a.Type != "PASS" && a.Type != "AH" {
				v.errorf(n, "%q is neither PASS nor AH", s)
			}
		case "auth_pass":
			a.Pass, _ = v.value(n)
		default:
			v.other("authentication", n)
		}
	}
	return a
}

// vips reads a virtual_ipaddress block.
func (v *viewer) vips(b *Node) []*VIP {
	var out []*VIP
	for _, n := range names(b) {
		vip := &VIP{Pos: n.Pos}
		s := n.Keyword
		if strings.Contains(s, "/") {
			p, err := netip.ParsePrefix(s)
			if err != nil {
				v.d.add(n.Pos, Error, "virtual_ipaddress: %q is not an address or prefix", s)
				continue
			}
			if !p.Addr().Is4() {
				v.d.add(n.Pos, Unsupported, "virtual_ipaddress: IPv6 address %s: lvslab labs are IPv4 only", s)
				continue
			}
			vip.Prefix = p
		} else {
			a, ok := v.addr(&Node{Pos: n.Pos, Keyword: "virtual_ipaddress"}, s)
			if !ok {
				continue
			}
			vip.Prefix = netip.PrefixFrom(a, 32)
		}
		for i := 0; i < len(n.Args); i++ {
			opt := n.Args[i]
			val := ""
			if i+1 < len(n.Args) {
				val = n.Args[i+1]
			}
			switch opt {
			case "dev":
				vip.Dev = val
			case "brd", "broadcast":
				vip.Brd = val
			case "label":
				vip.Label = val
			case "scope":
				vip.Scope = val
			default:
				v.d.add(n.Pos, Note, "virtual_ipaddress %s: option %q kept as written; lvslab does not model it", s, opt)
				continue
			}
			i++
		}
		out = append(out, vip)
	}
	return out
}

// tracks reads a track_script or track_interface block: NAME [weight W].
func (v *viewer) tracks(b *Node) []*Track {
	var out []*Track
	for _, n := range names(b) {
		t := &Track{Pos: n.Pos, Name: n.Keyword}
		if n.Arg(0) == "weight" && len(n.Args) == 2 {
			w, ok := v.int(&Node{Pos: n.Pos, Keyword: n.Keyword + " weight", Args: n.Args[1:]}, -254, 254)
			if ok {
				t.Weight = w
			}
		} else if len(n.Args) > 0 {
			v.d.add(n.Pos, Unknown, "%s: %q ignored (expected: NAME [weight W])", b.Keyword, strings.Join(n.Args, " "))
		}
		out = append(out, t)
	}
	return out
}
