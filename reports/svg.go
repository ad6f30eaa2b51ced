package reports

import (
	"fmt"
	"html/template"
	"strings"
	"time"
)

// roleColour is each node role's box colour.
var roleColour = map[string]string{
	"client": "#4e79a7", "router": "#8c8c8c", "director": "#f28e2b", "realserver": "#59a14f",
}

func esc(s string) string { return template.HTMLEscapeString(s) }

// TopologySVG draws a lab: one horizontal bus line per segment, one box
// per node (coloured by role) in file order, a drop line from the box to
// each segment it is cabled to, labelled with the interface and its
// addresses. Deterministic: the same lab draws the same picture.
func TopologySVG(l Lab) template.HTML {
	const (
		colW, boxW, boxH = 190, 150, 44
		top, busGap      = 40, 190
		left             = 150
	)
	seg := map[string]int{}
	for i, s := range l.Segments {
		seg[s.Name] = i
	}
	busY := func(i int) int { return top + boxH + 40 + i*busGap }
	width := left + max(len(l.Nodes), 1)*colW + 80
	height := busY(max(len(l.Segments)-1, 0)) + boxH + 110
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="topology" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="topology of %s">`,
		width, height, width, height, esc(l.File))
	for i, s := range l.Segments {
		y := busY(i)
		fmt.Fprintf(&b, `<line x1="10" y1="%d" x2="%d" y2="%d" stroke="#333" stroke-width="4"/>`, y, width-10, y)
		fmt.Fprintf(&b, `<text x="12" y="%d" class="bus">%s</text><text x="12" y="%d" class="addr">%s</text>`,
			y-22, esc(s.Name), y-8, esc(s.Subnet))
	}
	for i, n := range l.Nodes {
		x := left + i*colW
		cx := x + boxW/2
		lo, hi := len(l.Segments), -1
		for _, ifc := range n.Interfaces {
			if j, ok := seg[ifc.Segment]; ok {
				lo, hi = min(lo, j), max(hi, j)
			}
		}
		var by int
		switch {
		case hi < 0:
			by = top
		case lo == hi && lo == 0:
			by = busY(0) - 40 - boxH
		case lo == hi:
			by = busY(lo) + 50
		default:
			by = (busY(lo)+busY(hi))/2 - boxH/2
		}
		for k, ifc := range n.Interfaces {
			j, ok := seg[ifc.Segment]
			if !ok {
				continue
			}
			y := busY(j)
			lx := cx + (k-len(n.Interfaces)/2)*14
			y1 := by + boxH
			if y < by {
				y1 = by
			}
			fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#555" stroke-width="2"/>`, lx, y1, lx, y)
			fmt.Fprintf(&b, `<circle cx="%d" cy="%d" r="4" fill="#333"/>`, lx, y)
			ty := y + 16
			if y < by {
				ty = y - 30
			}
			fmt.Fprintf(&b, `<text x="%d" y="%d" class="addr">%s %s</text>`, lx+4, ty, esc(ifc.Name), esc(strings.Join(ifc.Addresses, " ")))
		}
		colour := roleColour[n.Role]
		if colour == "" {
			colour = "#b07aa1"
		}
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" rx="6" fill="%s" stroke="#222"/>`, x, by, boxW, boxH, colour)
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="node">%s</text><text x="%d" y="%d" class="role">%s</text>`,
			cx, by+19, esc(n.Name), cx, by+36, esc(n.Role))
	}
	for k, s := range l.Services {
		fmt.Fprintf(&b, `<text x="12" y="%d" class="svc">%s</text>`, height-50+16*k, esc(s))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// TallySVG draws a tally as horizontal bars, one per server, sorted.
func TallySVG(t Tally) template.HTML {
	const (
		label, barMax, rowH, pad = 120, 360, 26, 10
	)
	servers := t.Servers()
	most := 1
	for _, s := range servers {
		most = max(most, t.Counts[s])
	}
	h := pad*2 + rowH*len(servers)
	w := label + barMax + 70
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="tally" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="tally">`, w, h, w, h)
	for i, s := range servers {
		y := pad + i*rowH
		n := t.Counts[s]
		bw := max(n*barMax/most, 1)
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="lbl" text-anchor="end">%s</text>`, label-8, y+17, esc(s))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="#4e79a7"/>`, label, y+3, bw, rowH-6)
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="lbl">%d</text>`, label+bw+6, y+17, n)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// TimelineSVG draws events on a time axis from the action (0), with the
// gap shaded red.
func TimelineSVG(t Timeline) template.HTML {
	const (
		left, axisW, w = 40, 640, 720
	)
	end := time.Duration(t.GapTo)
	for _, e := range t.Events {
		end = max(end, time.Duration(e.At))
	}
	end = max(end+end/10, time.Second)
	x := func(d Duration) int { return left + int(int64(axisW)*int64(d)/int64(end)) }
	h := 70 + 18*len(t.Events)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="timeline" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="timeline">`, w, h, w, h)
	if t.GapTo > t.GapFrom {
		fmt.Fprintf(&b, `<rect x="%d" y="20" width="%d" height="24" fill="#e15759" opacity="0.35"/>`, x(t.GapFrom), max(x(t.GapTo)-x(t.GapFrom), 1))
		fmt.Fprintf(&b, `<text x="%d" y="16" class="lbl">gap %s</text>`, x(t.GapFrom), esc((t.GapTo - t.GapFrom).String()))
	}
	fmt.Fprintf(&b, `<line x1="%d" y1="44" x2="%d" y2="44" stroke="#333" stroke-width="2"/>`, left, left+axisW)
	fmt.Fprintf(&b, `<text x="%d" y="60" class="lbl">0</text><text x="%d" y="60" class="lbl" text-anchor="end">%s</text>`, left, left+axisW, esc(Duration(end).String()))
	for i, e := range t.Events {
		ex := x(e.At)
		y := 76 + 18*i
		fmt.Fprintf(&b, `<line x1="%d" y1="26" x2="%d" y2="%d" stroke="#f28e2b" stroke-dasharray="3,2"/>`, ex, ex, y-4)
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="lbl">%s %s</text>`, ex+3, y, esc(e.At.String()), esc(e.Label))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
