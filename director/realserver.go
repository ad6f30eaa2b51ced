package director

import (
	"fmt"
	"net"
	"syscall"

	"github.com/moby/ipvs"

	"github.com/lvslab/lvslab/topo"
)

// AddRealServer adds rs to the virtual service svc, forwarding by
// svc.Forward, with rs's weight and connection thresholds.
//
// Equivalent to: `ipvsadm -a -t VIP:PORT -r RIP:PORT -g|-m|-i -w WEIGHT
// [-x UPPER -y LOWER]`.
func (d *Director) AddRealServer(svc *topo.Service, rs *topo.RealServer) error {
	s, dest, err := kernelPair(svc, rs)
	if err == nil {
		err = d.ipvs.NewDestination(s, dest)
	}
	if err != nil {
		return fmt.Errorf("add real server %s to %s on %s: %w", rsName(rs), ServiceName(svc), d.host.Name(), err)
	}
	return nil
}

// EditRealServer sets an existing real server's forwarding method, weight
// and thresholds to what svc and rs say. Weight 0 quiesces it: no new
// connections, existing ones go on.
//
// Equivalent to: `ipvsadm -e -t VIP:PORT -r RIP:PORT -g|-m|-i -w WEIGHT
// [-x UPPER -y LOWER]`.
func (d *Director) EditRealServer(svc *topo.Service, rs *topo.RealServer) error {
	s, dest, err := kernelPair(svc, rs)
	if err == nil {
		err = d.ipvs.UpdateDestination(s, dest)
	}
	if err != nil {
		return fmt.Errorf("edit real server %s of %s on %s: %w", rsName(rs), ServiceName(svc), d.host.Name(), err)
	}
	return nil
}

// Quiesce sets a real server's weight to 0, keeping the rest.
//
// Equivalent to: `ipvsadm -e -t VIP:PORT -r RIP:PORT -w 0`.
func (d *Director) Quiesce(svc *topo.Service, rs *topo.RealServer) error {
	zero := 0
	q := *rs
	q.Weight = &zero
	return d.EditRealServer(svc, &q)
}

// DeleteRealServer removes rs from the virtual service svc.
//
// Equivalent to: `ipvsadm -d -t VIP:PORT -r RIP:PORT`.
func (d *Director) DeleteRealServer(svc *topo.Service, rs *topo.RealServer) error {
	s, dest, err := kernelPair(svc, rs)
	if err == nil {
		err = d.ipvs.DelDestination(s, dest)
	}
	if err != nil {
		return fmt.Errorf("delete real server %s of %s on %s: %w", rsName(rs), ServiceName(svc), d.host.Name(), err)
	}
	return nil
}

func kernelPair(svc *topo.Service, rs *topo.RealServer) (*ipvs.Service, *ipvs.Destination, error) {
	s, err := kernelService(svc)
	if err != nil {
		return nil, nil, err
	}
	dest, err := kernelDestination(svc, rs)
	if err != nil {
		return nil, nil, err
	}
	return s, dest, nil
}

// kernelDestination is rs as moby/ipvs takes it. An unset weight is
// ipvsadm's default 1; an unset port is the service's.
func kernelDestination(svc *topo.Service, rs *topo.RealServer) (*ipvs.Destination, error) {
	if !rs.RIP.Is4() {
		return nil, fmt.Errorf("real server %s: rip %v is no IPv4 address (defaults not applied?)", rs.Node, rs.RIP)
	}
	weight := topo.DefaultWeight
	if rs.Weight != nil {
		weight = *rs.Weight
	}
	if weight < 0 {
		return nil, fmt.Errorf("real server %s: negative weight %d", rs.Node, weight)
	}
	port := rs.Port
	if port == 0 {
		port = svc.Port
	}
	fwd, err := forwardFlag(svc.Forward)
	if err != nil {
		return nil, err
	}
	return &ipvs.Destination{
		AddressFamily:   syscall.AF_INET,
		Address:         net.IP(rs.RIP.AsSlice()),
		Port:            port,
		Weight:          weight,
		ConnectionFlags: fwd,
		UpperThreshold:  rs.Upper,
		LowerThreshold:  rs.Lower,
	}, nil
}

func forwardFlag(f topo.Forward) (uint32, error) {
	switch f {
	case topo.ForwardNAT:
		return ipvs.ConnectionFlagMasq, nil
	case topo.ForwardTUN:
		return ipvs.ConnectionFlagTunnel, nil
	case topo.ForwardDR, "":
		return ipvs.ConnectionFlagDirectRoute, nil
	}
	return 0, fmt.Errorf("forward %q: want nat, dr or tun", f)
}

func rsName(rs *topo.RealServer) string {
	if rs.Node != "" {
		return rs.Node
	}
	return rs.RIP.String()
}
