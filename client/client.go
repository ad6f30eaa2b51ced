package client

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/netip"
	"sort"
	"time"

	"github.com/lvslab/lvslab/topo"
)

// Protocol is what the client speaks to the target.
type Protocol string

// Protocols, matching the built-in backend's services.
const (
	HTTP    Protocol = "http"     // GET /, tally by the body's first line
	TCPEcho Protocol = "tcp-echo" // one line, tally by the reply's first word
	UDPEcho Protocol = "udp-echo" // one datagram, tally by the reply's first word
)

// Bounds on a run, so that no scenario can hang or flood.
const (
	MaxRequests    = 1_000_000
	MaxDeadline    = 30 * time.Minute
	DefaultTimeout = 2 * time.Second
)

// Options describe a run.
type Options struct {
	// Target is where requests go: a VIP:port, or a RIP:port directly.
	Target netip.AddrPort
	// Protocol defaults to HTTP.
	Protocol Protocol
	// Requests is how many to send (required, 1 to MaxRequests).
	Requests int
	// Timeout bounds each request, connect to reply (default 2s).
	Timeout time.Duration
	// Deadline bounds the whole run (required, up to MaxDeadline); a run
	// that reaches it stops early, with Result.Sent < Requests. A request
	// the deadline cuts short is not counted: it did not fail.
	Deadline time.Duration
	// Interval is a pause between requests.
	Interval time.Duration
	// Sources are local addresses to send from, taken in turn; empty
	// means the kernel picks (the node's primary address).
	Sources []netip.Addr
	// SourcePort binds every connection to this local port (0: the
	// kernel picks one), as `curl --local-port` does, so that a flow is
	// the same every run. A TCP port serves one connection at a time and
	// stays taken a while after it closes, so more than one TCP request
	// needs KeepAlive.
	SourcePort uint16
	// KeepAlive reuses one connection (one UDP socket) per source
	// address instead of opening one per request. A request on a broken
	// connection fails; the next one opens a new connection.
	KeepAlive bool
}

// Event is one request.
type Event struct {
	// At is when the request started, after the run's start.
	At time.Duration
	// Source is the local address the request left from, once known.
	Source netip.AddrPort
	// Server is who answered (the first line of the reply), "" if none.
	Server string
	// Err is the failure kind (Refused, Timeout …), "" on success.
	Err string
	// Detail is the error's text, for a human.
	Detail  string
	Latency time.Duration
	// Client and Local are what the backend said it saw (HTTP only): the
	// request's source, and the address it arrived on (VIP or RIP).
	Client netip.AddrPort
	Local  netip.AddrPort
}

// Result is what a run saw.
type Result struct {
	// Sent is how many requests were started.
	Sent int
	// Tally counts successful replies by server.
	Tally map[string]int
	// Errors counts failures by kind.
	Errors   map[string]int
	Timeline []Event
}

// OK is the number of successful replies.
func (r *Result) OK() int {
	n := 0
	for _, c := range r.Tally {
		n += c
	}
	return n
}

// Servers lists who answered, sorted.
func (r *Result) Servers() []string {
	s := make([]string, 0, len(r.Tally))
	for k := range r.Tally {
		s = append(s, k)
	}
	sort.Strings(s)
	return s
}

// Replies returns the successful events, in order.
func (r *Result) Replies() []Event {
	var out []Event
	for _, e := range r.Timeline {
		if e.Err == "" {
			out = append(out, e)
		}
	}
	return out
}

// check checks a run's options and fills in the defaults.
func (o *Options) check() error {
	if err := o.checkConn(); err != nil {
		return err
	}
	if o.Requests < 1 || o.Requests > MaxRequests {
		return fmt.Errorf("requests %d: want 1 to %d", o.Requests, MaxRequests)
	}
	if o.Deadline <= 0 || o.Deadline > MaxDeadline {
		return fmt.Errorf("deadline %s: want more than 0, up to %s", o.Deadline, MaxDeadline)
	}
	if o.Interval < 0 {
		return fmt.Errorf("interval %s: negative", o.Interval)
	}
	if o.SourcePort != 0 && o.Protocol != UDPEcho && o.Requests > 1 && !o.KeepAlive {
		return fmt.Errorf("source port %d: %d TCP requests need KeepAlive (one connection per port)", o.SourcePort, o.Requests)
	}
	return nil
}

// checkConn checks what a connection needs (target, protocol, timeout,
// sources) and fills in the defaults.
func (o *Options) checkConn() error {
	switch o.Protocol {
	case "":
		o.Protocol = HTTP
	case HTTP, TCPEcho, UDPEcho:
	default:
		return fmt.Errorf("unknown protocol %q (want http, tcp-echo or udp-echo)", o.Protocol)
	}
	if !o.Target.IsValid() || o.Target.Port() == 0 {
		return fmt.Errorf("target %s: want IP:PORT", o.Target)
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	for _, s := range o.Sources {
		if s.Is4() != o.Target.Addr().Is4() {
			return fmt.Errorf("source %s: not of the target's address family", s)
		}
	}
	return nil
}

// Run sends opts.Requests requests from the node to opts.Target, one at a
// time, and reports who answered. Failed requests are counted, not
// returned as errors; Run fails only on bad options, on being unable to
// enter the node, or when ctx ends (returning what it saw so far).
func Run(ctx context.Context, h *topo.Host, opts Options) (*Result, error) {
	if err := opts.check(); err != nil {
		return nil, fmt.Errorf("run client on %s: %w", h.Name(), err)
	}
	res := &Result{
		Tally:    map[string]int{},
		Errors:   map[string]int{},
		Timeline: make([]Event, 0, min(opts.Requests, 4096)),
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, opts.Deadline)
	defer cancel()
	// over reads the deadline off the clock: ctx.Err() turns non-nil only
	// once its timer has fired, which a loaded machine delays, while a dial
	// already fails on the clock's word.
	deadline, _ := ctx.Deadline()
	over := func() bool { return ctx.Err() != nil || !time.Now().Before(deadline) }
	err := h.Do(func() error {
		// Every socket is created on this thread, inside the node.
		r := newRunner(opts)
		defer r.closeAll()
		for i := 0; i < opts.Requests; i++ {
			if i > 0 && opts.Interval > 0 {
				t := time.NewTimer(opts.Interval)
				select {
				case <-ctx.Done():
				case <-t.C:
				}
				t.Stop()
			}
			if over() {
				break
			}
			var src netip.Addr
			if len(opts.Sources) > 0 {
				src = opts.Sources[i%len(opts.Sources)]
			}
			ev, _ := r.request(ctx, i, src)
			if ev.Err != "" && over() && parent.Err() == nil {
				break // cut short by the run's deadline, not failed by the server
			}
			res.add(ev)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("run client on %s: %w", h.Name(), err)
	}
	// A run that used up opts.Deadline is a normal end; only the caller's
	// own cancellation (or deadline) is an error.
	if err := parent.Err(); err != nil {
		return res, fmt.Errorf("run client on %s: %w", h.Name(), err)
	}
	return res, nil
}

func (r *Result) add(ev Event) {
	r.Sent++
	r.Timeline = append(r.Timeline, ev)
	if ev.Err != "" {
		r.Errors[ev.Err]++
		return
	}
	r.Tally[ev.Server]++
}

// conn is a kept-alive connection.
type conn struct {
	c  net.Conn
	rd *bufio.Reader
}

type runner struct {
	opts  Options
	pool  map[netip.Addr]*conn
	start time.Time
	// req is the HTTP request, the same every time.
	req []byte
	// rd reads every connection that is not kept alive, one after the
	// other, so that a request allocates no new buffer.
	rd *bufio.Reader
}

func newRunner(opts Options) *runner {
	connection := "close"
	if opts.KeepAlive {
		connection = "keep-alive"
	}
	return &runner{
		opts:  opts,
		pool:  map[netip.Addr]*conn{},
		start: time.Now(),
		req: []byte("GET / HTTP/1.1\r\nHost: " + HostHeader(opts.Target) +
			"\r\nUser-Agent: lvslab-client\r\nAccept: */*\r\nConnection: " + connection + "\r\n\r\n"),
		rd: bufio.NewReader(nil),
	}
}

func (r *runner) closeAll() {
	for k, c := range r.pool {
		c.c.Close()
		delete(r.pool, k)
	}
}
