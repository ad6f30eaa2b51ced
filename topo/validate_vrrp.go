package topo

import (
	"path/filepath"
	"slices"
	"strings"
)

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

// MaxScriptWeight bounds a vrrp_script's weight (keepalived: -253..253).
const MaxScriptWeight = 253

func (v *validator) vrrps() {
	v.vrrpScripts()
	vrids := map[uint8]string{}
	// syncs maps a director to the instance whose sync daemon it runs:
	// keepalived has one lvs_sync_daemon per configuration.
	syncs := map[string]string{}
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
		v.tracks(x, base)
		if x.Notify != "" && !filepath.IsAbs(strings.Fields(x.Notify)[0]) {
			v.add(join(base, "notify"), "notify %q does not start with an absolute path (keepalived's script security wants one)", x.Notify)
		}
		if x.SyncDaemon != "" {
			for _, m := range x.Members {
				if m == nil {
					continue
				}
				if first, dup := syncs[m.Node]; dup {
					v.add(join(base, "sync_daemon"), "director %s already runs the sync daemon of instance %s (keepalived has one lvs_sync_daemon)", m.Node, first)
					continue
				}
				syncs[m.Node] = x.Name
			}
		}
	}
}

// vrrpScripts checks the vrrp_script blocks.
func (v *validator) vrrpScripts() {
	keys := elemKeys(scriptNames(v.s.VRRPScripts))
	for i, sc := range v.s.VRRPScripts {
		base := join("vrrp_scripts", keys[i])
		if sc == nil {
			v.add(base, "empty vrrp_script entry")
			continue
		}
		v.name("vrrp_scripts", base, sc.Name, pathSafe, "vrrp_script")
		switch f := strings.Fields(sc.Script); {
		case len(f) == 0:
			v.add(join(base, "script"), "a vrrp_script needs a script (the command to run)")
		case !filepath.IsAbs(f[0]):
			v.add(join(base, "script"), "script %q does not start with an absolute path (keepalived's script security wants one)", sc.Script)
		}
		if sc.Interval < 1 {
			v.add(join(base, "interval"), "interval %d is below 1 second", sc.Interval)
		}
		if sc.Timeout < 0 {
			v.add(join(base, "timeout"), "timeout %d is negative", sc.Timeout)
		}
		if sc.Weight < -MaxScriptWeight || sc.Weight > MaxScriptWeight {
			v.add(join(base, "weight"), "weight %d is out of range %d..%d", sc.Weight, -MaxScriptWeight, MaxScriptWeight)
		}
		if sc.Fall < 1 {
			v.add(join(base, "fall"), "fall %d is below 1", sc.Fall)
		}
		if sc.Rise < 1 {
			v.add(join(base, "rise"), "rise %d is below 1", sc.Rise)
		}
	}
}

// tracks checks an instance's track_scripts.
func (v *validator) tracks(x *VRRP, base string) {
	for j, name := range x.TrackScripts {
		p := index(join(base, "track_scripts"), j)
		switch {
		case !slices.ContainsFunc(v.s.VRRPScripts, func(sc *VRRPScript) bool { return sc != nil && sc.Name == name }):
			v.add(p, "unknown vrrp_script %q (define it under vrrp_scripts)", name)
		case slices.Index(x.TrackScripts, name) < j:
			v.add(p, "vrrp_script %s is tracked twice", name)
		}
	}
}

func (v *validator) members(x *VRRP, base string) {
	if len(x.Members) == 0 {
		v.add(join(base, "members"), "a vrrp instance needs members (its directors)")
	}
	if x.Unicast && len(x.Members) == 1 {
		v.add(join(base, "unicast"), "unicast needs at least two members (each one's peers are the others)")
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
		} else if m.PreemptDelay > 0 && m.State != StateBackup {
			v.add(join(mb, "preempt_delay"), "preempt_delay needs state BACKUP (keepalived ignores it on a MASTER)")
		}
		np := join(mb, "node")
		n := v.s.Node(m.Node)
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
		ifc := n.Interface(x.Interface)
		if ifc == nil {
			v.add(np, "node %s has no interface %s", m.Node, x.Interface)
			continue
		}
		if x.Unicast && len(ifc.Addresses) == 0 {
			v.add(np, "node %s has no address on %s to send unicast adverts from", m.Node, x.Interface)
		}
		if x.SyncDaemon != "" && n.Interface(x.SyncDaemon) == nil {
			v.add(join(base, "sync_daemon"), "node %s has no interface %s for the sync daemon", m.Node, x.SyncDaemon)
		}
		switch seg := ifc.Segment; {
		case segment == "":
			segment, segOwner = seg, m.Node
		case seg != segment:
			v.add(np, "%s of director %s is on segment %s, but %s's is on %s: VRRP adverts need one network", x.Interface, m.Node, seg, segOwner, segment)
		}
	}
}
