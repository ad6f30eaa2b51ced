package topo

import (
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// decoder fills a Spec from a yaml.Node tree strictly: every key must be a
// field, every value must parse, and each fault becomes a Problem at its
// line. Lines of all keys and list elements go into Spec.lines.
type decoder struct {
	s  *Spec
	ps *problems
	// visits bounds the work an alias-heavy document can cause. Aliases
	// cannot loop: decoding follows the Go types, which do not nest.
	visits int
}

const maxVisits = 100_000

var (
	addrType   = reflect.TypeFor[netip.Addr]()
	prefixType = reflect.TypeFor[netip.Prefix]()
)

func (d *decoder) value(n *yaml.Node, v reflect.Value, path string) {
	d.visits++
	if d.visits > maxVisits {
		if d.visits == maxVisits+1 {
			d.fail(path, "the file is too large (too many values or aliases)")
		}
		return
	}
	if n.Kind == yaml.AliasNode {
		d.value(n.Alias, v, path)
		return
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // left out: zero value, defaults may fill it
	}
	switch t := v.Type(); {
	case t == addrType:
		if s, ok := d.scalar(n, path); ok {
			a, err := parseAddr(s)
			if err != nil {
				d.fail(path, "%v", err)
				return
			}
			v.Set(reflect.ValueOf(a))
		}
	case t == prefixType:
		if s, ok := d.scalar(n, path); ok {
			p, err := parsePrefix(s, bareAddrOK(path))
			if err != nil {
				d.fail(path, "%v", err)
				return
			}
			v.Set(reflect.ValueOf(p))
		}
	case t.Kind() == reflect.Pointer:
		e := reflect.New(t.Elem())
		d.value(n, e.Elem(), path)
		v.Set(e)
	case t.Kind() == reflect.String:
		if s, ok := d.scalar(n, path); ok {
			v.SetString(s)
		}
	case t.Kind() == reflect.Bool:
		if s, ok := d.scalar(n, path); ok {
			switch s {
			case "true":
				v.SetBool(true)
			case "false":
			default:
				d.fail(path, "%q is not true or false", s)
			}
		}
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Int64:
		if s, ok := d.scalar(n, path); ok {
			i, err := strconv.ParseInt(s, 10, t.Bits())
			if err != nil {
				d.numberFail(path, s, err, t)
				return
			}
			v.SetInt(i)
		}
	case t.Kind() >= reflect.Uint && t.Kind() <= reflect.Uint64:
		if s, ok := d.scalar(n, path); ok {
			u, err := strconv.ParseUint(s, 10, t.Bits())
			if err != nil {
				d.numberFail(path, s, err, t)
				return
			}
			v.SetUint(u)
		}
	case t.Kind() == reflect.Slice:
		d.slice(n, v, path)
	case t.Kind() == reflect.Map:
		d.stringMap(n, v, path)
	case t.Kind() == reflect.Struct:
		d.object(n, v, path)
	default:
		panic(fmt.Sprintf("topo: no decoder for %v", t))
	}
}

// fail records a value that did not decode.
func (d *decoder) fail(path, format string, args ...any) {
	d.ps.add(path, format, args...)
	d.ps.bad[path] = true
}

func (d *decoder) numberFail(path, s string, err error, t reflect.Type) {
	if !errors.Is(err, strconv.ErrRange) {
		d.fail(path, "%q is not a whole number", s)
		return
	}
	if t.Kind() >= reflect.Uint && t.Kind() <= reflect.Uint64 {
		d.fail(path, "%s is out of range 0..%d", s, uint64(1)<<t.Bits()-1)
		return
	}
	d.fail(path, "%s is out of range %d..%d", s, -(int64(1) << (t.Bits() - 1)), int64(1)<<(t.Bits()-1)-1)
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	default:
		return "a single value"
	}
}

func (d *decoder) scalar(n *yaml.Node, path string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		d.fail(path, "expected a single value, got %s", kindName(n))
		return "", false
	}
	return n.Value, true
}

func (d *decoder) slice(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.SequenceNode {
		d.fail(path, "expected a list, got %s", kindName(n))
		return
	}
	et := v.Type().Elem()
	keyField := elemKeyField(et)
	var keys []string
	if keyField != "" {
		names := make([]string, len(n.Content))
		for i, e := range n.Content {
			names[i] = scalarField(e, keyField)
		}
		keys = elemKeys(names)
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, e := range n.Content {
		p := index(path, i)
		if keys != nil {
			p = join(path, keys[i])
		}
		d.s.lines[p] = e.Line
		d.value(e, s.Index(i), p)
	}
	v.Set(s)
}

// elemKeyField is the YAML key that names an element of a list of t:
// "name", or "node" for real servers and VRRP members; "" for unnamed.
func elemKeyField(t reflect.Type) string {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return ""
	}
	fields := yamlFields(t)
	for _, k := range []string{"name", "node"} {
		if _, ok := fields[k]; ok {
			return k
		}
	}
	return ""
}

// scalarField is the plain value of key in mapping n, or "".
func scalarField(n *yaml.Node, key string) string {
	for i := 0; n.Kind == yaml.AliasNode && i < 10; i++ {
		n = n.Alias
	}
	if n.Kind != yaml.MappingNode {
		return ""
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			v := n.Content[i+1]
			if v.Kind == yaml.ScalarNode && v.Tag != "!!null" {
				return v.Value
			}
			return ""
		}
	}
	return ""
}

func (d *decoder) stringMap(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.fail(path, "expected a mapping, got %s", kindName(n))
		return
	}
	m := reflect.MakeMap(v.Type())
	first := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		p := path + "." + k.Value
		if k.Kind != yaml.ScalarNode {
			d.fail(path, "a key must be a single value, got %s", kindName(k))
			continue
		}
		if l, dup := first[k.Value]; dup {
			d.fail(p, "%s is given twice (first on line %d)", k.Value, l)
			continue
		}
		first[k.Value] = k.Line
		d.s.lines[p] = k.Line
		e := reflect.New(v.Type().Elem()).Elem()
		d.value(val, e, p)
		m.SetMapIndex(reflect.ValueOf(k.Value), e)
	}
	v.Set(m)
}

func (d *decoder) object(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.fail(path, "expected a mapping, got %s", kindName(n))
		return
	}
	fields := yamlFields(v.Type())
	first := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.fail(path, "a key must be a single value, got %s", kindName(k))
			continue
		}
		p := join(path, k.Value)
		fi, ok := fields[k.Value]
		if !ok {
			d.ps.addAt(k.Line, p, "unknown field%s", suggest(k.Value, fields))
			continue
		}
		if l, dup := first[k.Value]; dup {
			d.fail(p, "given twice (first on line %d)", l)
			continue
		}
		first[k.Value] = k.Line
		d.s.lines[p] = k.Line
		d.value(val, v.Field(fi), p)
	}
}

var fieldCache sync.Map // reflect.Type → map[string]int

// yamlFields maps the YAML keys of struct t to field indexes.
func yamlFields(t reflect.Type) map[string]int {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]int)
	}
	m := map[string]int{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
		if !f.IsExported() || tag == "" || tag == "-" {
			continue
		}
		m[tag] = i
	}
	fieldCache.Store(t, m)
	return m
}

// suggest names the known field closest to an unknown one, or lists them.
func suggest(key string, fields map[string]int) string {
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	sort.Strings(names)
	best, bestD := "", 3
	for _, k := range names {
		if d := editDistance(strings.ToLower(key), k); d < bestD {
			best, bestD = k, d
		}
	}
	if best != "" {
		return fmt.Sprintf("; did you mean %s?", best)
	}
	return "; known fields: " + strings.Join(names, ", ")
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// parseAddr reads an IPv4 address, the only family labs use.
func parseAddr(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		return netip.Addr{}, fmt.Errorf("%q is not an IPv4 address", s)
	}
	return a, nil
}

// parsePrefix reads an address in CIDR form; where bare is set, a plain
// address stands for a /32 (a VIP, as keepalived's virtual_ipaddress, or a
// host route).
func parsePrefix(s string, bare bool) (netip.Prefix, error) {
	if !strings.Contains(s, "/") {
		a, err := parseAddr(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		if !bare {
			return netip.Prefix{}, fmt.Errorf("%s has no prefix length; write it in CIDR form, e.g. %s/24", s, s)
		}
		return netip.PrefixFrom(a, 32), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil || !p.Addr().Is4() {
		return netip.Prefix{}, fmt.Errorf("%q is not an IPv4 address in CIDR form (a.b.c.d/n)", s)
	}
	return p, nil
}

// bareAddrOK reports whether the prefix at path may be written without a
// prefix length: VRRP VIPs and route destinations.
func bareAddrOK(path string) bool {
	return strings.Contains(path, ".vips[") || strings.HasSuffix(path, ".to")
}
