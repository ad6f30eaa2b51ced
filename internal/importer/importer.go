// Package importer turns a user's own configuration — one keepalived.conf
// per director, or an `ipvsadm-save` dump for a director without
// keepalived — into a lab file (a topo.Spec) that stands it up: the
// file's addresses and interface names kept, real servers, directors and
// a client placed on the subnets the configuration implies, and a YAML
// comment on every choice the import had to make.
//
// Each keepalived director runs its file verbatim (topo.Node.Keepalived).
// What cannot run in a lab as written (a notify or script path missing on
// this host, SMTP alerts, a missing include) is not changed: it is listed
// with its line (Result.Caveats). The lab has no mount namespace of its
// own, so a stub at such a path would change the host outside the lab's
// state directory: the import never writes one. What lvslab cannot stand
// up at all (SSL_GET, SMTP_CHECK, virtual_server_group, IPv6, …) is an
// *OutOfScope error listing every such line; malformed input is the
// parser's FILE:LINE errors. In both cases nothing is written.
package importer

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/lvslab/lvslab/director"
	"github.com/lvslab/lvslab/director/keepalived"
	"github.com/lvslab/lvslab/director/keepalived/conf"
	"github.com/lvslab/lvslab/topo"
)

// Options tune an import.
type Options struct {
	// Name is the lab's name; "" derives it from the first file's name.
	Name string
	// Peer, with a single keepalived.conf, adds the BACKUP peer tutorials
	// tell readers to make: a copy with state BACKUP and this priority,
	// everything else equal (Result.Files holds it).
	Peer int
	// Dir is the directory the lab file will be written to: the
	// keepalived: paths are relative to it, and the peer's file goes
	// there. "" writes absolute paths (and needs no peer).
	Dir string
	// Exists tells whether a program path exists on this host; nil uses
	// os.Stat. Tests pass a fixed answer.
	Exists func(path string) bool
	// Server is what answers on the real servers: "" or topo.ServerBuiltin
	// (lvslab's backend), or topo.ServerNginx (Debian's nginx, on real
	// servers that serve only TCP services).
	Server string
}

// Result is an imported lab.
type Result struct {
	// YAML is the lab file, with its comments.
	YAML []byte
	// Spec is the lab file parsed back and validated.
	Spec *topo.Spec
	// Files are files the lab file names that the import wrote (the
	// --peer copy), keyed by path relative to Options.Dir.
	Files map[string][]byte
	// Caveats are the lines that cannot run in a lab as written, each
	// FILE:LINE: what happens and what to do; also in the YAML header.
	Caveats []Caveat
	// Notes are the choices the import made, one a line (also in the YAML
	// as comments where they apply).
	Notes []string
}

// OutOfScope is the error of a configuration lvslab cannot stand up:
// every line it cannot, FILE:LINE: why.
type OutOfScope struct{ Lines []string }

func (e *OutOfScope) Error() string {
	return "out of lvslab's scope (nothing written):\n" + strings.Join(e.Lines, "\n")
}

// source is one director's input file, read.
type source struct {
	path string // as given
	data []byte
	cfg  *conf.Config             // a keepalived.conf
	save []*director.SavedService // an ipvsadm-save dump
	// peerOf is the file a --peer copy was made from.
	peerOf string
}

// Import reads the files, one per director, and returns the lab.
func Import(paths []string, opt Options) (*Result, error) {
	if len(paths) == 0 {
		return nil, errors.New("import: no files")
	}
	if opt.Exists == nil {
		opt.Exists = func(p string) bool { _, err := os.Stat(p); return err == nil }
	}
	var srcs []*source
	var errs []string
	for _, p := range paths {
		s, err := read(p)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		srcs = append(srcs, s)
	}
	if len(errs) > 0 {
		return nil, errors.New(strings.Join(errs, "\n"))
	}
	if opt.Server != "" && opt.Server != topo.ServerBuiltin && opt.Server != topo.ServerNginx {
		return nil, fmt.Errorf("import: --server %s: want %s or %s", opt.Server, topo.ServerBuiltin, topo.ServerNginx)
	}
	if opt.Peer != 0 {
		if len(srcs) != 1 || srcs[0].cfg == nil {
			return nil, errors.New("import: --peer makes the BACKUP of a single keepalived.conf; give one file")
		}
		if opt.Peer < 1 || opt.Peer > 255 {
			return nil, fmt.Errorf("import: --peer %d: a VRRP priority is 1 to 254", opt.Peer)
		}
		if opt.Dir == "" {
			return nil, errors.New("import: --peer writes the peer's keepalived.conf next to the lab file; give -o")
		}
		peer, err := makePeer(srcs[0], opt.Peer, opt.Dir)
		if err != nil {
			return nil, err
		}
		srcs = append(srcs, peer)
	}
	var oos []string
	for _, s := range srcs {
		if s.peerOf != "" {
			continue // its lines are its original's
		}
		oos = append(oos, outOfScope(s)...)
	}
	if len(oos) > 0 {
		return nil, &OutOfScope{Lines: oos}
	}
	b := newBuilder(srcs, opt)
	if err := b.build(); err != nil {
		return nil, err
	}
	return b.result()
}

// read loads one file: an ipvsadm-save dump when its first line that says
// anything is an ipvsadm option line, a keepalived.conf otherwise.
func read(path string) (*source, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	s := &source{path: path, data: data}
	if isDump(data) {
		s.save, err = director.ParseSave(path, bytes.NewReader(data))
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	s.cfg, err = conf.LoadFile(path, conf.Options{})
	if err != nil {
		return nil, err
	}
	return s, nil
}

var dumpLine = regexp.MustCompile(`^-[AaC]\b|^--(add-service|add-server|clear)\b`)

func isDump(data []byte) bool {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		return dumpLine.MatchString(l)
	}
	return false
}

// keepsRunning are out-of-scope diagnostics keepalived runs past in a
// lab: they are caveats, not reasons to refuse.
var keepsRunning = []string{"smtp_server:"}

// outOfScope lists what lvslab cannot stand up in s, FILE:LINE: why.
func outOfScope(s *source) []string {
	var out []string
	if s.cfg != nil {
		for _, d := range s.cfg.Diagnostics {
			if d.Severity != conf.Unsupported || hasPrefix(d.Msg, keepsRunning) {
				continue
			}
			out = append(out, d.String())
		}
		for _, vs := range s.cfg.Services {
			if vs.FWMark != 0 {
				out = append(out, fmt.Sprintf("%s: out of scope: virtual_server fwmark %d: the rule that sets the mark is not in keepalived.conf, so the import cannot know which ports to mark (write the lab's service with fwmark and ports)", vs.Node.Pos, vs.FWMark))
			}
		}
		return out
	}
	for _, svc := range s.save {
		switch {
		case svc.IPv6 || svc.VIP.Is6():
			out = append(out, fmt.Sprintf("%s:%d: out of scope: %s: IPv6: lvslab labs are IPv4 only", s.path, svc.Line, svc.Name()))
		case svc.FWMark != 0:
			out = append(out, fmt.Sprintf("%s:%d: out of scope: %s: the rule that sets the mark is not in the dump, so the import cannot know which ports to mark", s.path, svc.Line, svc.Name()))
		}
		for _, rs := range svc.RealServers {
			if len(rs.Tunnel) > 0 {
				out = append(out, fmt.Sprintf("%s:%d: out of scope: %s: tunnel options %s: lvslab's TUN labs use plain ipip", s.path, rs.Line, svc.Name(), strings.Join(rs.Tunnel, " ")))
			}
		}
	}
	return out
}

func hasPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

var (
	stateRe    = regexp.MustCompile(`(?i)^(\s*state\s+)\S+`)
	priorityRe = regexp.MustCompile(`^(\s*priority\s+)\S+`)
)

// makePeer is the BACKUP copy of s tutorials tell readers to make, to be
// written to dir: every
// vrrp_instance of the file itself (not of an included one) gets state
// BACKUP and priority prio; nothing else changes.
func makePeer(s *source, prio int, dir string) (*source, error) {
	lines := strings.Split(string(s.data), "\n")
	insert := map[int]string{} // after line index → text
	for _, in := range s.cfg.Instances {
		if in.Node.Pos.File != s.path {
			return nil, fmt.Errorf("import: --peer: %s: vrrp_instance %s is in an included file; write the peer's file yourself", in.Node.Pos, in.Name)
		}
		if in.UnicastSrcIP.IsValid() || len(in.UnicastPeers) > 0 {
			return nil, fmt.Errorf("import: --peer: %s: vrrp_instance %s uses unicast, so the peer's unicast_src_ip and unicast_peer differ from this file's; write the peer's file yourself", in.At("unicast_src_ip"), in.Name)
		}
		if in.Has("state") {
			i := in.At("state").Line - 1
			lines[i] = stateRe.ReplaceAllString(lines[i], "${1}BACKUP")
		} else {
			insert[in.Node.Pos.Line-1] += "\n    state BACKUP"
		}
		p := strconv.Itoa(prio)
		if in.Has("priority") {
			i := in.At("priority").Line - 1
			lines[i] = priorityRe.ReplaceAllString(lines[i], "${1}"+p)
		} else {
			insert[in.Node.Pos.Line-1] += "\n    priority " + p
		}
	}
	for i, text := range insert {
		// After the line that opens the block (the { may be on the next).
		for i < len(lines)-1 && !strings.Contains(lines[i], "{") {
			i++
		}
		lines[i] += text
	}
	data := []byte(strings.Join(lines, "\n"))
	stem := strings.TrimSuffix(filepath.Base(s.path), filepath.Ext(s.path))
	name := stem + "-peer.conf"
	cfg, err := conf.Load(name, data, conf.Options{})
	if err != nil {
		return nil, fmt.Errorf("import: --peer: the copy does not parse: %w", err)
	}
	return &source{path: filepath.Join(dir, name), data: data, cfg: cfg, peerOf: s.path}, nil
}

// Caveat is a line that cannot run in a lab as written.
type Caveat struct {
	// At is the line, FILE:LINE.
	At string
	// Text says what happens in the lab and what to do.
	Text string
	// Defeats, when set, is the health check the line defeats in the
	// lab: keepalived keeps the real server out of its service whatever
	// the server's backend does, so what lvslab verify measures of that
	// service (its health, distribution, path) says nothing about the
	// file.
	Defeats *Defeat
}

// String is the caveat as the lab file's header and lvslab print it:
// FILE:LINE: text.
func (c Caveat) String() string { return c.At + ": " + c.Text }

// Defeat is a real server of a virtual service whose health check a
// line defeats in the lab.
type Defeat struct {
	VIP        netip.Addr
	Port       uint16
	Protocol   string // tcp or udp
	RealServer netip.Addr
	// What is the defeated part of the check, in the user's words: "the
	// HTTP_GET digest of url /testurl/test.jsp".
	What string
}

// CaveatsOf lists what cannot run as written in the keepalived.conf
// files the directors of spec run (topo.Node.Keepalived, resolved as
// keepalived does), for a lab file read back: what Import's Result.Caveats
// said when it wrote the lab. exists is as Options.Exists (nil: os.Stat).
func CaveatsOf(spec *topo.Spec, exists func(string) bool) ([]Caveat, error) {
	if exists == nil {
		exists = func(p string) bool { _, err := os.Stat(p); return err == nil }
	}
	var out []Caveat
	for _, n := range spec.Nodes {
		path := keepalived.ConfigSource(spec, n)
		if path == "" {
			continue
		}
		s, err := read(path)
		if err != nil {
			return nil, fmt.Errorf("caveats of %s: %w", n.Name, err)
		}
		if s.cfg != nil {
			out = append(out, caveatsOfFile(s, exists)...)
		}
	}
	return out, nil
}
