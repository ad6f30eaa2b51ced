package topo

import "slices"

// VRRP states a member starts in.
const (
	StateMaster = "MASTER"
	StateBackup = "BACKUP"
)

// Auth types keepalived's VRRPv2 accepts.
const (
	AuthPass = "PASS"
	AuthAH   = "AH"
)

// MaxAuthPass is the longest VRRP password; keepalived cuts longer ones.
const MaxAuthPass = 8

func (v *validator) vrrps() {
	vrids := map[uint8]string{}
	for i, x := range v.s.VRRP {
		base := join("vrrp", v.vrrpKeys[i])
		if x == nil {
			v.add(base, "empty vrrp entry")
			continue
		}
		v.name("vrrp", base, x.Name, pathSafe, "vrrp instance")
		if x.VRID == 0 {
			v.add(join(base, "vrid"), "vrid (virtual_router_id) must be in 1..255")
		} else if first, dup := vrids[x.VRID]; dup {
			v.add(join(base, "vrid"), "vrid %d is also used by the instance on line %d", x.VRID, v.s.Line(first))
		} else {
			vrids[x.VRID] = base
		}
		if x.AdvertInt < 1 {
			v.add(join(base, "advert_int"), "advert_int %d is below 1 second", x.AdvertInt)
		}
		if x.Interface == "" {
			v.add(join(base, "interface"), "an interface is required (the members' interface on the VIP's network)")
		}
		if len(x.VIPs) == 0 {
			v.add(join(base, "vips"), "at least one VIP is required")
		}
		if a := x.Auth; a != nil {
			ab := join(base, "auth")
			switch a.Type {
			case AuthPass, AuthAH:
			default:
				v.add(join(ab, "type"), "unknown auth type %q (want PASS or AH)", a.Type)
			}
			switch {
			case a.Pass == "":
				v.add(join(ab, "pass"), "auth needs a pass")
			case len(a.Pass) > MaxAuthPass:
				v.add(join(ab, "pass"), "auth pass is longer than %d characters (keepalived cuts it)", MaxAuthPass)
			}
		}
		v.members(x, base)
	}
}

func (v *validator) members(x *VRRP, base string) {
	if len(x.Members) == 0 {
		v.add(join(base, "members"), "a vrrp instance needs members (its directors)")
	}
	keys := elemKeys(names(x.Members, func(m *Member) string { return m.Node }))
	coll := join(base, "members")
	var segment, segOwner string
	for i, m := range x.Members {
		mb := join(coll, keys[i])
		if m == nil {
			v.add(mb, "empty member entry")
			continue
		}
		switch m.State {
		case StateMaster, StateBackup:
		case "":
			v.add(join(mb, "state"), "a state is required (MASTER or BACKUP)")
		default:
			v.add(join(mb, "state"), "unknown state %q (want MASTER or BACKUP)", m.State)
		}
		if m.NoPreempt && m.State != StateBackup {
			v.add(join(mb, "nopreempt"), "nopreempt needs state BACKUP (keepalived ignores it on a MASTER)")
		}
		if m.Priority < 1 || m.Priority > 255 {
			v.add(join(mb, "priority"), "priority %d is out of range 1..255", m.Priority)
		}
		if m.PreemptDelay < 0 || m.PreemptDelay > 1000 {
			v.add(join(mb, "preempt_delay"), "preempt_delay %d is out of range 0..1000", m.PreemptDelay)
		}
		np := join(mb, "node")
		n := v.s.node(m.Node)
		switch {
		case m.Node == "":
			v.add(np, "a member names its node")
			continue
		case n == nil:
			v.add(np, "unknown node %q", m.Node)
			continue
		case n.Role != RoleDirector:
			v.add(np, "%s, not a director", describe(n))
		case slices.IndexFunc(x.Members, func(o *Member) bool { return o != nil && o.Node == m.Node }) < i:
			v.add(np, "director %s is a member twice", m.Node)
		}
		if x.Interface == "" {
			continue
		}
		i := slices.IndexFunc(n.Interfaces, func(ifc *Interface) bool { return ifc != nil && ifc.Name == x.Interface })
		if i < 0 {
			v.add(np, "node %s has no interface %s", m.Node, x.Interface)
			continue
		}
		switch seg := n.Interfaces[i].Segment; {
		case segment == "":
			segment, segOwner = seg, m.Node
		case seg != segment:
			v.add(np, "%s of director %s is on segment %s, but %s's is on %s: VRRP adverts need one network", x.Interface, m.Node, seg, segOwner, segment)
		}
	}
}
