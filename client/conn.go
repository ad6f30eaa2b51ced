package client

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/lvslab/lvslab/topo"
)

// Conn is one connection a caller holds open across requests (HTTP
// keep-alive, or an echo protocol's socket): the director counts it as
// active until Close, and every Ask goes on it, to the real server that
// took it. Its socket is made inside the node, so a Conn may be used from
// any goroutine, one call at a time (Close included).
type Conn struct {
	r     *runner
	src   netip.Addr
	local netip.AddrPort
	seq   int
	node  string
}

// Dial opens a connection from the node h to opts.Target, from the first
// of opts.Sources (if any) and opts.SourcePort. opts.Timeout bounds the
// connect and then each Ask; Requests, Deadline, Interval and KeepAlive
// are a run's and do not apply. A refused or timed-out connect is an
// error (its kind: Classify).
func Dial(ctx context.Context, h *topo.Host, opts Options) (*Conn, error) {
	if err := opts.checkConn(); err != nil {
		return nil, fmt.Errorf("dial %s from %s: %w", opts.Target, h.Name(), err)
	}
	opts.KeepAlive = true
	c := &Conn{r: newRunner(opts), node: h.Name()}
	if len(opts.Sources) > 0 {
		c.src = opts.Sources[0]
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	err := h.Do(func() error {
		pc, err := c.r.conn(ctx, c.src) // kept in the runner's pool
		if err == nil {
			c.local = addrPort(pc.c.LocalAddr())
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("dial %s from %s: %w", opts.Target, h.Name(), err)
	}
	return c, nil
}

// Ask sends one request on the connection and describes the answer. A
// failed request returns its error too (Event.Err is its kind), and
// closes the connection: it is never dialled again (that would happen
// outside the node), so every later Ask fails with net.ErrClosed.
func (c *Conn) Ask(ctx context.Context) (Event, error) {
	if _, ok := c.r.pool[c.src]; !ok {
		err := fmt.Errorf("ask %s from %s: %w", c.r.opts.Target, c.node, net.ErrClosed)
		return Event{At: time.Since(c.r.start), Source: c.local, Err: Classify(err), Detail: err.Error()}, err
	}
	seq := c.seq
	c.seq++
	ev, err := c.r.request(ctx, seq, c.src)
	if err != nil {
		return ev, fmt.Errorf("ask %s from %s: %w", c.r.opts.Target, c.node, err)
	}
	return ev, nil
}

// Local is the connection's local address and port.
func (c *Conn) Local() netip.AddrPort { return c.local }

// Close closes the connection; closing it again does nothing.
func (c *Conn) Close() error {
	pc, ok := c.r.pool[c.src]
	if !ok {
		return nil
	}
	delete(c.r.pool, c.src)
	if err := pc.c.Close(); err != nil {
		return fmt.Errorf("close connection to %s: %w", c.r.opts.Target, err)
	}
	return nil
}
