package vm

import (
	"fmt"
	"io"
	"net"
	"path/filepath"
	"sync"
)

// maxSocketPath is the room in sockaddr_un.sun_path, less the NUL.
const maxSocketPath = 107

// stream connects one virtio-serial port to a reader (the command's stdin)
// or a writer (its stdout or stderr) through a unix socket qemu dials.
type stream struct {
	name string
	in   io.Reader
	out  io.Writer
	path string
	ln   *net.UnixListener
	once sync.Once
}

func (s *stream) listen(dir string) error {
	ln, path, err := listenUnix(dir, s.name)
	if err != nil {
		return err
	}
	s.ln, s.path = ln, path
	return nil
}

// listenUnix listens on dir/name.sock for qemu to connect port name.
func listenUnix(dir, name string) (*net.UnixListener, string, error) {
	path := filepath.Join(dir, name+".sock")
	if len(path) > maxSocketPath {
		return nil, "", fmt.Errorf("listen on %s: path longer than %d bytes (set TMPDIR to a shorter directory)", path, maxSocketPath)
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, "", fmt.Errorf("listen for guest %s: %w", name, err)
	}
	return ln, path, nil
}

// serve accepts qemu's connection and copies until EOF: for stdout/stderr,
// when qemu exits; for stdin, until s.in ends, which the guest sees as EOF.
// Stdin is read only once start is closed (the guest has taken the run: a
// failed restore must leave it unread for the boot that follows), and not
// at all if stop is closed first. A stdin reader that never ends keeps its
// goroutine alive after Run returns, as with os/exec; output streams report
// to wg.
func (s *stream) serve(wg *sync.WaitGroup, start, stop <-chan struct{}) {
	if s.out != nil {
		defer wg.Done()
	}
	conn, err := s.ln.Accept()
	if err != nil {
		return
	}
	defer conn.Close()
	if s.out != nil {
		_, _ = io.Copy(s.out, conn)
		return
	}
	select {
	case <-start:
	case <-stop:
		return
	}
	_, _ = io.Copy(conn, s.in)
	// Half-close, then wait for qemu to drop the connection: a full close
	// shows qemu a hangup at once, and it would throw away what the guest
	// has not read yet. A read of EOF, after the data, is what makes qemu
	// tell the guest's port that the host end is gone (EOF in the guest).
	if uc, ok := conn.(*net.UnixConn); ok {
		_ = uc.CloseWrite()
		_, _ = io.Copy(io.Discard, conn)
	}
}

func (s *stream) close() {
	s.once.Do(func() {
		if s.ln != nil {
			_ = s.ln.Close()
		}
	})
}

func closeStreams(ss []*stream) {
	for _, s := range ss {
		s.close()
	}
}

// syncWriter serialises the writes of several goroutines to w.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = append(t.b[:0], t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}
