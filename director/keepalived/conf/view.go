package conf

import (
	"cmp"
	"fmt"
	"slices"
)

// Config is the typed view of a keepalived.conf: what keepalived 2.2
// would run, with its defaults filled in.
type Config struct {
	// Files are the file read and the files it included, in order.
	Files       []string
	Global      *GlobalDefs
	Scripts     []*Script
	SyncGroups  []*SyncGroup
	Instances   []*Instance
	Services    []*VirtualServer
	Diagnostics []Diagnostic
}

// Block is the block an object was read from; it gives the line of any
// of the object's fields.
type Block struct{ Node *Node }

// At is the position of the last line with keyword directly in the block
// (keepalived keeps the last of repeated keywords), or the block's own
// line when there is none.
func (b Block) At(keyword string) Pos {
	if n := b.find(keyword); n != nil {
		return n.Pos
	}
	if b.Node == nil {
		return Pos{}
	}
	return b.Node.Pos
}

// Has reports whether keyword is written directly in the block.
func (b Block) Has(keyword string) bool { return b.find(keyword) != nil }

func (b Block) find(keyword string) *Node {
	if b.Node == nil {
		return nil
	}
	var found *Node
	for _, c := range b.Node.Children {
		if c.Keyword == keyword {
			found = c
		}
	}
	return found
}

// LoadFile parses the keepalived.conf at path and reads it into a Config.
func LoadFile(path string, opt Options) (*Config, error) {
	t, err := ParseFile(path, opt)
	if t == nil {
		return nil, err
	}
	return fromTree(t), errOf(t)
}

// Load parses data, the text of the file name, into a Config. The Config
// is returned even with errors (Errors), with what could be read.
func Load(name string, data []byte, opt Options) (*Config, error) {
	t, _ := Parse(name, data, opt)
	return fromTree(t), errOf(t)
}

// errOf is the Errors of both stages: the tree's and the view's.
func errOf(t *Tree) error {
	d := diags{list: t.Diagnostics}
	return d.err()
}

// fromTree reads the typed view and appends its diagnostics to t's.
func fromTree(t *Tree) *Config {
	v := &viewer{d: &diags{list: t.Diagnostics}}
	c := &Config{Files: t.Files, Global: &GlobalDefs{}}
	for _, n := range t.Nodes {
		switch n.Keyword {
		case "global_defs":
			if v.needBlock(n) {
				c.Global = v.global(n)
			}
		case "vrrp_script":
			if v.needBlock(n) && v.needName(n) {
				c.Scripts = append(c.Scripts, v.script(n))
			}
		case "vrrp_sync_group":
			if v.needBlock(n) && v.needName(n) {
				c.SyncGroups = append(c.SyncGroups, v.syncGroup(n))
			}
		case "vrrp_instance":
			if v.needBlock(n) && v.needName(n) {
				c.Instances = append(c.Instances, v.instance(n))
			}
		case "virtual_server":
			if !v.needBlock(n) {
				continue
			}
			if vs := v.virtualServer(n); vs != nil {
				c.Services = append(c.Services, vs)
			}
		default:
			v.other("top", n)
		}
	}
	sortDiagnostics(v.d.list, t.Files)
	t.Diagnostics = v.d.list
	c.Diagnostics = v.d.list
	return c
}

// sortDiagnostics orders diagnostics by file (in the order read) and
// line, keeping the order of those on one line.
func sortDiagnostics(d []Diagnostic, files []string) {
	slices.SortStableFunc(d, func(a, b Diagnostic) int {
		if c := cmp.Compare(slices.Index(files, a.Pos.File), slices.Index(files, b.Pos.File)); c != 0 {
			return c
		}
		return cmp.Compare(a.Pos.Line, b.Pos.Line)
	})
}

// viewer reads blocks into typed values, noting what it cannot read.
type viewer struct{ d *diags }

func (v *viewer) errorf(n *Node, format string, args ...any) {
	v.d.add(n.Pos, Error, "%s: %s", n.Keyword, fmt.Sprintf(format, args...))
}

func (v *viewer) needBlock(n *Node) bool {
	if !n.Block {
		v.errorf(n, "needs a { … } block")
	}
	return n.Block
}

func (v *viewer) needName(n *Node) bool {
	if len(n.Args) == 0 {
		v.errorf(n, "needs a name")
		return false
	}
	return true
}

// other reports a keyword the view does not read in the context ctx
// ("top", "global_defs", "vrrp_instance", …): kept but not modelled,
// out of scope, or unknown. At top level an unknown keyword is an error.
func (v *viewer) other(ctx string, n *Node) {
	if why, ok := outOfScope[ctx][n.Keyword]; ok {
		v.d.add(n.Pos, Unsupported, "%s: %s", n.Keyword, why)
		return
	}
	if kept[ctx][n.Keyword] {
		v.d.add(n.Pos, Note, "%s: kept as written; lvslab does not model it", n.Keyword)
		return
	}
	if ctx == "top" {
		v.d.add(n.Pos, Error, "unknown keyword %q at top level", n.Keyword)
		return
	}
	v.d.add(n.Pos, Unknown, "unknown keyword %q in %s (keepalived 2.2 ignores it with a warning)", n.Keyword, ctx)
}

// names reads a block whose lines are names (track_script, group …):
// each line's keyword, with its arguments.
func names(n *Node) []*Node {
	if !n.Block {
		return nil
	}
	return n.Children
}
