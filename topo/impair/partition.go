package impair

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"

	"github.com/lvslab/lvslab/topo"
)

// The partitions' nftables table and chain, in the lab's switch namespace.
const (
	PartitionTable = "lvslab_partition"
	PartitionChain = "forward"
)

// ParseGroups reads the command line's groups: "A,B / C,D" given as one
// argument or as several ("A,B", "/", "C,D").
func ParseGroups(args []string) (a, b []string, err error) {
	left, right, ok := strings.Cut(strings.Join(args, " "), "/")
	if !ok {
		return nil, nil, fmt.Errorf("%q: want two groups of nodes separated by /, such as lvs01,web01 / lvs02", strings.Join(args, " "))
	}
	split := func(s string) []string {
		return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
	}
	a, b = split(left), split(right)
	if len(a) == 0 || len(b) == 0 {
		return nil, nil, fmt.Errorf("%q: each side of / needs at least one node", strings.Join(args, " "))
	}
	return a, b, nil
}

// Partition cuts the lab's switch between two groups of nodes: deaf no
// longer hears from, and unless oneWay, from no longer hears deaf. Frames
// are dropped in the switch, between every port of one group and every
// port of the other, so the nodes' own firewalls are untouched. Partitions
// add up; Heal removes them all. Equivalent to: `nft add rule bridge
// lvslab_partition forward iifname FROM-PORT oifname DEAF-PORT drop` in
// the lab's switch namespace, per pair of ports.
func Partition(lab *topo.Lab, deaf, from []string, oneWay bool) error {
	p := Cut{Deaf: deaf, From: from, OneWay: oneWay}
	if err := checkGroups(lab, deaf, from); err != nil {
		return fmt.Errorf("partition %s: %w", p, err)
	}
	type pair struct{ in, out string }
	var drops []pair
	for _, d := range portsOf(lab, deaf) {
		for _, f := range portsOf(lab, from) {
			drops = append(drops, pair{in: f, out: d})
			if !oneWay {
				drops = append(drops, pair{in: d, out: f})
			}
		}
	}
	return update(lab.Name, func(r *Record) error {
		err := lab.SwitchNftables(func(c *nftables.Conn) error {
			chain := partitionChain(c)
			for _, d := range drops {
				c.AddRule(&nftables.Rule{Table: chain.Table, Chain: chain, Exprs: []expr.Any{
					&expr.Meta{Key: expr.MetaKeyIIFNAME, Register: 1},
					&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: ifname(d.in)},
					&expr.Meta{Key: expr.MetaKeyOIFNAME, Register: 1},
					&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: ifname(d.out)},
					&expr.Verdict{Kind: expr.VerdictDrop},
				}})
			}
			return c.Flush()
		})
		if err != nil {
			return fmt.Errorf("partition %s: %w", p, err)
		}
		p.Since = time.Now()
		r.Partitions = append(r.Partitions, p)
		r.log(p.Since, EventPartition, p.String(), "")
		return nil
	})
}

// Heal removes every partition: the lab's switch forwards everything
// again. A lab with no partition is not an error. Equivalent to: `nft
// delete table bridge lvslab_partition` in the switch namespace.
func Heal(lab *topo.Lab) error {
	return update(lab.Name, func(r *Record) error {
		err := lab.SwitchNftables(func(c *nftables.Conn) error {
			c.DelTable(&nftables.Table{Family: nftables.TableFamilyBridge, Name: PartitionTable})
			if err := c.Flush(); err != nil && !errors.Is(err, unix.ENOENT) {
				return err
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("heal lab %s: %w", lab.Name, err)
		}
		r.Partitions = nil
		r.log(time.Now(), EventHeal, "", "")
		return nil
	})
}

// PartitionRules counts the drop rules in the lab's switch, as the kernel
// lists them: an oracle for the record, and a leak check.
func PartitionRules(lab *topo.Lab) (int, error) {
	n := 0
	err := lab.SwitchNftables(func(c *nftables.Conn) error {
		tables, err := c.ListTablesOfFamily(nftables.TableFamilyBridge)
		if err != nil {
			return err
		}
		for _, t := range tables {
			if t.Name != PartitionTable {
				continue
			}
			rules, err := c.GetRules(t, &nftables.Chain{Name: PartitionChain, Table: t})
			if err != nil {
				return err
			}
			n += len(rules)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("list partition rules of lab %s: %w", lab.Name, err)
	}
	return n, nil
}

func checkGroups(lab *topo.Lab, a, b []string) error {
	var errs []error
	for _, n := range append(slices.Clone(a), b...) {
		if _, err := lab.Host(n); err != nil {
			errs = append(errs, err)
		}
	}
	for _, n := range a {
		if slices.Contains(b, n) {
			errs = append(errs, fmt.Errorf("node %s is on both sides", n))
		}
	}
	return errors.Join(errs...)
}

func portsOf(lab *topo.Lab, nodes []string) []string {
	var ports []string
	for _, n := range nodes {
		h, _ := lab.Host(n)
		for _, ifc := range h.Spec.Interfaces {
			ports = append(ports, Endpoint{Node: n, Interface: ifc.Name}.port())
		}
	}
	return ports
}

// ifname is an interface name as nftables compares it: IFNAMSIZ bytes,
// zero-padded.
func ifname(s string) []byte {
	b := make([]byte, unix.IFNAMSIZ)
	copy(b, s)
	return b
}

func partitionChain(c *nftables.Conn) *nftables.Chain {
	table := c.AddTable(&nftables.Table{Family: nftables.TableFamilyBridge, Name: PartitionTable})
	accept := nftables.ChainPolicyAccept
	return c.AddChain(&nftables.Chain{
		Name:     PartitionChain,
		Table:    table,
		Type:     nftables.ChainTypeFilter,
		Hooknum:  nftables.ChainHookForward,
		Priority: nftables.ChainPriorityFilter,
		Policy:   &accept,
	})
}
