package client

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// maxReply bounds what is read of one reply.
const maxReply = 64 * 1024

// request sends one request and describes what happened; a failed
// request's error is returned too (its kind is in Event.Err).
func (r *runner) request(ctx context.Context, seq int, src netip.Addr) (Event, error) {
	begin := time.Now()
	ev := Event{At: begin.Sub(r.start)}
	deadline := begin.Add(r.opts.Timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	rctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	c, err := r.conn(rctx, src)
	if err != nil {
		ev.Source = netip.AddrPortFrom(src, 0)
		ev.Latency = time.Since(begin)
		ev.Err, ev.Detail = Classify(err), err.Error()
		return ev, err
	}
	ev.Source = addrPort(c.c.LocalAddr())
	_ = c.c.SetDeadline(deadline)
	// The caller's cancellation wakes a blocked read or write.
	stop := context.AfterFunc(rctx, func() { _ = c.c.SetDeadline(time.Now()) })
	keep := r.opts.KeepAlive
	switch r.opts.Protocol {
	case HTTP:
		keep, err = r.http(c, &ev)
	case TCPEcho:
		err = tcpEcho(c, seq, &ev)
	case UDPEcho:
		err = udpEcho(c, seq, &ev)
	}
	stop()
	ev.Latency = time.Since(begin)
	if err != nil || !keep {
		c.c.Close()
		delete(r.pool, src)
	}
	if err != nil {
		ev.Err, ev.Detail = Classify(err), err.Error()
	}
	return ev, err
}

// conn returns the kept-alive connection for src, or dials a new one from
// the calling thread (and so from inside the node's namespace).
func (r *runner) conn(ctx context.Context, src netip.Addr) (*conn, error) {
	if c, ok := r.pool[src]; ok {
		return c, nil
	}
	network := "tcp"
	if r.opts.Protocol == UDPEcho {
		network = "udp"
	}
	if r.opts.Target.Addr().Is4() {
		network += "4"
	} else {
		network += "6"
	}
	// Plain syscalls on this thread, not the net package: see pollConn.
	nc, err := dialPoll(ctx, network, netip.AddrPortFrom(src, r.opts.SourcePort), r.opts.Target)
	if err != nil {
		return nil, err
	}
	if !r.opts.KeepAlive {
		r.rd.Reset(nc)
		return &conn{c: nc, rd: r.rd}, nil
	}
	c := &conn{c: nc, rd: bufio.NewReader(nc)}
	r.pool[src] = c
	return c, nil
}

// http sends GET / and reads the backend's answer; keep tells whether the
// connection may serve another request.
func (r *runner) http(c *conn, ev *Event) (keep bool, err error) {
	if _, err := c.c.Write(r.req); err != nil {
		return false, err
	}
	resp, err := http.ReadResponse(c.rd, nil)
	if err != nil {
		return false, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxReply))
	resp.Body.Close()
	if err != nil {
		return false, err
	}
	parseBody(string(body), ev)
	if resp.StatusCode/100 != 2 {
		return false, &StatusError{Code: resp.StatusCode, Server: ev.Server}
	}
	if ev.Server == "" {
		return false, errors.New("empty reply")
	}
	return r.opts.KeepAlive && !resp.Close, nil
}

// parseBody reads the backend's three lines: node, "client A:P", "local A:P".
func parseBody(body string, ev *Event) {
	lines := strings.Split(body, "\n")
	ev.Server = strings.TrimSpace(lines[0])
	for _, l := range lines[1:] {
		key, val, ok := strings.Cut(strings.TrimSpace(l), " ")
		if !ok {
			continue
		}
		ap, err := netip.ParseAddrPort(val)
		if err != nil {
			continue
		}
		switch key {
		case "client":
			ev.Client = ap
		case "local":
			ev.Local = ap
		}
	}
}

// HostHeader is how a target is written in an HTTP Host header or URL:
// the port is left out when it is 80, and IPv6 addresses are bracketed.
func HostHeader(t netip.AddrPort) string {
	if t.Port() == 80 {
		if t.Addr().Is6() {
			return "[" + t.Addr().String() + "]"
		}
		return t.Addr().String()
	}
	return t.String()
}

func echoPayload(seq int) string { return "ping " + strconv.Itoa(seq) }

// tcpEcho sends one line and reads "NODE line" back.
func tcpEcho(c *conn, seq int, ev *Event) error {
	if _, err := io.WriteString(c.c, echoPayload(seq)+"\n"); err != nil {
		return err
	}
	line, err := c.rd.ReadString('\n')
	if err != nil {
		return err
	}
	return parseEcho(line, seq, ev)
}

// udpEcho sends one datagram and waits for its own answer, skipping late
// answers to earlier requests on a kept-alive socket.
func udpEcho(c *conn, seq int, ev *Event) error {
	if _, err := io.WriteString(c.c, echoPayload(seq)+"\n"); err != nil {
		return err
	}
	buf := make([]byte, maxReply)
	for {
		n, err := c.c.Read(buf)
		if err != nil {
			return err
		}
		if err := parseEcho(string(buf[:n]), seq, ev); !errors.Is(err, errOtherSeq) {
			return err
		}
	}
}

var errOtherSeq = errors.New("answer to another request")

func parseEcho(reply string, seq int, ev *Event) error {
	server, rest, ok := strings.Cut(strings.TrimRight(reply, "\n"), " ")
	if !ok || server == "" {
		return fmt.Errorf("unexpected echo reply %q", reply)
	}
	if rest != echoPayload(seq) {
		return fmt.Errorf("echo reply %q: %w", reply, errOtherSeq)
	}
	ev.Server = server
	return nil
}

func addrPort(a net.Addr) netip.AddrPort {
	if a == nil {
		return netip.AddrPort{}
	}
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}
