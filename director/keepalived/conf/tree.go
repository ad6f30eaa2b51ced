package conf

import (
	"fmt"
	"os"
	"slices"
	"strings"
)

// Node is one keyword line of a configuration, or a block when Block is
// set (`keyword args { children }`).
type Node struct {
	Pos      Pos
	Keyword  string
	Args     []string
	Block    bool
	Children []*Node
	// Cond is the `@ID` or `@^ID` the line was read under, if any.
	Cond string
}

// Arg is the i-th argument, or "".
func (n *Node) Arg(i int) string {
	if i < len(n.Args) {
		return n.Args[i]
	}
	return ""
}

// Line is the node's keyword and arguments as one line.
func (n *Node) Line() string {
	return strings.Join(append([]string{n.Keyword}, n.Args...), " ")
}

// Tree is a parsed configuration: its top-level nodes, the files read
// (the file itself, then its includes) and every remark made.
type Tree struct {
	Nodes       []*Node
	Files       []string
	Diagnostics []Diagnostic
}

// ParseFile parses the keepalived.conf at path and everything it includes.
// The tree is returned even with errors (Errors), so that callers can
// report what they can.
func ParseFile(path string, opt Options) (*Tree, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("parse keepalived.conf: %w", err)
	}
	return Parse(path, data, opt)
}

// Parse parses data, the text of the file name (for positions and
// relative includes).
func Parse(name string, data []byte, opt Options) (*Tree, error) {
	d := &diags{}
	r := &reader{opt: opt, defs: map[string]string{}, d: d}
	r.readFile(name, data, 0)
	t := build(r.lines, d)
	for _, f := range r.files {
		if !slices.Contains(t.Files, f) {
			t.Files = append(t.Files, f)
		}
	}
	t.Diagnostics = d.list
	return t, d.err()
}

// build assembles lines into blocks. A statement runs to the end of its
// line or to a brace; a `{` right after a statement (on its line or
// first on the next) makes it a block, and `}` closes the innermost one.
func build(lines []srcLine, d *diags) *Tree {
	root := &Node{Block: true}
	stack := []*Node{root}
	var pending *Node // the statement a `{` would open
	for _, l := range lines {
		toks := l.toks
		for i := 0; i < len(toks); {
			top := stack[len(stack)-1]
			switch t := toks[i]; {
			case t.isOpen():
				if pending == nil {
					d.add(l.pos, Error, "{ without a keyword before it")
					pending = &Node{Pos: l.pos, Cond: l.cond}
					top.Children = append(top.Children, pending)
				}
				pending.Block = true
				stack = append(stack, pending)
				pending = nil
				i++
			case t.isClose():
				if len(stack) == 1 {
					d.add(l.pos, Error, "} closes no block")
				} else {
					stack = stack[:len(stack)-1]
				}
				pending = nil
				i++
			default:
				j := i + 1
				for j < len(toks) && !toks[j].isOpen() && !toks[j].isClose() {
					j++
				}
				n := &Node{Pos: l.pos, Keyword: t.s, Cond: l.cond}
				for _, a := range toks[i+1 : j] {
					n.Args = append(n.Args, a.s)
				}
				top.Children = append(top.Children, n)
				pending = n
				i = j
			}
		}
	}
	for _, open := range stack[1:] {
		d.add(open.Pos, Error, "block %q opened here is never closed (unbalanced brace)", open.Line())
	}
	return &Tree{Nodes: root.Children}
}
