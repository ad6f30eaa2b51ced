package captures

import (
	"fmt"
	"net"
	"strings"
	"text/tabwriter"
	"time"
)

// Table renders the path as two text tables, the request's hops then the
// reply's: when each frame was seen (after the first), the cable it
// crossed, MACs with the links that own them, the original packet's
// addresses, ports and TTL, the IPIP outer header, and which of these
// changed since the previous hop.
func (p *Path) Table() string {
	var b strings.Builder
	var t0 time.Time
	if len(p.Request) > 0 {
		t0 = p.Request[0].Time
	}
	fmt.Fprintf(&b, "flow %s\n", p.Flow)
	writeHops(&b, "request "+p.RequestWhat, p.Request, t0)
	writeHops(&b, "reply "+p.ReplyWhat, p.Reply, t0)
	return b.String()
}

func writeHops(b *strings.Builder, title string, hops []Hop, t0 time.Time) {
	fmt.Fprintf(b, "\n%s:\n", title)
	if len(hops) == 0 {
		fmt.Fprintf(b, "  (not captured)\n")
		return
	}
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  #\tTIME\tCABLE\tSRC MAC\tDST MAC\tSRC\tDST\tTTL\tIPIP\tCHANGED")
	for i, h := range hops {
		changed := strings.Join(h.Changed, ",")
		if i == 0 {
			changed = "-"
		} else if changed == "" {
			changed = "(none)"
		}
		fmt.Fprintf(tw, "  %d\t%s\t%s → %s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n",
			i+1, since(h.Time, t0), linkOr(h.From, Link{}), linkOr(h.To, Link{}),
			macName(h.SrcMAC, h.SrcOwner), macName(h.DstMAC, h.DstOwner),
			h.Src, h.Dst, h.TTL, h.Encap, changed)
	}
	_ = tw.Flush()
}

// since is a hop's time after the first request hop, in milliseconds.
func since(t, t0 time.Time) string {
	return fmt.Sprintf("+%.3fms", float64(t.Sub(t0))/float64(time.Millisecond))
}

// macName shows a MAC with the link that owns it: 02:5f:…(lvs:eth0).
func macName(mac net.HardwareAddr, owner Link) string {
	if owner.Node == "" {
		return mac.String()
	}
	return fmt.Sprintf("%s (%s)", mac, owner)
}
