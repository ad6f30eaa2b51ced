package topo

import (
	"regexp"
	"strconv"
	"strings"
)

// Paths name a place in a lab file for Line and for problems. A path is the
// YAML keys from the top, joined by dots; list elements that have a name
// (segments, nodes, interfaces, services, vrrp, vrrp_scripts) or a node (realservers,
// members) are keyed by it, other list elements by [index]:
//
//	name
//	segments.lan.subnet
//	nodes.web1.gateway
//	nodes.web1.interfaces.eth0.addresses[0]
//	nodes.router.routes[1].via
//	services.web.realservers.web1.weight
//	vrrp.VI_1.members.lvs01.priority
//
// An element without a usable name is keyed #N (N counts from 1), and the
// second element with a name already taken is keyed name#N.

// Line is the line of the object or field at path in the file the spec was
// parsed from. A path with no line of its own (a default, a field left out)
// gets the line of its closest enclosing object, "" being the whole lab; 0
// when there is none, as for a Spec built in Go.
func (s *Spec) Line(path string) int {
	for {
		if l, ok := s.lines[path]; ok {
			return l
		}
		if path == "" {
			return 0
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			i = 0 // a top-level key: the line of the whole lab
		}
		path = path[:i]
	}
}

// has reports whether path was written in the file.
func (s *Spec) has(path string) bool {
	_, ok := s.lines[path]
	return ok
}

var pathSafe = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// elemKeys gives the path keys of named list elements.
func elemKeys(names []string) []string {
	keys := make([]string, len(names))
	seen := map[string]bool{}
	for i, n := range names {
		switch {
		case !pathSafe.MatchString(n):
			keys[i] = "#" + strconv.Itoa(i+1)
		case seen[n]:
			keys[i] = n + "#" + strconv.Itoa(i+1)
		default:
			keys[i] = n
		}
		seen[n] = true
	}
	return keys
}

// collections maps top-level list keys to the word for one of their objects.
var collections = map[string]string{
	"segments": "segment",
	"nodes":    "node",
	"services": "service",
	"vrrp":     "vrrp",
	// vrrp_scripts: one object is a vrrp_script.
	"vrrp_scripts": "vrrp_script",
}

// objectField splits a path into the object a problem is about and the field
// within it: "nodes.web1.gateway" is node web1, field gateway.
func objectField(path string) (object, field string) {
	parts := strings.SplitN(path, ".", 3)
	kind, ok := collections[parts[0]]
	if !ok || len(parts) < 2 {
		return "lab", path
	}
	name := parts[1]
	if i := strings.LastIndexByte(name, '#'); i > 0 {
		name = name[:i] // a duplicate: name#N
	}
	if len(parts) == 3 {
		field = parts[2]
	}
	return kind + " " + name, field
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}
