package reports

import (
	"cmp"
	"fmt"
	"html/template"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
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

// masterSources are the MasterSpan sources in legend order, with their
// colours and legend keys; any other source is drawn grey. The first
// three are in every legend; the others (lanes that are not a
// director's: the faults on the wire, the client's failures) only in a
// chart that has them.
var masterSources = []struct{ name, colour, key string }{
	{"adverts", "#4e79a7", "MASTER by adverts"}, {"vip", "#59a14f", "MASTER by vip"}, {"notify", "#f28e2b", "MASTER by notify"},
	{SourceFault, "#b07aa1", "fault in force"}, {SourceClientFailed, "#ff9da7", "client failed"},
}

// Sources of spans in lanes that are not a director's.
const (
	// SourceFault is an impairment, a link down or a partition in force.
	SourceFault = "fault"
	// SourceClientFailed is a client's request that failed.
	SourceClientFailed = "client failed"
)

// alwaysInLegend is how many of masterSources every legend shows.
const alwaysInLegend = 3

// hasSource tells whether any span of m has the source.
func (m Masters) hasSource(source string) bool {
	for _, l := range m.Lanes {
		for _, s := range l.Spans {
			if s.Source == source {
				return true
			}
		}
	}
	return false
}

// sourceColour is a span's colour by its source.
func sourceColour(source string) string {
	for _, s := range masterSources {
		if s.name == source {
			return s.colour
		}
	}
	return "#9d9d9d"
}

// MastersSVG draws who was VRRP MASTER when as a Gantt chart: a time axis
// in seconds around the action (0), one lane per director with a bar per
// span coloured by its source (overlapping spans on sub-rows, so all
// show), the client's gap as a red band across the lanes, and events as
// dashed lines with labels staggered so they do not overlap.
// Deterministic: the same Masters draws the same picture.
func MastersSVG(m Masters) template.HTML {
	const (
		left, axisW, w = 100, 600, 730
		subH, lanePad  = 14, 5
		levelH         = 16
	)
	hasGap := m.GapTo != 0
	var lo, hi time.Duration
	see := func(d Duration) { lo, hi = min(lo, time.Duration(d)), max(hi, time.Duration(d)) }
	for _, l := range m.Lanes {
		for _, s := range l.Spans {
			see(s.From)
			see(s.To)
		}
	}
	for _, e := range m.Events {
		see(e.At)
	}
	if hasGap {
		see(m.GapFrom)
		see(m.GapTo)
	}
	if hi == lo {
		hi = lo + time.Second
	}
	step := tickStep(hi - lo)
	lo, hi = floorTo(lo, step), -floorTo(-hi, step)
	x := func(d Duration) int { return left + int(int64(axisW)*int64(time.Duration(d)-lo)/int64(hi-lo)) }

	// Event labels, earliest first, each on the first level it fits.
	events := slices.Clone(m.Events)
	slices.SortStableFunc(events, func(a, b TimelineEvent) int { return cmp.Compare(a.At, b.At) })
	eventText := func(e TimelineEvent) string { return e.At.String() + " " + e.Label }
	var levelEnds []int
	levels := make([]int, len(events))
	for i, e := range events {
		x0, x1, _, _ := labelAt(x(e.At), eventText(e), w)
		levels[i] = pack(&levelEnds, x0-8, x1)
	}
	rowsTop := 10 + len(levelEnds)*levelH

	// Lanes: each span on the first sub-row where it overlaps no other.
	type lane struct {
		spans []MasterSpan
		rows  []int
		y, h  int
	}
	lanes := make([]lane, len(m.Lanes))
	axisY := rowsTop
	for i, l := range m.Lanes {
		ln := lane{spans: slices.Clone(l.Spans), y: axisY}
		slices.SortStableFunc(ln.spans, func(a, b MasterSpan) int { return cmp.Compare(a.From, b.From) })
		var ends []Duration
		for _, s := range ln.spans {
			ln.rows = append(ln.rows, pack(&ends, s.From, s.To))
		}
		ln.h = 2*lanePad + max(len(ends), 1)*subH
		axisY += ln.h
		lanes[i] = ln
	}
	axisY = max(axisY, rowsTop+subH)

	var b strings.Builder
	for t := lo; t <= hi; t += step {
		tx, grid := x(Duration(t)), "#e0e0e0"
		if t == 0 {
			grid = "#888"
		}
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s"/>`, tx, rowsTop, tx, axisY, grid)
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="lbl" text-anchor="middle">%ss</text>`,
			tx, axisY+15, strconv.FormatFloat(t.Seconds(), 'f', -1, 64))
	}
	for i, ln := range lanes {
		node := m.Lanes[i].Node
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="lane" text-anchor="end">%s</text>`, left-8, ln.y+ln.h/2+4, esc(node))
		for j, s := range ln.spans {
			fmt.Fprintf(&b, `<rect class="span" x="%d" y="%d" width="%d" height="%d" fill="%s"><title>%s</title></rect>`,
				x(s.From), ln.y+lanePad+ln.rows[j]*subH, max(x(s.To)-x(s.From), 1), subH-2, sourceColour(s.Source), esc(spanLine(node, s)))
		}
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#ccc"/>`, left, ln.y+ln.h, left+axisW, ln.y+ln.h)
	}
	lineY := axisY + 33
	if hasGap {
		fmt.Fprintf(&b, `<rect class="gap" x="%d" y="%d" width="%d" height="%d" fill="#e15759" opacity="0.3"/>`,
			x(m.GapFrom), rowsTop, max(x(m.GapTo)-x(m.GapFrom), 1), axisY-rowsTop)
		_, _, tx, anchor := labelAt(x(m.GapFrom), m.gapText(), w)
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="gap" text-anchor="%s">%s</text>`, tx, lineY, anchor, esc(m.gapText()))
		lineY += 18
	}
	for i, e := range events {
		ex, y := x(e.At), 4+(levels[i]+1)*levelH
		_, _, tx, anchor := labelAt(ex, eventText(e), w)
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#333" stroke-dasharray="4,3"/>`, ex, y-11, ex, axisY)
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="lbl" text-anchor="%s">%s</text>`, tx, y, anchor, esc(eventText(e)))
	}
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#333" stroke-width="2"/>`, left, axisY, left+axisW, axisY)
	kx := left
	for i, s := range masterSources {
		if i >= alwaysInLegend && !m.hasSource(s.name) {
			continue
		}
		key := s.key
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="10" height="10" fill="%s"/><text x="%d" y="%d" class="lbl">%s</text>`,
			kx, lineY-9, s.colour, kx+14, lineY, esc(key))
		kx += 14 + textWidth(key) + 16
	}
	h := lineY + 8
	title := "VRRP MASTER timeline"
	if m.Title != "" {
		title += ": " + m.Title
	}
	return template.HTML(fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" class="masters" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="%s">%s</svg>`,
		w, h, w, h, esc(title), b.String()))
}

// tickStep is the axis tick: 1, 2 or 5 times a power of ten
// milliseconds, the smallest that splits span into at most 8.
func tickStep(span time.Duration) time.Duration {
	for step := time.Millisecond; ; step *= 10 {
		for _, k := range []time.Duration{1, 2, 5} {
			if span/(k*step) <= 8 {
				return k * step
			}
		}
	}
}

// floorTo rounds d down to a multiple of step.
func floorTo(d, step time.Duration) time.Duration {
	q := d / step * step
	if q > d {
		q -= step
	}
	return q
}

// labelAt places a label for x: to its right, or to its left when it
// would run past the width w. It returns the span the label covers and
// where and how to anchor its text.
func labelAt(x int, text string, w int) (x0, x1, tx int, anchor string) {
	width := textWidth(text)
	if x+3+width <= w-4 {
		return x + 3, x + 3 + width, x + 3, "start"
	}
	return x - 3 - width, x - 3, x - 3, "end"
}

// textWidth is a generous estimate of text's width in pixels at 12px.
func textWidth(text string) int { return 7 * utf8.RuneCountInString(text) }

// pack puts [from, to) on the first level whose last interval ends by
// from, opening a new level when none does, and returns the level.
func pack[T cmp.Ordered](ends *[]T, from, to T) int {
	for k, end := range *ends {
		if end <= from {
			(*ends)[k] = to
			return k
		}
	}
	*ends = append(*ends, to)
	return len(*ends) - 1
}
