package director

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"

	"github.com/moby/ipvs"

	"github.com/lvslab/lvslab/topo"
)

// Service flags (IP_VS_SVC_F_*), which moby/ipvs does not name.
const (
	persistentFlag = 0x1 // IP_VS_SVC_F_PERSISTENT
	hashedFlag     = 0x2 // IP_VS_SVC_F_HASHED, set by the kernel
)

// allOnes is the netmask of one template per client (-M 255.255.255.255),
// in any byte order.
const allOnes = 0xffffffff

// AddService adds the virtual service svc, without its real servers.
//
// Equivalent to: `ipvsadm -A -t|-u|--sctp-service VIP:PORT -s SCHED
// [-p TIMEOUT -M NETMASK]`, or `ipvsadm -A -f MARK …` for a firewall-mark
// service.
func (d *Director) AddService(svc *topo.Service) error {
	LoadScheduler(svc.Scheduler)
	s, err := kernelService(svc)
	if err == nil {
		err = schedulerError(svc, d.ipvs.NewService(s))
	}
	if err != nil {
		return fmt.Errorf("add service %s on %s: %w", ServiceName(svc), d.host.Name(), err)
	}
	return nil
}

// EditService changes an existing virtual service to what svc says:
// scheduler, persistence timeout and netmask. Real servers are kept.
// moby/ipvs's UpdateService sends every flag, so the service's other
// flags are read from the kernel first and sent back unchanged.
//
// Equivalent to: `ipvsadm -E -t VIP:PORT -s SCHED [-p TIMEOUT -M NETMASK]`
// (or `-E -f MARK …`).
func (d *Director) EditService(svc *topo.Service) error {
	LoadScheduler(svc.Scheduler)
	s, err := kernelService(svc)
	if err == nil {
		var cur *ipvs.Service
		if cur, err = d.ipvs.GetService(s); err == nil {
			s.Flags |= cur.Flags &^ (persistentFlag | hashedFlag)
			err = schedulerError(svc, d.ipvs.UpdateService(s))
		}
	}
	if err != nil {
		return fmt.Errorf("edit service %s on %s: %w", ServiceName(svc), d.host.Name(), err)
	}
	return nil
}

// DeleteService removes a virtual service and its real servers.
//
// Equivalent to: `ipvsadm -D -t VIP:PORT` (or `-D -f MARK`).
func (d *Director) DeleteService(svc *topo.Service) error {
	s, err := kernelService(svc)
	if err == nil {
		err = d.ipvs.DelService(s)
	}
	if err != nil {
		return fmt.Errorf("delete service %s on %s: %w", ServiceName(svc), d.host.Name(), err)
	}
	return nil
}

// Flush removes every virtual service of the director.
//
// Equivalent to: `ipvsadm -C`.
func (d *Director) Flush() error {
	if err := d.ipvs.Flush(); err != nil {
		return fmt.Errorf("flush ipvs on %s: %w", d.host.Name(), err)
	}
	return nil
}

// Clear empties a director's IPVS table with a handle of its own, for
// callers that hold none (keepalived's preparation, a simulated reboot).
//
// Equivalent to: `ip netns exec NS ipvsadm -C`.
func Clear(h *topo.Host) error {
	d, err := Open(h)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Flush()
}

// ServiceName names a service as ipvsadm's arguments do: "tcp 1.2.3.4:80"
// or "fwmark 3".
func ServiceName(svc *topo.Service) string {
	if svc.FWMark != 0 {
		return fmt.Sprintf("fwmark %d", svc.FWMark)
	}
	proto := svc.Protocol
	if proto == "" {
		proto = topo.DefaultProtocol
	}
	return proto + " " + netip.AddrPortFrom(svc.VIP, svc.Port).String()
}

// kernelService is svc as moby/ipvs takes it. Without persistence, and with
// persistence but no netmask, the netmask is all ones: moby/ipvs would
// otherwise send 0, which puts every client under one template.
func kernelService(svc *topo.Service) (*ipvs.Service, error) {
	sched := svc.Scheduler
	if sched == "" {
		sched = topo.DefaultScheduler
	}
	s := &ipvs.Service{
		AddressFamily: syscall.AF_INET,
		SchedName:     sched,
		Netmask:       allOnes,
	}
	if svc.FWMark != 0 {
		s.FWMark = svc.FWMark
	} else {
		if !svc.VIP.Is4() {
			return nil, fmt.Errorf("VIP %v: only IPv4 services are supported", svc.VIP)
		}
		proto, err := protocolNumber(svc.Protocol)
		if err != nil {
			return nil, err
		}
		s.Address = net.IP(svc.VIP.AsSlice())
		s.Port = svc.Port
		s.Protocol = proto
	}
	if p := svc.Persistence; p != nil {
		s.Flags |= persistentFlag
		s.Timeout = p.Timeout
		if p.Timeout == 0 {
			s.Timeout = topo.DefaultPersistenceTimeout
		}
		if p.Netmask.IsValid() {
			if !p.Netmask.Is4() {
				return nil, fmt.Errorf("persistence netmask %v: want an IPv4 mask", p.Netmask)
			}
			s.Netmask = kernelMask(p.Netmask)
		}
	}
	return s, nil
}

// kernelMask is a netmask as moby/ipvs sends it: the kernel keeps the mask
// in network byte order (__be32) and moby/ipvs writes the uint32 in host
// order, so the value must have the mask's bytes in memory order.
func kernelMask(m netip.Addr) uint32 {
	b := m.As4()
	return binary.NativeEndian.Uint32(b[:])
}

// maskAddr is the inverse of kernelMask, for printing.
func maskAddr(m uint32) netip.Addr {
	var b [4]byte
	binary.NativeEndian.PutUint32(b[:], m)
	return netip.AddrFrom4(b)
}

func protocolNumber(p string) (uint16, error) {
	switch p {
	case "", "tcp":
		return syscall.IPPROTO_TCP, nil
	case "udp":
		return syscall.IPPROTO_UDP, nil
	case "sctp":
		return syscall.IPPROTO_SCTP, nil
	}
	return 0, fmt.Errorf("protocol %q: want tcp, udp or sctp", p)
}

// schedulerError names a missing scheduler: the kernel answers ENOENT when
// it cannot find (or load) ip_vs_SCHED.
func schedulerError(svc *topo.Service, err error) error {
	if errors.Is(err, syscall.ENOENT) {
		return fmt.Errorf("%w: %q (%w)", ErrSchedulerNotFound, svc.Scheduler, err)
	}
	return err
}
