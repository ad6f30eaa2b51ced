package impair

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/lvslab/lvslab/topo"
)

// Apply puts n on the cable of e, replacing an impairment already there:
// on the node's end for what it sends (dir out), on the switch end for
// what it receives (dir in), or both. Bad input (an unknown node or
// interface, a value out of range) is reported before anything is
// applied; when the second end fails, the first is cleared again.
// Equivalent to: `ip netns exec LAB-NODE tc qdisc replace dev IF root
// netem …` and `ip netns exec LAB-switch tc qdisc replace dev NODE-IF root
// netem …`.
func Apply(lab *topo.Lab, e Endpoint, n Netem, dir Direction) error {
	dir, err := ParseDirection(string(dir))
	if err != nil {
		return fmt.Errorf("impair %s: %w", e, err)
	}
	if err := n.Validate(); err != nil {
		return fmt.Errorf("impair %s: %w", e, err)
	}
	h, err := resolve(lab, e)
	if err != nil {
		return fmt.Errorf("impair %w", err)
	}
	return update(lab.Name, func(r *Record) error {
		ends, err := openEnds(lab, h, e)
		if err != nil {
			return fmt.Errorf("impair %s: %w", e, err)
		}
		defer ends.close()
		var done []end
		for _, x := range ends.pick(dir) {
			if err := x.nl.QdiscReplace(n.qdisc(x.index)); err != nil {
				err = fmt.Errorf("impair %s: add netem on %s: %w%s", e, x.where, err, netemHint(err))
				for _, d := range done {
					err = errors.Join(err, d.clear())
				}
				return err
			}
			done = append(done, x)
		}
		// A direction no longer asked for is cleared.
		for _, x := range ends.pick(Both) {
			if !slices.ContainsFunc(done, func(d end) bool { return d.where == x.where }) {
				if err := x.clear(); err != nil {
					return fmt.Errorf("impair %s: %w", e, err)
				}
			}
		}
		now := time.Now()
		r.Impairments = slices.DeleteFunc(r.Impairments, func(i Impairment) bool { return i.Endpoint == e })
		r.Impairments = append(r.Impairments, Impairment{Endpoint: e, Netem: n, Direction: dir, Since: now})
		r.log(now, EventImpair, e.String(), n.String()+" ("+string(dir)+")")
		return nil
	})
}

// Clear removes the impairment of e's cable, both ends; a cable without
// one is not an error. Equivalent to: `tc qdisc del dev IF root` at both
// ends.
func Clear(lab *topo.Lab, e Endpoint) error {
	h, err := resolve(lab, e)
	if err != nil {
		return fmt.Errorf("clear %w", err)
	}
	return update(lab.Name, func(r *Record) error {
		if err := clearEnds(lab, h, e); err != nil {
			return err
		}
		r.Impairments = slices.DeleteFunc(r.Impairments, func(i Impairment) bool { return i.Endpoint == e })
		r.log(time.Now(), EventClear, e.String(), "")
		return nil
	})
}

func clearEnds(lab *topo.Lab, h *topo.Host, e Endpoint) error {
	ends, err := openEnds(lab, h, e)
	if err != nil {
		return fmt.Errorf("clear %s: %w", e, err)
	}
	defer ends.close()
	var errs []error
	for _, x := range ends.pick(Both) {
		errs = append(errs, x.clear())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("clear %s: %w", e, err)
	}
	return nil
}

// Reset removes every impairment, brings every downed cable up and heals
// every partition the record lists: a lab's cables as they were built.
func Reset(lab *topo.Lab) error {
	r, err := Read(lab.Name)
	if err != nil {
		return err
	}
	var errs []error
	for _, i := range r.Impairments {
		errs = append(errs, Clear(lab, i.Endpoint))
	}
	for _, e := range r.Down {
		errs = append(errs, SetLink(lab, e, true))
	}
	if len(r.Partitions) > 0 {
		errs = append(errs, Heal(lab))
	}
	return errors.Join(errs...)
}

// Qdiscs lists the netem qdiscs found on the lab's cables, as the kernel
// reports them (NODE:IF in or out): an oracle for the record, and a leak
// check.
func Qdiscs(lab *topo.Lab) ([]string, error) {
	var found []string
	for _, h := range lab.Hosts() {
		for _, ifc := range h.Spec.Interfaces {
			e := Endpoint{Node: h.Name(), Interface: ifc.Name}
			ends, err := openEnds(lab, h, e)
			if err != nil {
				return nil, err
			}
			for _, x := range ends.pick(Both) {
				qs, err := x.nl.QdiscList(x.link)
				if err != nil {
					ends.close()
					return nil, fmt.Errorf("list qdiscs of %s: %w", x.where, err)
				}
				for _, q := range qs {
					if q.Type() == "netem" {
						found = append(found, fmt.Sprintf("%s %s", e, x.dir))
					}
				}
			}
			ends.close()
		}
	}
	return found, nil
}

// end is one end of a cable with a netlink handle bound to its namespace.
type end struct {
	nl    *netlink.Handle
	link  netlink.Link
	index int
	dir   Direction
	where string
}

func (x end) clear() error {
	err := x.nl.QdiscDel(&netlink.GenericQdisc{QdiscAttrs: rootAttrs(x.index), QdiscType: "netem"})
	if err == nil || errors.Is(err, unix.ENOENT) || errors.Is(err, unix.EINVAL) {
		return nil // no qdisc of ours there
	}
	return fmt.Errorf("delete netem on %s: %w", x.where, err)
}

type ends struct{ node, sw end }

func openEnds(lab *topo.Lab, h *topo.Host, e Endpoint) (*ends, error) {
	nodeNL, err := h.Netlink()
	if err != nil {
		return nil, err
	}
	swNL, err := lab.SwitchNetlink()
	if err != nil {
		nodeNL.Close()
		return nil, err
	}
	x := &ends{
		node: end{nl: nodeNL, dir: Out, where: e.Interface + " in " + h.Namespace()},
		sw:   end{nl: swNL, dir: In, where: e.port() + " in " + topo.SwitchNamespace(lab.Name)},
	}
	if x.node.link, err = nodeNL.LinkByName(e.Interface); err == nil {
		x.sw.link, err = swNL.LinkByName(e.port())
	}
	if err != nil {
		x.close()
		return nil, fmt.Errorf("find the cable of %s: %w", e, err)
	}
	x.node.index, x.sw.index = x.node.link.Attrs().Index, x.sw.link.Attrs().Index
	return x, nil
}

func (x *ends) pick(dir Direction) []end {
	var out []end
	if dir.out() {
		out = append(out, x.node)
	}
	if dir.in() {
		out = append(out, x.sw)
	}
	return out
}

func (x *ends) close() {
	x.node.nl.Close()
	x.sw.nl.Close()
}

// netemHint explains the error a kernel without netem gives.
func netemHint(err error) string {
	if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.EOPNOTSUPP) {
		return " (does this kernel have sch_netem, CONFIG_NET_SCH_NETEM? lvslab vm runs a guest kernel that has it)"
	}
	return ""
}
