package director

import (
	"bufio"
	"bytes"
	"fmt"
	"os"

	"github.com/moby/ipvs"

	"github.com/lvslab/lvslab/topo"
)

// Table is a director's IPVS state at one moment: what `ipvsadm -Ln`,
// `-Ln --stats` and `-Lnc` print.
type Table struct {
	// Header is the first line of /proc/net/ip_vs, naming the IPVS
	// version and the connection hash size.
	Header string
	// Services in ipvsadm's order, each with its real servers (weights,
	// thresholds, active and inactive connections, stats).
	Services []ServiceEntry
	// Conns is the connection table, persistence templates included, in
	// the kernel's (and ipvsadm -Lnc's) order.
	Conns []Conn
}

// ServiceEntry is one virtual service with its real servers.
type ServiceEntry struct {
	Service      *ipvs.Service
	Destinations []*ipvs.Destination
}

// Snapshot reads the director's IPVS table and connection table.
//
// Equivalent to: `ipvsadm -Ln --stats` and `ipvsadm -Lnc` in the node.
func Snapshot(h *topo.Host) (*Table, error) {
	d, err := Open(h)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	return d.Snapshot()
}

// Snapshot reads the director's IPVS table and connection table.
func (d *Director) Snapshot() (*Table, error) {
	t, err := d.Services()
	if err != nil {
		return nil, err
	}
	if t.Header, t.Conns, err = readProc(d.host); err != nil {
		return nil, err
	}
	return t, nil
}

// Services reads the director's virtual services and their real servers
// alone, in ipvsadm's order: a Table without Header and Conns, cheap
// enough to poll (the connection table can hold thousands of entries).
//
// Equivalent to: `ipvsadm -Ln --stats` in the node.
func (d *Director) Services() (*Table, error) {
	t := &Table{}
	svcs, err := d.ipvs.GetServices()
	if err != nil {
		return nil, fmt.Errorf("list services on %s: %w", d.host.Name(), err)
	}
	for _, s := range svcs {
		dests, err := d.ipvs.GetDestinations(s)
		if err != nil {
			return nil, fmt.Errorf("list real servers of %s on %s: %w", serviceString(s), d.host.Name(), err)
		}
		t.Services = append(t.Services, ServiceEntry{Service: s, Destinations: dests})
	}
	t.Sort()
	return t, nil
}

// readProc reads the namespace's /proc/net/ip_vs header line and its
// connection table. /proc/net follows the reading thread's namespace, so
// read /proc/thread-self from a thread inside the director's namespace.
func readProc(h *topo.Host) (header string, conns []Conn, err error) {
	err = h.Do(func() error {
		data, err := os.ReadFile("/proc/thread-self/net/ip_vs")
		if err != nil {
			return err
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		if sc.Scan() {
			header = sc.Text()
		}
		f, err := os.Open("/proc/thread-self/net/ip_vs_conn")
		if err != nil {
			return err
		}
		defer f.Close()
		conns, err = ParseConns(f)
		return err
	})
	if err != nil {
		return "", nil, fmt.Errorf("read ip_vs of %s: %w", h.Name(), err)
	}
	return header, conns, nil
}
