package backend

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Options say what the backend answers, and as whom.
type Options struct {
	// Node is the name the backend answers with (web1).
	Node string
	// HTTP, TCPEcho and UDPEcho are the ports to serve each on.
	HTTP    []uint16
	TCPEcho []uint16
	UDPEcho []uint16
	// Bind is the address to listen on; unset means 0.0.0.0, which also
	// answers on a VIP held on lo or tunl0.
	Bind netip.Addr
	// Server is the program realserver.Start runs: "builtin" (this
	// backend; also when empty) or "nginx" (Debian's nginx, serving HTTP
	// only: no echo), as topo.ServerBuiltin and topo.ServerNginx say.
	// This package ignores it.
	Server string
}

// Server is a backend whose sockets are open.
type Server struct {
	opts Options
	http []net.Listener
	tcp  []net.Listener
	udp  []*net.UDPConn
}

// How long the backend lets idle or slow peers hold a connection, and how
// long a graceful shutdown may take.
const (
	idleTimeout = 30 * time.Second
	// ShutdownTimeout bounds Serve's graceful shutdown.
	ShutdownTimeout = 5 * time.Second
)

// Serve opens the backend's sockets in the caller's network namespace and
// answers until ctx ends, then shuts down gracefully.
func Serve(ctx context.Context, opts Options) error {
	s, err := Listen(opts)
	if err != nil {
		return err
	}
	return s.Serve(ctx)
}

// Listen opens every socket the options name, in the network namespace of
// the calling thread (call it inside topo.Host.Do to serve on a node from
// this process).
func Listen(opts Options) (*Server, error) {
	if opts.Node == "" {
		return nil, errors.New("listen: no node name to answer with")
	}
	if len(opts.HTTP)+len(opts.TCPEcho)+len(opts.UDPEcho) == 0 {
		return nil, errors.New("listen: no port to serve")
	}
	bind := opts.Bind
	if !bind.IsValid() {
		bind = netip.IPv4Unspecified()
	}
	s := &Server{opts: opts}
	ok := false
	defer func() {
		if !ok {
			s.close()
		}
	}()
	for _, port := range opts.HTTP {
		l, err := net.Listen(network("tcp", bind), netip.AddrPortFrom(bind, port).String())
		if err != nil {
			return nil, fmt.Errorf("listen http: %w", err)
		}
		s.http = append(s.http, l)
	}
	for _, port := range opts.TCPEcho {
		l, err := net.Listen(network("tcp", bind), netip.AddrPortFrom(bind, port).String())
		if err != nil {
			return nil, fmt.Errorf("listen tcp echo: %w", err)
		}
		s.tcp = append(s.tcp, l)
	}
	for _, port := range opts.UDPEcho {
		c, err := listenUDP(netip.AddrPortFrom(bind, port))
		if err != nil {
			return nil, fmt.Errorf("listen udp echo: %w", err)
		}
		s.udp = append(s.udp, c)
	}
	ok = true
	return s, nil
}

// Serve answers until ctx ends, then stops accepting, lets requests in
// flight finish (up to a few seconds) and closes every socket. It returns
// nil after a shutdown asked for by ctx.
func (s *Server) Serve(ctx context.Context) error {
	return s.serve(ctx, context.Background())
}

// serve is Serve, whose graceful shutdown ends early when hard ends: then
// every connection still open is closed at once, as the kernel closes a
// killed process's sockets.
func (s *Server) serve(ctx, hard context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errc := make(chan error, len(s.http)+len(s.tcp)+len(s.udp))
	srv := &http.Server{
		Handler:           http.HandlerFunc(s.answerHTTP),
		ReadHeaderTimeout: idleTimeout,
		IdleTimeout:       idleTimeout,
	}
	for _, l := range s.http {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("serve http on %s: %w", l.Addr(), err)
			}
		}()
	}
	echo := &tcpEcho{node: s.opts.Node, conns: map[net.Conn]struct{}{}}
	for _, l := range s.tcp {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := echo.serve(ctx, l); err != nil {
				errc <- err
			}
		}()
	}
	for _, c := range s.udp {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := serveUDPEcho(ctx, c, s.opts.Node); err != nil {
				errc <- err
			}
		}()
	}
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	shutdownCtx, stop := context.WithTimeout(hard, ShutdownTimeout)
	defer stop()
	if serr := srv.Shutdown(shutdownCtx); serr != nil {
		// Out of time: close what is still open, as the process's
		// exit used to.
		_ = srv.Close()
		if err == nil && hard.Err() == nil {
			err = fmt.Errorf("shut down http: %w", serr)
		}
	}
	cancel()
	s.close()
	echo.closeAll(shutdownCtx)
	wg.Wait()
	return err
}

func (s *Server) close() {
	for _, l := range s.http {
		l.Close()
	}
	for _, l := range s.tcp {
		l.Close()
	}
	for _, c := range s.udp {
		_ = c.Close()
	}
}

// Reply formats the backend's HTTP answer: the node's name, then the
// client and local addresses of the connection.
func Reply(node string, client, local netip.AddrPort) string {
	return node + "\nclient " + client.String() + "\nlocal " + local.String() + "\n"
}

func (s *Server) answerHTTP(w http.ResponseWriter, r *http.Request) {
	client, _ := netip.ParseAddrPort(r.RemoteAddr)
	var local netip.AddrPort
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		local, _ = netip.ParseAddrPort(a.String())
	}
	body := Reply(s.opts.Node, unmap(client), unmap(local))
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write([]byte(body))
}

// network picks tcp4/udp4 for an IPv4 address, so 0.0.0.0 is an IPv4
// socket rather than Go's dual-stack [::].
func network(proto string, bind netip.Addr) string {
	if bind.Is4() {
		return proto + "4"
	}
	return proto + "6"
}

func unmap(ap netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// Run is a backend's whole life as a program: it listens, says so on out,
// serves until ctx ends (SIGTERM, say) and says when it shut down.
func Run(ctx context.Context, opts Options, out io.Writer) error {
	s, err := Listen(opts)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	announce(out, opts)
	if err := s.Serve(ctx); err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	fmt.Fprintf(out, "%s shut down\n", opts.Node)
	return nil
}

// announce says on out what the backend serves.
func announce(out io.Writer, opts Options) {
	fmt.Fprintf(out, "serving as %s: http %v, tcp echo %v, udp echo %v\n",
		opts.Node, opts.HTTP, opts.TCPEcho, opts.UDPEcho)
}

// ParsePorts reads port lists as the command line gives them, each value
// a port or a comma-separated list of them ("80,8080"); flag names the
// option in errors.
func ParsePorts(flag string, values []string) ([]uint16, error) {
	var ports []uint16
	for _, v := range values {
		for _, f := range strings.Split(v, ",") {
			p, err := strconv.ParseUint(f, 10, 16)
			if err != nil || p == 0 {
				return nil, fmt.Errorf("serve: %s: %q is not a port (1-65535)", flag, f)
			}
			ports = append(ports, uint16(p))
		}
	}
	return ports, nil
}

// Flags are the serve command line's values as given, for
// `lvslab serve` and lvslab-serve alike: each port list repeated or
// comma-separated, the bind address as text.
type Flags struct {
	Node                   string
	HTTP, TCPEcho, UDPEcho []string
	Bind                   string
}

// Options checks the flags and turns them into Options; an error names
// the flag.
func (f Flags) Options() (Options, error) {
	opts := Options{Node: f.Node}
	if opts.Node == "" {
		return opts, fmt.Errorf("--node is required")
	}
	var err error
	if opts.HTTP, err = ParsePorts("--http", f.HTTP); err != nil {
		return opts, err
	}
	if opts.TCPEcho, err = ParsePorts("--tcp-echo", f.TCPEcho); err != nil {
		return opts, err
	}
	if opts.UDPEcho, err = ParsePorts("--udp-echo", f.UDPEcho); err != nil {
		return opts, err
	}
	if f.Bind != "" {
		if opts.Bind, err = netip.ParseAddr(f.Bind); err != nil {
			return opts, fmt.Errorf("--bind: %w", err)
		}
	}
	return opts, nil
}

// RunHubUntilSignal runs a Hub on the unix socket path until SIGTERM or
// SIGINT, then stops every node's server gracefully.
func RunHubUntilSignal(path string, w io.Writer) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	fmt.Fprintf(w, "server hub listening on %s\n", path)
	if err := NewHub().ListenAndServe(ctx, path); err != nil {
		return fmt.Errorf("serve hub: %w", err)
	}
	fmt.Fprintln(w, "server hub shut down")
	return nil
}

// RunUntilSignal runs the backend until SIGTERM or SIGINT, then shuts it
// down gracefully (Run).
func RunUntilSignal(opts Options, w io.Writer) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	return Run(ctx, opts, w)
}
