package backend

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// maxLine bounds one echoed line; a longer one is echoed in pieces.
const maxLine = 4096

// tcpEcho answers each line with "NODE line"; it tracks connections so a
// shutdown can end them.
type tcpEcho struct {
	node  string
	mu    sync.Mutex
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

func (e *tcpEcho) serve(ctx context.Context, l net.Listener) error {
	for {
		c, err := l.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return fmt.Errorf("serve tcp echo on %s: %w", l.Addr(), err)
		}
		e.mu.Lock()
		e.conns[c] = struct{}{}
		e.wg.Add(1)
		e.mu.Unlock()
		go func() {
			defer e.wg.Done()
			e.answer(c)
			e.mu.Lock()
			delete(e.conns, c)
			e.mu.Unlock()
		}()
	}
}

func (e *tcpEcho) answer(c net.Conn) {
	defer c.Close()
	r := bufio.NewReaderSize(c, maxLine)
	prefix := []byte(e.node + " ")
	for {
		_ = c.SetDeadline(time.Now().Add(idleTimeout))
		line, err := r.ReadSlice('\n')
		if len(line) > 0 {
			if _, werr := c.Write(append(prefix[:len(prefix):len(prefix)], line...)); werr != nil {
				return
			}
		}
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return // io.EOF, a reset or the idle deadline
		}
	}
}

// closeAll waits for connections in flight until ctx ends, then closes
// what is left.
func (e *tcpEcho) closeAll(ctx context.Context) {
	done := make(chan struct{})
	go func() { e.wg.Wait(); close(done) }()
	e.mu.Lock()
	for c := range e.conns {
		// Wake readers blocked on an idle peer; an answer being
		// written still gets out.
		_ = c.SetReadDeadline(time.Now())
	}
	e.mu.Unlock()
	select {
	case <-done:
		return
	case <-ctx.Done():
	}
	e.mu.Lock()
	for c := range e.conns {
		c.Close()
	}
	e.mu.Unlock()
	<-done
}

// listenUDP opens a UDP socket that learns each datagram's destination
// address (IP_PKTINFO), so replies can leave from it.
func listenUDP(addr netip.AddrPort) (*net.UDPConn, error) {
	c, err := net.ListenUDP(network("udp", addr.Addr()), net.UDPAddrFromAddrPort(addr))
	if err != nil {
		return nil, err
	}
	if !addr.Addr().Is4() {
		return c, nil
	}
	raw, err := c.SyscallConn()
	if err != nil {
		_ = c.Close()
		return nil, err
	}
	var serr error
	if err := raw.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_PKTINFO, 1)
	}); err != nil {
		serr = err
	}
	if serr != nil {
		_ = c.Close()
		return nil, fmt.Errorf("set IP_PKTINFO: %w", serr)
	}
	return c, nil
}

// serveUDPEcho answers each datagram with "NODE " and its payload, from
// the address the datagram was sent to: an unbound reply would leave from
// the RIP, which a DR or TUN client (talking to the VIP) drops.
func serveUDPEcho(ctx context.Context, c *net.UDPConn, node string) error {
	buf := make([]byte, 64*1024)
	oob := make([]byte, 128)
	prefix := []byte(node + " ")
	for {
		n, oobn, _, from, err := c.ReadMsgUDPAddrPort(buf, oob)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			if isTransient(err) {
				continue
			}
			return fmt.Errorf("serve udp echo on %s: %w", c.LocalAddr(), err)
		}
		reply := append(prefix[:len(prefix):len(prefix)], buf[:n]...)
		var replyOOB []byte
		if dst, ok := pktinfoDst(oob[:oobn]); ok {
			replyOOB = unix.PktInfo4(&unix.Inet4Pktinfo{Spec_dst: dst.As4()})
		}
		// A failed reply (an unreachable client) is the client's loss,
		// not the server's.
		_, _, _ = c.WriteMsgUDPAddrPort(reply, replyOOB, from)
	}
}

// pktinfoDst finds the header destination address in an IP_PKTINFO
// control message (struct in_pktinfo: ifindex, spec_dst, addr).
func pktinfoDst(oob []byte) (netip.Addr, bool) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return netip.Addr{}, false
	}
	for _, m := range msgs {
		if m.Header.Level == unix.IPPROTO_IP && m.Header.Type == unix.IP_PKTINFO && len(m.Data) >= unix.SizeofInet4Pktinfo {
			return netip.AddrFrom4([4]byte(m.Data[8:12])), true
		}
	}
	return netip.Addr{}, false
}

// isTransient is true for errors a UDP socket reports from ICMP errors of
// earlier replies; the socket stays usable.
func isTransient(err error) bool {
	return errors.Is(err, unix.ECONNREFUSED) || errors.Is(err, unix.EHOSTUNREACH) ||
		errors.Is(err, unix.ENETUNREACH) || errors.Is(err, io.ErrShortBuffer)
}
