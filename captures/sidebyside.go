package captures

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Mark follows a value that differs from the previous hop's in the
// compact tables.
const Mark = "*"

// The compact tables below are for teaching: no timestamps (the same lab
// and source port give the same text every run), one hop a line in under
// 80 columns, and a Mark after every value the hop changed. The cable is
// named by the interfaces that own the frame's MACs (node:if), which are
// its two ends: Trace finds a hop's ends by those very MACs. An IPIP outer
// header gets a second line under its hop.

// Column is one side of SideBySide: a path under its title, and notes to
// show under its hops (a verdict, who answered).
type Column struct {
	Title string
	Path  *Path
	Notes []string
}

// SideBySide renders two paths next to each other, each under its title:
// the request's hops, then the reply's, the two sides' sections level,
// then the notes after a blank line. A nil path shows as "(not traced)".
// The left side is as wide as its hop tables: a longer note runs over.
func SideBySide(left, right Column) string {
	l, r := compact(left.Title, left.Path), compact(right.Title, right.Path)
	lw := 0
	for _, sec := range l {
		for _, line := range sec {
			lw = max(lw, width(line))
		}
	}
	sections := [][2][]string{{l[0], r[0]}, {l[1], r[1]}, {l[2], r[2]}}
	if len(left.Notes)+len(right.Notes) > 0 {
		sections = append(sections, [2][]string{append([]string{""}, left.Notes...), append([]string{""}, right.Notes...)})
	}
	var b strings.Builder
	for _, sec := range sections {
		ls, rs := sec[0], sec[1]
		for j := range max(len(ls), len(rs)) {
			var lc, rc string
			if j < len(ls) {
				lc = ls[j]
			}
			if j < len(rs) {
				rc = rs[j]
			}
			line := lc + strings.Repeat(" ", max(lw-width(lc), 0)) + " │ " + rc
			b.WriteString(strings.TrimRight(line, " ") + "\n")
		}
	}
	return b.String()
}

// Compact renders one path alone, under its title, as SideBySide renders
// each side.
func Compact(title string, p *Path) string {
	var b strings.Builder
	for _, sec := range compact(title, p) {
		for _, line := range sec {
			b.WriteString(strings.TrimRight(line, " ") + "\n")
		}
	}
	return b.String()
}

// compact lays a path out in three sections: title and flow, request,
// reply. Each section ends with a blank line but the last.
func compact(title string, p *Path) [3][]string {
	var out [3][]string
	out[0] = []string{title}
	if p == nil {
		out[0] = append(out[0], "(not traced)")
		return out
	}
	out[0] = append(out[0], p.Flow.String(), "")
	rows := [][]string{{"#", "CABLE (MAC owners)", "SRC", "DST", "TTL"}}
	for _, hops := range [][]Hop{p.Request, p.Reply} {
		for i := range hops {
			rows = append(rows, hopCells(i+1, &hops[i]))
		}
	}
	widths := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], width(c))
		}
	}
	header := row(rows[0], widths)
	next := rows[1:]
	for s, part := range []struct {
		what string
		hops []Hop
	}{{"request " + p.RequestWhat, p.Request}, {"reply " + p.ReplyWhat, p.Reply}} {
		sec := []string{part.what + ":"}
		if len(part.hops) == 0 {
			sec = append(sec, "  (not captured)")
		} else {
			sec = append(sec, header)
		}
		for i := range part.hops {
			sec = append(sec, row(next[0], widths))
			next = next[1:]
			if e := part.hops[i].Encap; e != nil {
				sec = append(sec, strings.Repeat(" ", widths[0]+2)+encapCell(&part.hops[i]))
			}
		}
		if s == 0 {
			sec = append(sec, "")
		}
		out[s+1] = sec
	}
	return out
}

// hopCells are one hop's columns, with a Mark after each changed value.
func hopCells(n int, h *Hop) []string {
	ch := func(fields ...string) string {
		for _, f := range fields {
			if slices.Contains(h.Changed, f) {
				return Mark
			}
		}
		return ""
	}
	return []string{
		fmt.Sprint(n),
		macOwner(h, true) + ch("src-mac") + " → " + macOwner(h, false) + ch("dst-mac"),
		h.Src.String() + ch("src-ip", "src-port"),
		h.Dst.String() + ch("dst-ip", "dst-port"),
		fmt.Sprint(h.TTL) + ch("ttl"),
	}
}

// macOwner names the interface that owns the hop's source (or
// destination) MAC, else the interface that captured that end, else the
// MAC itself.
func macOwner(h *Hop, src bool) string {
	owner, end, mac := h.SrcOwner, h.From, h.SrcMAC
	if !src {
		owner, end, mac = h.DstOwner, h.To, h.DstMAC
	}
	switch {
	case owner.Node != "":
		return owner.String()
	case end.Node != "":
		return end.String()
	default:
		return mac.String()
	}
}

// encapCell is the IPIP line under a hop: "└ in IPIP DIP → RIP, TTL 62",
// marked after IPIP when the outer header is new or readdressed.
func encapCell(h *Hop) string {
	e := h.Encap
	mark := func(f string) string {
		if slices.Contains(h.Changed, f) {
			return Mark
		}
		return ""
	}
	return fmt.Sprintf("└ in IPIP%s %s → %s, TTL %d%s", mark("encap"), e.Src, e.Dst, e.TTL, mark("outer-ttl"))
}

// row pads cells to widths, two spaces apart, the first right-aligned.
func row(cells []string, widths []int) string {
	var b strings.Builder
	for i, c := range cells {
		pad := strings.Repeat(" ", widths[i]-width(c))
		if i == 0 {
			b.WriteString(pad + c)
		} else {
			b.WriteString("  " + c + pad)
		}
	}
	return b.String()
}

// width is a text's width in columns: every rune here is one column.
func width(s string) int { return utf8.RuneCountInString(s) }
