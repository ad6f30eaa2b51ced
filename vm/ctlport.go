package vm

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"
)

// ctlPort is the host end of the guest's control port (lvslab.ctl). When
// its /init has done what every run needs alike it says "ready" and waits;
// the host answers "go SECONDS" (its clock) and the guest says "ok" and
// goes on with this run. A snapshot is saved during the wait, so a
// restored guest, which is already past "ready", needs only "go".
type ctlPort struct {
	path   string
	ln     *net.UnixListener
	mu     sync.Mutex
	conn   net.Conn
	closed bool
}

func (p *ctlPort) listen(dir string) error {
	ln, path, err := listenUnix(dir, portCtl)
	if err != nil {
		return err
	}
	p.ln, p.path = ln, path
	return nil
}

// handshake talks the guest through its wait: for a booted guest, after
// its "ready", beforeGo runs (to save a snapshot) and may stop the run
// with an error; a restored guest gets "go" at once. It returns once the
// guest has said "ok", or with why it did not.
func (p *ctlPort) handshake(restored bool, beforeGo func() error) error {
	conn, err := p.ln.Accept()
	if err != nil {
		return fmt.Errorf("accept guest control port: %w", err)
	}
	p.mu.Lock()
	p.conn = conn
	closed := p.closed
	p.mu.Unlock()
	if closed {
		conn.Close()
		return fmt.Errorf("accept guest control port: %w", net.ErrClosed)
	}
	r := bufio.NewReader(conn)
	if !restored {
		if err := expectLine(r, "ready"); err != nil {
			return err
		}
		if beforeGo != nil {
			if err := beforeGo(); err != nil {
				return err
			}
		}
	}
	if _, err := fmt.Fprintf(conn, "go %d\n", time.Now().Unix()); err != nil {
		return fmt.Errorf("start guest: %w", err)
	}
	return expectLine(r, "ok")
}

func expectLine(r *bufio.Reader, want string) error {
	line, err := r.ReadString('\n')
	if err != nil {
		return fmt.Errorf("wait for guest's %q: %w", want, err)
	}
	if got := strings.TrimSuffix(line, "\n"); got != want {
		return fmt.Errorf("wait for guest's %q: got %q", want, got)
	}
	return nil
}

// close stops the handshake wherever it is.
func (p *ctlPort) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.closed = true
	if p.ln != nil {
		_ = p.ln.Close()
	}
	if p.conn != nil {
		_ = p.conn.Close()
	}
}
