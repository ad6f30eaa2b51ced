package director

import (
	"encoding/binary"
	"net"

	"github.com/moby/ipvs"
)

// Sort puts services and real servers in ipvsadm's listing order.
//
// ipvsadm compares with `int r = a - b` on unsigned fields (libipvs
// ipvs_cmp_services, ipvs_cmp_dests), so two addresses 2^31 or more apart
// compare the wrong way round (10.0.0.1 sorts after 192.168.0.1), and the
// order is not even transitive. To print the same lines, Sort uses the
// same comparisons with the same wrap-around, in a top-down merge sort
// splitting as glibc's qsort (msort) does.
func (t *Table) Sort() {
	msort(t.Services, func(a, b ServiceEntry) int { return cmpServices(a.Service, b.Service) })
	for _, e := range t.Services {
		msort(e.Destinations, cmpDests)
	}
}

// cmpServices is libipvs's ipvs_cmp_services: fwmark, family, protocol,
// address, port.
func cmpServices(a, b *ipvs.Service) int {
	if r := int32(a.FWMark - b.FWMark); r != 0 {
		return int(r)
	}
	if r := int(a.AddressFamily) - int(b.AddressFamily); r != 0 {
		return r
	}
	if r := int(a.Protocol) - int(b.Protocol); r != 0 {
		return r
	}
	if r := cmpAddr(a.Address, b.Address, a.AddressFamily); r != 0 {
		return r
	}
	return int(a.Port) - int(b.Port)
}

// cmpDests is libipvs's ipvs_cmp_dests: address, port.
func cmpDests(a, b *ipvs.Destination) int {
	if r := cmpAddr(a.Address, b.Address, a.AddressFamily); r != 0 {
		return r
	}
	return int(a.Port) - int(b.Port)
}

// cmpAddr subtracts addresses as 32-bit words in host order, wrapping.
func cmpAddr(a, b net.IP, family uint16) int {
	words := func(ip net.IP) []uint32 {
		if ip4 := ip.To4(); ip4 != nil && family != afInet6 {
			return []uint32{binary.BigEndian.Uint32(ip4)}
		}
		ip16 := ip.To16()
		if ip16 == nil {
			ip16 = make(net.IP, 16)
		}
		w := make([]uint32, 4)
		for i := range w {
			w[i] = binary.BigEndian.Uint32(ip16[4*i:])
		}
		return w
	}
	wa, wb := words(a), words(b)
	for i := 0; i < len(wa) && i < len(wb); i++ {
		if r := int32(wa[i] - wb[i]); r != 0 {
			return int(r)
		}
	}
	return 0
}

const afInet6 = 10 // AF_INET6

// msort sorts s as glibc's msort_with_tmp does: halves of n/2 and n-n/2,
// merged taking from the left while cmp(left, right) <= 0.
func msort[T any](s []T, cmp func(a, b T) int) {
	if len(s) < 2 {
		return
	}
	n1 := len(s) / 2
	msort(s[:n1], cmp)
	msort(s[n1:], cmp)
	out := make([]T, 0, len(s))
	i, j := 0, n1
	for i < n1 && j < len(s) {
		if cmp(s[i], s[j]) <= 0 {
			out = append(out, s[i])
			i++
		} else {
			out = append(out, s[j])
			j++
		}
	}
	out = append(out, s[i:n1]...)
	out = append(out, s[j:]...)
	copy(s, out)
}
