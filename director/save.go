package director

import (
	"bufio"
	"fmt"
	"io"
	"net/netip"
	"strings"

	"github.com/lvslab/lvslab/topo"
)

// SavedService is one virtual service of an `ipvsadm-save` dump: an -A
// line and the -a lines that name it, in ipvsadm's terms with its
// defaults filled in.
type SavedService struct {
	Line int // of the -A line
	// Protocol is tcp, udp or sctp; "" for a firewall-mark service.
	Protocol string
	VIP      netip.Addr
	Port     uint16
	FWMark   uint32
	// IPv6 is set for an IPv6 service (a fwmark service's -6).
	IPv6      bool
	Scheduler string // default wlc
	// Persistent is -p; Timeout its value (ipvsadm 1.31's default: 360 s).
	Persistent bool
	Timeout    uint32
	// Netmask is -M (persistence granularity); invalid when unwritten.
	Netmask     netip.Addr
	OPS         bool     // -o, one-packet scheduling
	PE          string   // --pe, persistence engine
	SchedFlags  []string // -b flag-1,sh-port,…
	RealServers []*SavedRealServer
}

// SavedRealServer is an -a line.
type SavedRealServer struct {
	Line    int
	RIP     netip.Addr
	Port    uint16 // the service's port when unwritten
	Forward topo.Forward
	Weight  int    // default 1
	Upper   uint32 // -x
	Lower   uint32 // -y
	// Tunnel holds --tun-type and its options, as written.
	Tunnel []string
}

// Name is the service as ipvsadm's arguments name it: "-t VIP:PORT",
// "-f MARK".
func (s *SavedService) Name() string {
	if s.FWMark != 0 {
		return fmt.Sprintf("-f %d", s.FWMark)
	}
	flag := map[string]string{"tcp": "-t", "udp": "-u", "sctp": "--sctp-service"}[s.Protocol]
	return fmt.Sprintf("%s %s", flag, netip.AddrPortFrom(s.VIP, s.Port))
}

// SaveError is one malformed line of a dump.
type SaveError struct {
	File string
	Line int
	Msg  string
}

func (e *SaveError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// SaveErrors are all the malformed lines of a dump.
type SaveErrors []*SaveError

func (e SaveErrors) Error() string {
	s := make([]string, len(e))
	for i, x := range e {
		s[i] = x.Error()
	}
	return strings.Join(s, "\n")
}

// ParseSave reads an `ipvsadm-save` / `ipvsadm -Sn` dump — the -A and -a
// lines ipvsadm writes, in short or long option form, as ipvsadm-restore
// reads them — from r, named name in errors. Blank lines, # comments and
// -C are accepted. Every malformed line is reported (SaveErrors), with
// the services read from the rest.
//
// Equivalent to what `ipvsadm-restore < FILE` would program.
func ParseSave(name string, r io.Reader) ([]*SavedService, error) {
	p := &saveParser{file: name}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		p.line(n, sc.Text())
	}
	if err := sc.Err(); err != nil {
		return p.services, fmt.Errorf("read %s: %w", name, err)
	}
	if len(p.errs) > 0 {
		return p.services, p.errs
	}
	return p.services, nil
}

type saveParser struct {
	file     string
	services []*SavedService
	errs     SaveErrors
}

func (p *saveParser) errorf(line int, format string, args ...any) {
	p.errs = append(p.errs, &SaveError{File: p.file, Line: line, Msg: fmt.Sprintf(format, args...)})
}

func (p *saveParser) line(n int, text string) {
	if i := strings.IndexByte(text, '#'); i >= 0 {
		text = text[:i]
	}
	args := strings.Fields(text)
	if len(args) == 0 {
		return
	}
	// ipvsadm-restore feeds each line to ipvsadm; a line may start with
	// the program's name.
	if args[0] == "ipvsadm" {
		args = args[1:]
	}
	if len(args) == 0 {
		return
	}
	o, err := parseSaveOptions(args)
	if err != nil {
		p.errorf(n, "%v", err)
		return
	}
	switch o.command {
	case "-C":
		p.services = nil
	case "-A":
		svc, err := o.service(n)
		if err != nil {
			p.errorf(n, "%v", err)
			return
		}
		if p.find(svc) != nil {
			p.errorf(n, "service %s is added twice", svc.Name())
			return
		}
		p.services = append(p.services, svc)
	case "-a":
		key, err := o.service(n)
		if err != nil {
			p.errorf(n, "%v", err)
			return
		}
		svc := p.find(key)
		if svc == nil {
			p.errorf(n, "real server for %s, a service no -A line before adds", key.Name())
			return
		}
		rs, err := o.realServer(n, svc)
		if err != nil {
			p.errorf(n, "%v", err)
			return
		}
		svc.RealServers = append(svc.RealServers, rs)
	default:
		p.errorf(n, "%s: only -A, -a and -C belong in an ipvsadm-save dump", o.command)
	}
}

func (p *saveParser) find(key *SavedService) *SavedService {
	for _, s := range p.services {
		if s.Protocol == key.Protocol && s.VIP == key.VIP && s.Port == key.Port && s.FWMark == key.FWMark && s.IPv6 == key.IPv6 {
			return s
		}
	}
	return nil
}
