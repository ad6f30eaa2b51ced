package conf

// settle applies what keepalived 2.2 does to a virtual server once read
// (check_parser.c, validate_check_config): the protocol it defaults to,
// persistence for a port-0 service, real-server ports it resets, quorum
// and hysteresis it lowers. Each change it would log is a Warning here,
// so the view is what keepalived runs, and the file's reader knows why.
func (v *viewer) settle(vs *VirtualServer) {
	b := vs.Block
	switch {
	case vs.FWMark != 0:
		vs.Protocol = ""
		if b.Has("protocol") {
			v.d.add(b.At("protocol"), Warning, "protocol: ignored for a firewall-mark service (the mark's rule decides)")
		}
	case !b.Has("protocol"):
		v.d.addKey(b.Node.Pos, Warning, KeyNoProtocol, "virtual_server %s has no protocol line: keepalived 2.2 makes it UDP", vs.Name())
	}
	if vs.FWMark == 0 && vs.Port == 0 && vs.Persistence == nil {
		d := DefaultPersistence
		vs.Persistence = &d
		v.d.add(b.Node.Pos, Warning, "virtual_server %s: port 0 is only valid with persistence; keepalived sets persistence_timeout %s", vs.Name(), secs(d))
	}
	weights := 0
	for _, rs := range vs.RealServers {
		weights += rs.Weight
		nat := rs.Forward == "NAT" || rs.Forward == "" && vs.Forward == "NAT"
		switch {
		case vs.FWMark == 0 && rs.Port == 0:
			rs.Port = vs.Port
		case vs.FWMark == 0 && !nat && rs.Port != vs.Port:
			v.d.add(rs.Node.Pos, Warning, "real_server %s port %d: not NAT, so it must be the virtual server's port; keepalived resets it to %d", rs.Addr, rs.Port, vs.Port)
			rs.Port = vs.Port
		case vs.FWMark != 0 && !nat && rs.Port != 0:
			v.d.add(rs.Node.Pos, Warning, "real_server %s port %d: a firewall-mark service's DR or TUN real server has no port; keepalived clears it", rs.Addr, rs.Port)
			rs.Port = 0
		}
	}
	if len(vs.RealServers) > 0 && vs.Quorum > weights {
		v.d.add(b.At("quorum"), Warning, "quorum %d exceeds the real servers' total weight %d; keepalived lowers it to %d", vs.Quorum, weights, weights)
		vs.Quorum = weights
	}
	if vs.Hysteresis > 0 && vs.Hysteresis >= vs.Quorum {
		h := max(vs.Quorum-1, 0)
		v.d.add(b.At("hysteresis"), Warning, "hysteresis %d is not below quorum %d; keepalived sets it to %d", vs.Hysteresis, vs.Quorum, h)
		vs.Hysteresis = h
	}
	if len(vs.RealServers) == 0 {
		v.d.add(b.Node.Pos, Warning, "virtual_server %s has no real servers; keepalived ignores it", vs.Name())
	}
}
