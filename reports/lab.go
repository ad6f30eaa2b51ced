package reports

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/lvslab/lvslab/topo"
)

// Lab is the part of a lab file the report draws: segments, nodes with
// their roles and addresses, and one line per service and VRRP instance.
type Lab struct {
	Name     string       `json:"name"` // as built, e.g. s1-3
	File     string       `json:"file"` // the lab file, e.g. dr.yaml
	Doc      string       `json:"doc,omitempty"`
	Segments []LabSegment `json:"segments"`
	Nodes    []LabNode    `json:"nodes"`
	Services []string     `json:"services,omitempty"`
}

// LabSegment is one L2 network.
type LabSegment struct {
	Name   string `json:"name"`
	Subnet string `json:"subnet"`
}

// LabNode is one host.
type LabNode struct {
	Name       string         `json:"name"`
	Role       string         `json:"role"`
	Interfaces []LabInterface `json:"interfaces"`
}

// LabInterface is a node's cable to a segment.
type LabInterface struct {
	Name      string   `json:"name"`
	Segment   string   `json:"segment"`
	Addresses []string `json:"addresses"`
}

// MarshalJSON adds the kind.
func (l Lab) MarshalJSON() ([]byte, error) {
	type plain Lab
	return json.Marshal(struct {
		Kind string `json:"kind"`
		plain
	}{KindLab, plain(l)})
}

func (l Lab) String() string { return fmt.Sprintf("lab %s from %s", l.Name, l.File) }

// LabOf is what the report draws of a lab file, built under name.
func LabOf(spec *topo.Spec, name, file string) Lab {
	l := Lab{Name: name, File: file, Doc: spec.Doc}
	for _, s := range spec.Segments {
		l.Segments = append(l.Segments, LabSegment{Name: s.Name, Subnet: s.Subnet.String()})
	}
	for _, n := range spec.Nodes {
		ln := LabNode{Name: n.Name, Role: string(n.Role)}
		for _, i := range n.Interfaces {
			li := LabInterface{Name: i.Name, Segment: i.Segment}
			for _, a := range i.Addresses {
				li.Addresses = append(li.Addresses, a.String())
			}
			ln.Interfaces = append(ln.Interfaces, li)
		}
		l.Nodes = append(l.Nodes, ln)
	}
	for _, s := range spec.Services {
		var rs []string
		for _, r := range s.RealServers {
			rs = append(rs, r.Node)
		}
		if s.SorryServer != nil {
			rs = append(rs, "sorry server "+s.SorryServer.Node)
		}
		what := fmt.Sprintf("%s:%d", s.VIP, s.Port)
		if s.FWMark != 0 {
			what = fmt.Sprintf("FWM %d (%s)", s.FWMark, s.VIP)
		}
		l.Services = append(l.Services, fmt.Sprintf("service %s: VIP %s %s %s on %s → %s",
			s.Name, what, s.Scheduler, s.Forward, strings.Join(s.Directors, ","), strings.Join(rs, ", ")))
	}
	for _, v := range spec.VRRP {
		var ms []string
		for _, m := range v.Members {
			ms = append(ms, fmt.Sprintf("%s %s %d", m.Node, m.State, m.Priority))
		}
		var vips []string
		for _, p := range v.VIPs {
			vips = append(vips, p.String())
		}
		l.Services = append(l.Services, fmt.Sprintf("VRRP %s (vrid %d): VIP %s; %s",
			v.Name, v.VRID, strings.Join(vips, ", "), strings.Join(ms, ", ")))
	}
	return l
}
