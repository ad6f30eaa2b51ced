package topo

import (
	"fmt"
	"path/filepath"
	"sort"
)

// Lab is a lab that is up: its spec and its hosts.
type Lab struct {
	Name  string
	Spec  *Spec
	State *State
	hosts map[string]*Host
}

// Open finds a lab that is up, from its state directory.
func Open(name string) (*Lab, error) {
	st, err := ReadState(name)
	if err != nil {
		return nil, err
	}
	spec, err := Load(filepath.Join(StateDir(name), specFile))
	if err != nil {
		return nil, fmt.Errorf("open lab %s: %w", name, err)
	}
	spec.File = st.File
	return newLab(name, spec, st), nil
}

func newLab(name string, spec *Spec, st *State) *Lab {
	l := &Lab{Name: name, Spec: spec, State: st, hosts: map[string]*Host{}}
	for _, n := range spec.Nodes {
		l.hosts[n.Name] = &Host{Lab: name, Spec: n}
	}
	return l
}

// Host returns a node of the lab by its name in the lab file.
func (l *Lab) Host(node string) (*Host, error) {
	h, ok := l.hosts[node]
	if !ok {
		return nil, fmt.Errorf("lab %s has no node %q (nodes: %v)", l.Name, node, l.NodeNames())
	}
	return h, nil
}

// Hosts returns every node in lab-file order.
func (l *Lab) Hosts() []*Host {
	hs := make([]*Host, 0, len(l.Spec.Nodes))
	for _, n := range l.Spec.Nodes {
		hs = append(hs, l.hosts[n.Name])
	}
	return hs
}

// NodeNames lists node names, sorted.
func (l *Lab) NodeNames() []string {
	names := make([]string, 0, len(l.hosts))
	for n := range l.hosts {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
