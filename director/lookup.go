package director

import (
	"github.com/moby/ipvs"

	"github.com/lvslab/lvslab/topo"
)

// Service is the table's entry for the lab file's service svc (matched
// by firewall mark, or by protocol, VIP and port), or nil.
func (t *Table) Service(svc *topo.Service) *ServiceEntry {
	want, err := kernelService(svc)
	if err != nil {
		return nil
	}
	for i, e := range t.Services {
		s := e.Service
		if want.FWMark != 0 {
			if s.FWMark == want.FWMark {
				return &t.Services[i]
			}
			continue
		}
		if s.FWMark == 0 && s.Protocol == want.Protocol && s.Port == want.Port && s.Address.Equal(want.Address) {
			return &t.Services[i]
		}
	}
	return nil
}

// Lacks names the real servers of svc that the table does not list with
// their weight from the lab file: absent (never added, or removed by a
// failed health check), or at another weight (weight 0: quiesced, or
// inhibit_on_failure). It names them all when svc is not in the table.
// The sorry server is not counted. Equivalent to: comparing
// `ipvsadm -Ln -t VIP:PORT` with the lab file.
func (t *Table) Lacks(svc *topo.Service) []string {
	e := t.Service(svc)
	var out []string
	for _, rs := range svc.RealServers {
		want, err := kernelDestination(svc, rs)
		if err != nil || e == nil || !lists(e.Destinations, want) {
			out = append(out, rsName(rs))
		}
	}
	return out
}

func lists(dests []*ipvs.Destination, want *ipvs.Destination) bool {
	for _, d := range dests {
		if d.Address.Equal(want.Address) && d.Port == want.Port {
			return d.Weight == want.Weight
		}
	}
	return false
}
