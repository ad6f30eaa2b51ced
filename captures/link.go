package captures

import (
	"fmt"
	"net"
	"path/filepath"
	"strings"

	"github.com/lvslab/lvslab/topo"
)

// Link is one node interface, as the lab file names it: the node end of a
// cable. Written node:iface (client:eth0).
type Link struct {
	Node      string
	Interface string
}

func (l Link) String() string {
	if l.Node == "" {
		return "?"
	}
	return l.Node + ":" + l.Interface
}

// FileName is the link's pcap file name: <node>-<iface>.pcap.
func (l Link) FileName() string { return l.Node + "-" + l.Interface + ".pcap" }

// MAC is the hardware address the lab builder gives the link.
func (l Link) MAC() net.HardwareAddr { return topo.MAC(l.Node, l.Interface) }

// ParseLink reads node:iface.
func ParseLink(s string) (Link, error) {
	node, iface, ok := strings.Cut(s, ":")
	if !ok || node == "" || iface == "" {
		return Link{}, fmt.Errorf("parse link %q: want node:interface", s)
	}
	return Link{Node: node, Interface: iface}, nil
}

// ParseLinks reads a comma-separated list of node:iface.
func ParseLinks(s string) ([]Link, error) {
	var out []Link
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		l, err := ParseLink(f)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, nil
}

// AllLinks lists every interface of every node of a lab file, in file order.
func AllLinks(spec *topo.Spec) []Link {
	var out []Link
	for _, n := range spec.Nodes {
		for _, ifc := range n.Interfaces {
			out = append(out, Link{Node: n.Name, Interface: ifc.Name})
		}
	}
	return out
}

func checkLinks(spec *topo.Spec, links []Link) error {
	known := map[Link]bool{}
	for _, l := range AllLinks(spec) {
		known[l] = true
	}
	for _, l := range links {
		if !known[l] {
			return fmt.Errorf("capture on %s: lab %s has no such interface", l, spec.Name)
		}
	}
	return nil
}

// linkOfFile recovers the link from a pcap's name (<node>-<iface>.pcap).
// Names may hold dashes, so a lab file, when given, settles which dash
// splits them; otherwise the last one does.
func linkOfFile(path string, spec *topo.Spec) (Link, error) {
	base := filepath.Base(path)
	stem, ok := strings.CutSuffix(base, ".pcap")
	if !ok {
		return Link{}, fmt.Errorf("pcap %s: name is not <node>-<iface>.pcap", path)
	}
	if spec != nil {
		for _, l := range AllLinks(spec) {
			if l.Node+"-"+l.Interface == stem {
				return l, nil
			}
		}
	}
	i := strings.LastIndexByte(stem, '-')
	if i <= 0 || i == len(stem)-1 {
		return Link{}, fmt.Errorf("pcap %s: name is not <node>-<iface>.pcap", path)
	}
	return Link{Node: stem[:i], Interface: stem[i+1:]}, nil
}

// macNames maps each MAC the builder would give to its link: every link
// of the lab file, and the links the pcaps were taken on.
func macNames(spec *topo.Spec, links []Link) map[string]Link {
	out := map[string]Link{}
	if spec != nil {
		for _, l := range AllLinks(spec) {
			out[l.MAC().String()] = l
		}
	}
	for _, l := range links {
		out[l.MAC().String()] = l
	}
	return out
}
