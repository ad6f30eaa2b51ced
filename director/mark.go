package director

import (
	"fmt"
	"slices"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"

	"github.com/lvslab/lvslab/topo"
)

// The director's firewall marks live in their own nftables table, so they
// never touch rules the user (or iptables) put in the namespace.
const (
	// MarkTable is the nftables table (family ip) holding the marks.
	MarkTable = "lvslab"
	// MarkChain is its chain: type filter, hook prerouting, priority
	// mangle (-150), as iptables' mangle PREROUTING.
	MarkChain = "prerouting"
)

// Mark adds the firewall-mark rule of the service svc to the director h:
// packets to the VIP on the service's ports get svc.FWMark, which selects
// the IPVS service `ipvsadm -A -f MARK`. The ports are svc.Ports, else
// svc.Port, else every port. Calling it again replaces the rule.
//
// Equivalent to: `iptables -t mangle -A PREROUTING -d VIP -p tcp -m
// multiport --dports 80,443 -j MARK --set-mark 3` (seed 002), or in nft:
//
//	table ip lvslab {
//		chain prerouting {
//			type filter hook prerouting priority mangle; policy accept;
//			ip daddr VIP tcp dport { 80, 443 } meta mark set 0x00000003 comment "lvslab fwmark 3"
//		}
//	}
func Mark(h *topo.Host, svc *topo.Service) error {
	if svc.FWMark == 0 {
		return fmt.Errorf("mark %s on %s: the service has no fwmark", ServiceName(svc), h.Name())
	}
	if !svc.VIP.Is4() {
		return fmt.Errorf("mark %s on %s: no IPv4 VIP", ServiceName(svc), h.Name())
	}
	proto, err := protocolNumber(svc.Protocol)
	if err != nil {
		return fmt.Errorf("mark %s on %s: %w", ServiceName(svc), h.Name(), err)
	}
	ports := svc.Ports
	if len(ports) == 0 && svc.Port != 0 {
		ports = []uint16{svc.Port}
	}
	err = h.Nftables(func(c *nftables.Conn) error {
		table, chain := markChain(c)
		if err := c.Flush(); err != nil {
			return err
		}
		if err := deleteMarkRules(c, table, chain, svc.FWMark); err != nil {
			return err
		}
		vip := svc.VIP.As4()
		exprs := []expr.Any{
			// ip daddr VIP
			&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 16, Len: 4},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: vip[:]},
			// meta l4proto tcp
			&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{byte(proto)}},
		}
		if len(ports) > 0 {
			// tcp dport { P, Q }
			set := &nftables.Set{Table: table, Name: "__set%d", Anonymous: true, Constant: true, KeyType: nftables.TypeInetService}
			var elems []nftables.SetElement
			for _, p := range ports {
				elems = append(elems, nftables.SetElement{Key: binaryutil.BigEndian.PutUint16(p)})
			}
			if err := c.AddSet(set, elems); err != nil {
				return err
			}
			exprs = append(exprs,
				&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
				&expr.Lookup{SourceRegister: 1, SetName: set.Name, SetID: set.ID})
		}
		// meta mark set N
		exprs = append(exprs,
			&expr.Immediate{Register: 1, Data: binaryutil.NativeEndian.PutUint32(svc.FWMark)},
			&expr.Meta{Key: expr.MetaKeyMARK, SourceRegister: true, Register: 1})
		c.AddRule(&nftables.Rule{
			Table:    table,
			Chain:    chain,
			Exprs:    exprs,
			UserData: userdata.AppendString(nil, userdata.TypeComment, markComment(svc.FWMark)),
		})
		return c.Flush()
	})
	if err != nil {
		return fmt.Errorf("mark %s on %s: %w", ServiceName(svc), h.Name(), err)
	}
	return nil
}

// Unmark removes the firewall-mark rule of svc from the director h, and
// the lvslab table once it holds no rule. Removing an absent rule is no
// error. Deleting the namespace drops the table as well.
//
// Equivalent to: `iptables -t mangle -D PREROUTING …` as Mark added it.
func Unmark(h *topo.Host, svc *topo.Service) error {
	err := h.Nftables(func(c *nftables.Conn) error {
		tables, err := c.ListTablesOfFamily(nftables.TableFamilyIPv4)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(tables, func(t *nftables.Table) bool { return t.Name == MarkTable }) {
			return nil
		}
		table, chain := markChain(c)
		if err := deleteMarkRules(c, table, chain, svc.FWMark); err != nil {
			return err
		}
		if err := c.Flush(); err != nil {
			return err
		}
		rest, err := c.GetRules(table, chain)
		if err != nil {
			return err
		}
		if len(rest) == 0 {
			c.DelTable(table)
			return c.Flush()
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("unmark %s on %s: %w", ServiceName(svc), h.Name(), err)
	}
	return nil
}

// markChain queues the creation of the lvslab table and chain; both are
// created only when absent.
func markChain(c *nftables.Conn) (*nftables.Table, *nftables.Chain) {
	table := c.AddTable(&nftables.Table{Family: nftables.TableFamilyIPv4, Name: MarkTable})
	accept := nftables.ChainPolicyAccept
	chain := c.AddChain(&nftables.Chain{
		Name:     MarkChain,
		Table:    table,
		Type:     nftables.ChainTypeFilter,
		Hooknum:  nftables.ChainHookPrerouting,
		Priority: nftables.ChainPriorityMangle,
		Policy:   &accept,
	})
	return table, chain
}

// deleteMarkRules queues the deletion of the rules Mark added for mark.
func deleteMarkRules(c *nftables.Conn, table *nftables.Table, chain *nftables.Chain, mark uint32) error {
	rules, err := c.GetRules(table, chain)
	if err != nil {
		return err
	}
	for _, r := range rules {
		if comment, ok := userdata.GetString(r.UserData, userdata.TypeComment); ok && comment == markComment(mark) {
			if err := c.DelRule(r); err != nil {
				return err
			}
		}
	}
	return nil
}

func markComment(mark uint32) string { return fmt.Sprintf("lvslab fwmark %d", mark) }
