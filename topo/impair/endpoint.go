package impair

import (
	"fmt"
	"slices"
	"strings"

	"github.com/lvslab/lvslab/topo"
)

// Endpoint is one node's interface, the node's end of a cable.
type Endpoint struct {
	Node      string `json:"node"`
	Interface string `json:"interface"`
}

func (e Endpoint) String() string { return e.Node + ":" + e.Interface }

// ParseEndpoint reads NODE:IF.
func ParseEndpoint(s string) (Endpoint, error) {
	node, ifc, ok := strings.Cut(s, ":")
	if !ok || node == "" || ifc == "" {
		return Endpoint{}, fmt.Errorf("%q: want NODE:IF, such as lvs01:eth0", s)
	}
	return Endpoint{Node: node, Interface: ifc}, nil
}

// resolve checks e against the lab file: the node exists and has the
// interface.
func resolve(lab *topo.Lab, e Endpoint) (*topo.Host, error) {
	h, err := lab.Host(e.Node)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", e, err)
	}
	if h.Spec.Interface(e.Interface) != nil {
		return h, nil
	}
	var names []string
	for _, ifc := range h.Spec.Interfaces {
		names = append(names, ifc.Name)
	}
	return nil, fmt.Errorf("%s: node %s has no interface %q (interfaces: %s)", e, e.Node, e.Interface, strings.Join(names, ", "))
}

// port is the switch end of e's cable, in the lab's switch namespace.
func (e Endpoint) port() string { return topo.PortName(e.Node, e.Interface) }

// Direction says which way an impairment shapes a cable's traffic.
type Direction string

// Directions, as seen from the node.
const (
	Both Direction = "both"
	In   Direction = "in"  // what the node receives (the switch end)
	Out  Direction = "out" // what the node sends (the node's end)
)

// ParseDirection reads both, in or out; "" is both.
func ParseDirection(s string) (Direction, error) {
	d := Direction(s)
	if s == "" {
		return Both, nil
	}
	if !slices.Contains([]Direction{Both, In, Out}, d) {
		return "", fmt.Errorf("direction %q: want both, in or out", s)
	}
	return d, nil
}

func (d Direction) in() bool  { return d == Both || d == In }
func (d Direction) out() bool { return d == Both || d == Out }

func joinNodes(nodes []string) string { return strings.Join(nodes, ",") }
