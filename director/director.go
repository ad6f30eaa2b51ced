package director

import (
	"errors"
	"fmt"

	"github.com/moby/ipvs"

	"github.com/lvslab/lvslab/topo"
)

// ErrSchedulerNotFound is wrapped by AddService and EditService when the
// kernel has no such scheduler (ipvsadm says "Scheduler or persistence
// engine not found"): twos, for one, is absent from older kernels such as
// Debian 12's 6.1.
var ErrSchedulerNotFound = errors.New("scheduler not in this kernel")

// Director is an open IPVS handle on one director node: a generic-netlink
// socket bound to the node's namespace. Its methods change the node's
// virtual service table as ipvsadm's commands do. Close it when done.
type Director struct {
	host *topo.Host
	ipvs *ipvs.Handle
}

// Open binds an IPVS handle to the director h's namespace.
func Open(h *topo.Host) (*Director, error) {
	handle, err := ipvs.New(h.NsPath())
	if err != nil {
		return nil, fmt.Errorf("open ipvs on %s: %w", h.Name(), err)
	}
	return &Director{host: h, ipvs: handle}, nil
}

// Close releases the handle's socket.
func (d *Director) Close() error {
	d.ipvs.Close()
	return nil
}

// Host is the node the handle is bound to.
func (d *Director) Host() *topo.Host { return d.host }
