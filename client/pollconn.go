package client

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// pollSlice bounds one poll(2) wait, so that a deadline moved from
// another goroutine (SetDeadline(now) on cancellation) is seen within it.
const pollSlice = 50 * time.Millisecond

// pollConn is a connected TCP or UDP socket used with plain syscalls and
// poll(2) on the calling thread, outside Go's network poller.
//
// Why: Run works on a thread locked inside the node's namespace, and a
// locked goroutine that parks in the network poller costs two thread
// switches to wake (its own thread sleeps, another one polls and hands
// it back). With a new connection per request that happens at connect
// and at every read, and made the client take about twice wrk's time per
// request. Waiting in poll(2) on the thread itself costs one syscall, as
// wrk's epoll loop does.
type pollConn struct {
	fd            int
	local, remote net.Addr
	network       string
	// Deadlines in Unix nanoseconds, 0 for none; set from any goroutine.
	rdl, wdl atomic.Int64
	closed   atomic.Bool
	// wrote says the last call was a Write: the answer cannot be there
	// yet, so Read waits before reading instead of reading EAGAIN first.
	wrote bool
}

var _ net.Conn = (*pollConn)(nil)

// dialPoll opens a socket of network ("tcp4", "tcp6", "udp4", "udp6") in
// the calling thread's network namespace, binds it to src when src has
// an address or a port (an invalid address is the unspecified one), and
// connects it to dst by ctx's deadline; ctx's end stops the wait.
// Equivalent to: socket(2), bind(2), connect(2) non-blocking, poll(2)
// for POLLOUT, getsockopt(SO_ERROR).
func dialPoll(ctx context.Context, network string, src, dst netip.AddrPort) (_ *pollConn, err error) {
	family, typ := unix.AF_INET, unix.SOCK_STREAM
	if dst.Addr().Is6() {
		family = unix.AF_INET6
	}
	if network == "udp4" || network == "udp6" {
		typ = unix.SOCK_DGRAM
	}
	opErr := func(err error) error {
		return &net.OpError{Op: "dial", Net: network, Addr: sockAddr(network, dst), Err: err}
	}
	fd, err := unix.Socket(family, typ|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, opErr(os.NewSyscallError("socket", err))
	}
	c := &pollConn{fd: fd, network: network, remote: sockAddr(network, dst)}
	defer func() {
		if err != nil {
			_ = unix.Close(fd)
		}
	}()
	if d, ok := ctx.Deadline(); ok {
		c.wdl.Store(d.UnixNano())
	}
	stop := context.AfterFunc(ctx, func() { c.wdl.Store(1) })
	defer stop()
	if src.Addr().IsValid() || src.Port() != 0 {
		if !src.Addr().IsValid() {
			unspec := netip.IPv4Unspecified()
			if dst.Addr().Is6() {
				unspec = netip.IPv6Unspecified()
			}
			src = netip.AddrPortFrom(unspec, src.Port())
		}
		if err := unix.Bind(fd, sockaddr(src)); err != nil {
			return nil, opErr(os.NewSyscallError("bind", err))
		}
	}
	err = unix.Connect(fd, sockaddr(dst))
	if errors.Is(err, unix.EINTR) {
		// The connect goes on in the background; wait for its outcome.
		err = unix.EINPROGRESS
	}
	if errors.Is(err, unix.EINPROGRESS) {
		revents, werr := c.wait(unix.POLLOUT, &c.wdl)
		if werr != nil {
			return nil, opErr(werr)
		}
		err = nil
		if revents&(unix.POLLERR|unix.POLLHUP) != 0 {
			// Only a failed connect needs asking what went wrong.
			soerr, gerr := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
			switch {
			case gerr != nil:
				err = gerr
			case soerr != 0:
				err = unix.Errno(soerr)
			default:
				err = unix.ECONNRESET
			}
		}
	}
	if err != nil {
		return nil, opErr(os.NewSyscallError("connect", err))
	}
	stop()
	c.wdl.Store(0)
	if sa, err := unix.Getsockname(fd); err == nil {
		c.local = netAddr(network, sa)
	}
	return c, nil
}

// wait polls for events until they come or the deadline in dl passes,
// and returns the events that came (with POLLERR or POLLHUP, an error
// the next syscall on the socket returns).
func (c *pollConn) wait(events int16, dl *atomic.Int64) (int16, error) {
	fds := []unix.PollFd{{Fd: int32(c.fd), Events: events}}
	for {
		if c.closed.Load() {
			return 0, net.ErrClosed
		}
		slice := pollSlice
		if d := dl.Load(); d != 0 {
			left := time.Until(time.Unix(0, d))
			if left <= 0 {
				return 0, os.ErrDeadlineExceeded
			}
			slice = min(slice, left)
		}
		ms := int((slice + time.Millisecond - 1) / time.Millisecond)
		n, err := unix.Poll(fds, ms)
		switch {
		case errors.Is(err, unix.EINTR):
		case err != nil:
			return 0, os.NewSyscallError("poll", err)
		case n > 0:
			return fds[0].Revents, nil
		}
	}
}

// Read reads what is there, waiting for it up to the read deadline.
func (c *pollConn) Read(b []byte) (int, error) {
	if c.wrote {
		c.wrote = false
		if _, err := c.wait(unix.POLLIN, &c.rdl); err != nil {
			return 0, c.opErr("read", err)
		}
	}
	for {
		n, err := unix.Read(c.fd, b)
		switch {
		case err == nil && n == 0 && len(b) > 0 && c.stream():
			return 0, io.EOF
		case err == nil:
			return n, nil
		case errors.Is(err, unix.EINTR):
		case errors.Is(err, unix.EAGAIN):
			if _, err := c.wait(unix.POLLIN, &c.rdl); err != nil {
				return 0, c.opErr("read", err)
			}
		default:
			return 0, c.opErr("read", os.NewSyscallError("read", err))
		}
	}
}

// Write writes all of b, waiting for room up to the write deadline.
func (c *pollConn) Write(b []byte) (int, error) {
	c.wrote = true
	done := 0
	for done < len(b) {
		n, err := unix.Write(c.fd, b[done:])
		switch {
		case err == nil:
			done += n
		case errors.Is(err, unix.EINTR):
		case errors.Is(err, unix.EAGAIN):
			if _, err := c.wait(unix.POLLOUT, &c.wdl); err != nil {
				return done, c.opErr("write", err)
			}
		default:
			return done, c.opErr("write", os.NewSyscallError("write", err))
		}
	}
	return done, nil
}

func (c *pollConn) stream() bool { return c.network == "tcp4" || c.network == "tcp6" }

func (c *pollConn) opErr(op string, err error) error {
	return &net.OpError{Op: op, Net: c.network, Source: c.local, Addr: c.remote, Err: err}
}

// Close closes the socket. It must not race a Read or Write (the
// descriptor's number could be reused under them); to stop one from
// another goroutine, move its deadline (SetDeadline(time.Now())), which
// it sees within pollSlice, as Run does on cancellation.
func (c *pollConn) Close() error {
	if c.closed.Swap(true) {
		return net.ErrClosed
	}
	return unix.Close(c.fd)
}

func (c *pollConn) LocalAddr() net.Addr  { return c.local }
func (c *pollConn) RemoteAddr() net.Addr { return c.remote }

func (c *pollConn) SetDeadline(t time.Time) error {
	_ = c.SetReadDeadline(t)
	return c.SetWriteDeadline(t)
}

func (c *pollConn) SetReadDeadline(t time.Time) error {
	c.rdl.Store(unixNano(t))
	return nil
}

func (c *pollConn) SetWriteDeadline(t time.Time) error {
	c.wdl.Store(unixNano(t))
	return nil
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func sockaddr(ap netip.AddrPort) unix.Sockaddr {
	if ap.Addr().Is4() {
		return &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}
	}
	return &unix.SockaddrInet6{Port: int(ap.Port()), Addr: ap.Addr().As16()}
}

func sockAddr(network string, ap netip.AddrPort) net.Addr {
	if network == "udp4" || network == "udp6" {
		return net.UDPAddrFromAddrPort(ap)
	}
	return net.TCPAddrFromAddrPort(ap)
}

func netAddr(network string, sa unix.Sockaddr) net.Addr {
	var ap netip.AddrPort
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		ap = netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port))
	case *unix.SockaddrInet6:
		ap = netip.AddrPortFrom(netip.AddrFrom16(sa.Addr), uint16(sa.Port))
	default:
		return nil
	}
	return sockAddr(network, ap)
}
