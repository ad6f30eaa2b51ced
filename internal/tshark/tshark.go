// Package tshark reads pcaps with Wireshark's tshark, the decoder the
// tests hold package captures' own decoding against: an oracle written by
// other people, from the RFCs, that shares no code with ours.
//
// It returns what tshark printed, field by field, in the types captures
// uses, so that a test compares the two with one cmp.Diff. Nothing here
// interprets a packet itself; where tshark has a name for a property
// (arp.isgratuitous) the filter uses it rather than our rule.
package tshark

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/lvslab/lvslab/captures"
)

// ErrMissing means tshark is not installed (Debian package tshark).
var ErrMissing = errors.New("tshark is not installed (apt-get install tshark, or make deps)")

// timeout bounds one tshark run: its start-up reads every dissector.
const timeout = 2 * time.Minute

// Fields runs `tshark -r FILE -Y FILTER -T fields -E separator=/t
// -E occurrence=a -E aggregator=, -e FIELD…` and returns one row per
// packet, one column per field (several occurrences joined with ",").
func Fields(file, filter string, fields ...string) ([][]string, error) {
	bin, err := exec.LookPath("tshark")
	if err != nil {
		return nil, ErrMissing
	}
	args := []string{"-r", file, "-n", "-Y", filter, "-T", "fields",
		"-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=,"}
	for _, f := range fields {
		args = append(args, "-e", f)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("run tshark -r %s: %w: %s", file, err, strings.TrimSpace(stderr.String()))
	}
	var rows [][]string
	for _, line := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		if line == "" {
			continue
		}
		row := strings.Split(line, "\t")
		if len(row) != len(fields) {
			return nil, fmt.Errorf("read tshark -r %s: %d columns in %q, want %d", file, len(row), line, len(fields))
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// VRRP is what tshark decodes of keepalived's traffic in a pcap.
type VRRP struct {
	// Adverts are the VRRP advertisements (display filter vrrp): the
	// fields of captures.Advert.
	Adverts []captures.Advert
	// GARPs are the ARP frames tshark calls gratuitous (display filter
	// arp.isgratuitous).
	GARPs []GARP
}

// GARP is a gratuitous ARP as tshark decodes it: captures.GARP and the
// ARP opcode (1 request, 2 reply), which ours does not keep.
type GARP struct {
	captures.GARP
	Opcode uint16
}

// vrrpFields are the columns ReadVRRP asks tshark for: the frame's, then
// the advert's, then the ARP's (empty where the frame has none).
var vrrpFields = []string{"frame.time_epoch", "ip.src", "eth.src",
	"vrrp.version", "vrrp.virt_rtr_id", "vrrp.prio", "vrrp.adver_int", "vrrp.short_adver_int", "vrrp.ip_addr",
	"arp.opcode", "arp.src.proto_ipv4", "arp.dst.proto_ipv4", "arp.src.hw_mac"}

// ReadVRRP decodes file's VRRP adverts and gratuitous ARPs with one run
// of tshark (it takes seconds to start under an emulated kernel).
func ReadVRRP(file string) (*VRRP, error) {
	rows, err := Fields(file, "vrrp || arp.isgratuitous", vrrpFields...)
	if err != nil {
		return nil, err
	}
	out := &VRRP{}
	for _, r := range rows {
		at, err := epoch(r[0])
		if err != nil {
			return nil, fmt.Errorf("read tshark's frames in %s: %w", file, err)
		}
		if r[3] != "" {
			a, err := advert(at, r[1:9])
			if err != nil {
				return nil, fmt.Errorf("read tshark's adverts in %s: %w", file, err)
			}
			out.Adverts = append(out.Adverts, a)
		}
		if r[9] != "" {
			g, err := garp(at, r[9:13])
			if err != nil {
				return nil, fmt.Errorf("read tshark's gratuitous ARPs in %s: %w", file, err)
			}
			out.GARPs = append(out.GARPs, g)
		}
	}
	return out, nil
}

// advert reads ip.src, eth.src and the vrrp fields of one frame.
func advert(at time.Time, r []string) (captures.Advert, error) {
	a := captures.Advert{Time: at}
	var errs []error
	var err error
	a.SrcIP, err = netip.ParseAddr(r[0])
	errs = append(errs, err)
	a.SrcMAC, err = net.ParseMAC(r[1])
	errs = append(errs, err)
	a.Version, err = uint8Field(r[2])
	errs = append(errs, err)
	a.VRID, err = uint8Field(r[3])
	errs = append(errs, err)
	a.Priority, err = uint8Field(r[4])
	errs = append(errs, err)
	switch a.Version {
	case 3: // centiseconds
		var cs uint64
		cs, err = strconv.ParseUint(r[6], 10, 16)
		a.AdvertInt = time.Duration(cs) * 10 * time.Millisecond
	default: // seconds
		var s uint8
		s, err = uint8Field(r[5])
		a.AdvertInt = time.Duration(s) * time.Second
	}
	errs = append(errs, err)
	for _, v := range strings.Split(r[7], ",") {
		if v == "" {
			continue
		}
		ip, err := netip.ParseAddr(v)
		errs = append(errs, err)
		a.VIPs = append(a.VIPs, ip)
	}
	return a, errors.Join(errs...)
}

// garp reads the arp fields of one frame.
func garp(at time.Time, r []string) (GARP, error) {
	g := GARP{GARP: captures.GARP{Time: at}}
	var errs []error
	op, err := strconv.ParseUint(r[0], 10, 16)
	errs = append(errs, err)
	g.Opcode = uint16(op)
	g.IP, err = netip.ParseAddr(r[1])
	errs = append(errs, err)
	if dst, err := netip.ParseAddr(r[2]); err != nil || dst != g.IP {
		errs = append(errs, fmt.Errorf("gratuitous ARP with target %q, sender %s", r[2], g.IP))
	}
	g.MAC, err = net.ParseMAC(r[3])
	errs = append(errs, err)
	return g, errors.Join(errs...)
}

// cmpOptions compare addresses by value and MACs by their bytes; no
// packet and an empty list are the same.
var cmpOptions = []cmp.Option{
	cmpopts.EquateEmpty(),
	cmp.Comparer(func(a, b netip.Addr) bool { return a == b }),
	cmp.Comparer(func(a, b net.HardwareAddr) bool { return a.String() == b.String() }),
}

// CompareVRRP decodes file with tshark and returns "" when its VRRP
// adverts and gratuitous ARPs are ours, else what Diff says.
func CompareVRRP(file string, adverts []captures.Advert, garps []captures.GARP) (string, error) {
	theirs, err := ReadVRRP(file)
	if err != nil {
		return "", err
	}
	return theirs.Diff(adverts, garps), nil
}

// Diff is "" when tshark's decoding is ours, else a (-tshark +ours) diff
// of each list that differs. Adverts are compared field by field (time
// to the nanosecond, source IP and MAC, version, VRID, priority,
// interval, VIPs); gratuitous ARPs by time, address and MAC, each a
// request or a reply.
func (theirs *VRRP) Diff(adverts []captures.Advert, garps []captures.GARP) string {
	var b strings.Builder
	if d := cmp.Diff(theirs.Adverts, adverts, cmpOptions...); d != "" {
		fmt.Fprintf(&b, "VRRP adverts (-tshark +ours):\n%s", d)
	}
	plain := make([]captures.GARP, 0, len(theirs.GARPs))
	for _, g := range theirs.GARPs {
		if g.Opcode != 1 && g.Opcode != 2 {
			fmt.Fprintf(&b, "tshark: gratuitous ARP at %s with opcode %d, neither request nor reply\n", g.Time, g.Opcode)
		}
		plain = append(plain, g.GARP)
	}
	if d := cmp.Diff(plain, garps, cmpOptions...); d != "" {
		fmt.Fprintf(&b, "gratuitous ARPs (-tshark +ours):\n%s", d)
	}
	return b.String()
}

// epoch reads frame.time_epoch ("1764000000.123456789") exactly, to the
// nanosecond, without going through a float.
func epoch(s string) (time.Time, error) {
	sec, frac, _ := strings.Cut(s, ".")
	secs, err := strconv.ParseInt(sec, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("parse frame.time_epoch %q: %w", s, err)
	}
	frac = (frac + "000000000")[:9]
	ns, err := strconv.ParseInt(frac, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("parse frame.time_epoch %q: %w", s, err)
	}
	return time.Unix(secs, ns), nil
}

func uint8Field(s string) (uint8, error) {
	v, err := strconv.ParseUint(s, 10, 8)
	return uint8(v), err
}
