package conf

import (
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// VirtualServer is a virtual_server: `VIP PORT` or `fwmark N`.
type VirtualServer struct {
	Block
	VIP    netip.Addr // invalid for a firewall-mark service
	Port   uint16     // 0: every port (with persistence)
	FWMark uint32
	// Scheduler is lb_algo / lvs_sched (keepalived's default: wlc).
	Scheduler string
	// Forward is lb_kind / lvs_method: NAT (keepalived's default), DR, TUN.
	Forward string
	// Persistence is persistence_timeout, nil when unwritten; a bare
	// persistence_timeout is keepalived's 6 minutes.
	Persistence *time.Duration
	// Granularity is persistence_granularity (ipvsadm -M).
	Granularity netip.Addr
	// Protocol is TCP, UDP or SCTP. Unwritten, keepalived 2.2 makes an
	// address service UDP (the kernel's default for protocol 0), with a
	// warning; a firewall-mark service has none.
	Protocol string
	// DelayLoop is the checkers' interval (default 60 s), unless a real
	// server or check sets its own.
	DelayLoop  time.Duration
	Quorum     int // default 1
	Hysteresis int
	Alpha      bool
	Omega      bool
	// Sorry is sorry_server ADDR [PORT].
	Sorry       *Endpoint
	RealServers []*RealServer
	// checkDefaults are connect_timeout, retry, … written at this level.
	checkDefaults checkFields
}

// Endpoint is an address and optional port.
type Endpoint struct {
	Pos  Pos
	Addr netip.Addr
	Port uint16
}

// Defaults of a virtual_server and its checks (keepalived 2.2 manual).
const (
	DefaultDelayLoop      = 60 * time.Second
	DefaultConnectTimeout = 5 * time.Second
	DefaultPersistence    = 6 * time.Minute
	DefaultForward        = "NAT"
	DefaultProtocol       = "UDP"
	DefaultScheduler      = "wlc"
)

// RealServer is a real_server block.
type RealServer struct {
	Block
	Addr             netip.Addr
	Port             uint16
	Weight           int // default 1; 0 quiesces
	InhibitOnFailure bool
	// Forward overrides the virtual server's, if set.
	Forward    string
	UThreshold int
	LThreshold int
	NotifyUp   string
	NotifyDown string
	Checks     []*Check
}

var forwards = map[string]string{"NAT": "NAT", "DR": "DR", "TUN": "TUN"}

func (v *viewer) virtualServer(b *Node) *VirtualServer {
	vs := &VirtualServer{Block: Block{b}, Forward: DefaultForward, Protocol: DefaultProtocol,
		Scheduler: DefaultScheduler, DelayLoop: DefaultDelayLoop, Quorum: 1}
	switch {
	case b.Arg(0) == "group":
		v.d.add(b.Pos, Unsupported, "virtual_server group %s: virtual_server_group is out of lvslab's scope", b.Arg(1))
		return nil
	case b.Arg(0) == "fwmark":
		if len(b.Args) != 2 {
			v.errorf(b, "fwmark needs one mark number")
			return nil
		}
		m, err := strconv.ParseUint(b.Args[1], 10, 32)
		if err != nil || m == 0 {
			v.errorf(b, "%q is not a firewall mark (1 to 4294967295)", b.Args[1])
			return nil
		}
		vs.FWMark = uint32(m)
	default:
		if len(b.Args) == 0 || len(b.Args) > 2 {
			v.errorf(b, "needs VIP [PORT], fwmark N or group NAME")
			return nil
		}
		a, ok := v.addr(b, b.Args[0])
		if !ok {
			return nil
		}
		vs.VIP = a
		if len(b.Args) == 2 {
			if vs.Port, ok = v.port(b, b.Args[1]); !ok {
				return nil
			}
		}
	}
	for _, n := range b.Children {
		switch n.Keyword {
		case "lb_algo", "lvs_sched":
			vs.Scheduler, _ = v.value(n)
		case "lb_kind", "lvs_method":
			vs.Forward = v.forward(n)
		case "persistence_timeout":
			d := DefaultPersistence
			if len(n.Args) > 0 {
				d, _ = v.timer(n)
			}
			vs.Persistence = &d
		case "persistence_granularity":
			if s, ok := v.value(n); ok {
				vs.Granularity, _ = v.addr(n, s)
			}
		case "protocol":
			s, _ := v.value(n)
			switch p := strings.ToUpper(s); p {
			case "TCP", "UDP", "SCTP":
				vs.Protocol = p
			default:
				v.errorf(n, "%q is not TCP, UDP or SCTP", s)
			}
		case "delay_loop":
			if d, ok := v.timer(n); ok {
				vs.DelayLoop = d
			}
		case "quorum":
			vs.Quorum, _ = v.int(n, 0, 1<<30)
		case "hysteresis":
			vs.Hysteresis, _ = v.int(n, 0, 1<<30)
		case "alpha":
			vs.Alpha = v.flag(n)
		case "omega":
			vs.Omega = v.flag(n)
		case "sorry_server":
			vs.Sorry = v.endpoint(n)
		case "real_server":
			if v.needBlock(n) {
				if rs := v.realServer(n, vs); rs != nil {
					vs.RealServers = append(vs.RealServers, rs)
				}
			}
		default:
			if !v.checkField(n, &vs.checkDefaults) {
				v.other("virtual_server", n)
			}
		}
	}
	v.settle(vs)
	return vs
}

// forward reads lb_kind / lvs_method.
func (v *viewer) forward(n *Node) string {
	s := strings.ToUpper(n.Arg(0))
	f, ok := forwards[s]
	if !ok {
		v.errorf(n, "%q is not NAT, DR or TUN", n.Arg(0))
		return DefaultForward
	}
	if len(n.Args) > 1 {
		v.d.add(n.Pos, Unsupported, "%s: tunnel options %q: lvslab's TUN labs use plain ipip", n.Keyword, strings.Join(n.Args[1:], " "))
	}
	return f
}

// endpoint reads `ADDR [PORT]`.
func (v *viewer) endpoint(n *Node) *Endpoint {
	if len(n.Args) == 0 || len(n.Args) > 2 {
		v.errorf(n, "needs ADDRESS [PORT]")
		return nil
	}
	e := &Endpoint{Pos: n.Pos}
	var ok bool
	if e.Addr, ok = v.addr(n, n.Args[0]); !ok {
		return nil
	}
	if len(n.Args) == 2 {
		if e.Port, ok = v.port(n, n.Args[1]); !ok {
			return nil
		}
	}
	return e
}

func (v *viewer) realServer(b *Node, vs *VirtualServer) *RealServer {
	e := v.endpoint(b)
	if e == nil {
		return nil
	}
	rs := &RealServer{Block: Block{b}, Addr: e.Addr, Port: e.Port, Weight: 1}
	fields := vs.checkDefaults
	var checks []*Node
	for _, n := range b.Children {
		switch n.Keyword {
		case "weight":
			rs.Weight, _ = v.int(n, 0, 65535)
		case "inhibit_on_failure":
			rs.InhibitOnFailure = v.flag(n)
		case "lb_kind", "lvs_method":
			rs.Forward = v.forward(n)
		case "uthreshold":
			rs.UThreshold, _ = v.int(n, 0, 1<<30)
		case "lthreshold":
			rs.LThreshold, _ = v.int(n, 0, 1<<30)
		case "notify_up":
			rs.NotifyUp = strings.Join(n.Args, " ")
		case "notify_down":
			rs.NotifyDown = strings.Join(n.Args, " ")
		case "TCP_CHECK", "HTTP_GET", "MISC_CHECK":
			if v.needBlock(n) {
				checks = append(checks, n)
			}
		default:
			if !v.checkField(n, &fields) {
				v.other("real_server", n)
			}
		}
	}
	// Checks inherit what the virtual and real server set.
	for _, n := range checks {
		rs.Checks = append(rs.Checks, v.check(n, vs, fields))
	}
	return rs
}
