package realserver

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lvslab/lvslab/internal/daemon"
	"github.com/lvslab/lvslab/realserver/backend"
	"github.com/lvslab/lvslab/topo"
)

// ProcessName is the name of a node's server as a supervised daemon, as
// in `lvslab stop web1 server` and logs/web1.server.log.
const ProcessName = "server"

// Daemon is a real server's server as a daemon.Kind: the built-in one,
// or nginx where the lab file says so, with the ports ServiceOptions
// derives from the lab file. Binary is the lvslab executable, or the
// ServeName executable, that runs the built-in one ("": Binary(); see
// ServeBinary).
type Daemon struct{ Binary string }

var _ daemon.Kind = Daemon{}

// Name is ProcessName.
func (Daemon) Name() string { return ProcessName }

// Start runs node h's server for the lab's services (Start).
func (d Daemon) Start(lab *topo.Lab, h *topo.Host) error {
	return Start(h, ServiceOptions(lab.Spec, h.Name()), d.Binary)
}

// Stop is Stop.
func (Daemon) Stop(h *topo.Host, grace time.Duration) error { return Stop(h, grace) }

// Kill is Kill.
func (Daemon) Kill(h *topo.Host) error { return Kill(h) }

// Status is PID.
func (Daemon) Status(h *topo.Host) (int, bool, error) { return PID(h) }

// Log is logs/NODE.server.log.
func (Daemon) Log(h *topo.Host) string { return daemon.LogPath(h, ProcessName) }

// EchoPort is the echo service's port (RFC 862), served over TCP and UDP
// by `lvslab start NODE server`.
const EchoPort = 7

// readyTimeout bounds how long Start waits for the server's sockets. It
// is generous: under an emulated guest kernel on a busy machine a Go
// binary's first start, read over 9p, can take seconds.
const readyTimeout = 30 * time.Second

// Binary is the lvslab executable: $LVSLAB_BIN, else the running
// executable (right for the CLI; tests build bin/lvslab). The built-in
// servers run ServeName beside it (ServeBinary).
func Binary() (string, error) {
	if b := os.Getenv("LVSLAB_BIN"); b != "" {
		return b, nil
	}
	b, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("find lvslab executable: %w", err)
	}
	return b, nil
}

// ServeName is the built-in server's executable (cmd/lvslab-serve), which
// `make build` puts beside lvslab.
const ServeName = "lvslab-serve"

// ServeBinary is the executable that runs built-in servers for binary:
// binary itself when it is a ServeName, else the ServeName in the same
// directory as the lvslab executable binary ("": Binary()). It fails,
// naming the file, when that file is not there.
func ServeBinary(binary string) (string, error) {
	if binary == "" {
		var err error
		if binary, err = Binary(); err != nil {
			return "", err
		}
	}
	if filepath.Base(binary) != ServeName {
		binary = filepath.Join(filepath.Dir(binary), ServeName)
	}
	if _, err := os.Stat(binary); err != nil {
		return "", fmt.Errorf("find the built-in server %s (make build puts it beside lvslab): %w", binary, err)
	}
	return binary, nil
}

// Start runs the node's server, as its daemon "server", and returns once
// every socket listens: the built-in server, served by the lab's server
// hub (StartHub, started first if needed), or nginx when opts.Server
// says so, a process of its own. binary is the lvslab executable, whose
// ServeName beside it runs the hub, or that ServeName itself; "" means
// Binary() (ServeBinary). It fails with daemon.ErrRunning when the
// node's server runs already. Equivalent to: `systemctl start httpd` (or
// nginx).
func Start(h *topo.Host, opts ServeOptions, binary string) error {
	if opts.Node == "" {
		opts.Node = h.Name()
	}
	switch opts.Server {
	case "", topo.ServerBuiltin:
	case topo.ServerNginx:
		return startNginx(h, opts)
	default:
		return fmt.Errorf("start server on %s: unknown server %q", h.Name(), opts.Server)
	}
	if pid, running, err := daemon.Status(h, ProcessName); err != nil {
		return fmt.Errorf("start server on %s: %w", h.Name(), err)
	} else if running {
		return fmt.Errorf("start server on %s: pid %d: %w", h.Name(), pid, daemon.ErrRunning)
	}
	return startBuiltin(h, opts, binary)
}

// Stop ends the node's server gracefully and returns once nothing
// listens for it: the built-in one stops accepting and lets requests in
// flight finish, nginx gets SIGQUIT, then SIGTERM; what is left after
// grace (0: a little more than the built-in server's own shutdown bound)
// is killed. Stopping a server that does not run is not an error.
// Equivalent to: `systemctl stop httpd`.
func Stop(h *topo.Host, grace time.Duration) error {
	if grace <= 0 {
		grace = backend.ShutdownTimeout + time.Second
	}
	if !isNginx(h) {
		_, err := askHub(h, backend.HubRequest{Op: backend.OpStop, Grace: grace}, grace+hubAsk)
		return err
	}
	if err := quitNginx(h, grace); err != nil {
		return err
	}
	return daemon.Stop(h, ProcessName, grace)
}

// Kill ends the node's server at once, giving it no chance to finish
// what is in flight: the built-in one's sockets and connections are
// closed, as the kernel closes a killed process's; nginx gets SIGKILL,
// and Kill returns once its workers are gone too. Equivalent to:
// `kill -9 $(pidof httpd)`.
func Kill(h *topo.Host) error {
	if !isNginx(h) {
		_, err := askHub(h, backend.HubRequest{Op: backend.OpKill}, hubAsk)
		return err
	}
	pid, running, err := daemon.Status(h, ProcessName)
	if err != nil {
		return err
	}
	if err := daemon.Stop(h, ProcessName, 0); err != nil {
		return err
	}
	if running {
		if err := nginxGroupGone(pid, readyTimeout); err != nil {
			return fmt.Errorf("kill server on %s: %w", h.Name(), err)
		}
	}
	return nil
}

// Running tells whether the node's server runs.
func Running(h *topo.Host) (bool, error) {
	_, running, err := PID(h)
	return running, err
}

// PID is the process that runs the node's server: nginx's master, or the
// lab's server hub while it serves the node.
func PID(h *topo.Host) (pid int, running bool, err error) {
	if isNginx(h) {
		return daemon.Status(h, ProcessName)
	}
	rep, err := askHub(h, backend.HubRequest{Op: backend.OpStatus}, hubAsk)
	if err != nil || !rep.Running {
		return 0, false, err
	}
	pid, running, err = hubRunning(h.Lab)
	return pid, running, err
}

// ServiceOptions derives the server a node runs in a lab, from every
// port it serves as a real or sorry server (its RealServer.Port, else the
// service's port or fwmark ports): HTTP on a TCP port whose service has an
// HTTP_GET check or that is a web port (HTTPPorts), a TCP echo listener
// that accepts connections on any other TCP port (a MySQL 3306 answers a
// TCP_CHECK), UDP echo on every UDP port; the port its service's check
// connects to (Check.ConnectPort) as its service's ports; echo on 7 over TCP and UDP, and
// HTTP on 80 when the node serves no TCP port. A node whose lab file says
// `server: nginx` gets nginx on every TCP port (HTTP) and no echo.
func ServiceOptions(spec *topo.Spec, node string) ServeOptions {
	opts := ServeOptions{Node: node, TCPEcho: []uint16{EchoPort}, UDPEcho: []uint16{EchoPort}}
	nginx := spec.ServerOf(node) == topo.ServerNginx
	if nginx {
		opts = ServeOptions{Node: node, Server: topo.ServerNginx}
	}
	for _, svc := range spec.Services {
		for _, rs := range svc.Backends() {
			if rs.Node != node {
				continue
			}
			ports := []uint16{rs.Port}
			if rs.Port == 0 {
				ports = append([]uint16{svc.Port}, svc.Ports...)
			}
			if c := svc.Check; c != nil && c.ConnectPort != 0 && (c.Type == topo.CheckTCP || c.Type == topo.CheckHTTP) {
				ports = append(ports, c.ConnectPort) // the checker's port
			}
			for _, p := range ports {
				switch {
				case p == 0:
				case svc.Protocol == "udp":
					opts.UDPEcho = appendNew(opts.UDPEcho, p)
				case nginx, svc.Check != nil && svc.Check.Type == "HTTP_GET", slices.Contains(HTTPPorts, p):
					opts.HTTP = appendNew(opts.HTTP, p)
				default:
					opts.TCPEcho = appendNew(opts.TCPEcho, p)
				}
			}
		}
	}
	if len(opts.HTTP) == 0 && len(opts.TCPEcho) <= 1 {
		opts.HTTP = []uint16{80}
	}
	return opts
}

// HTTPPorts are the TCP ports ServiceOptions serves HTTP on without an
// HTTP_GET check saying so: the web's usual ports (plain HTTP on 443 too,
// as the documents' firewall-mark lab serves it).
var HTTPPorts = []uint16{80, 443, 591, 8000, 8008, 8080, 8081, 8443, 8888}

func appendNew(ports []uint16, p uint16) []uint16 {
	if slices.Contains(ports, p) {
		return ports
	}
	return append(ports, p)
}

// listening is WaitReady's condition for a server with opts: a
// listening TCP socket on every HTTP and TCP echo port and a UDP socket on
// every UDP echo port.
func listening(h *topo.Host, opts ServeOptions) func() (string, error) {
	return func() (string, error) {
		missing, err := NotListening(h, opts)
		if err != nil || len(missing) == 0 {
			return "", err
		}
		return "not listening on " + strings.Join(missing, ", "), nil
	}
}

// NotListening names the server's sockets the node does not have yet,
// from /proc/thread-self/net/{tcp,udp}{,6} read inside its namespace.
func NotListening(h *topo.Host, opts ServeOptions) ([]string, error) {
	var tcp, udp map[uint16]bool
	err := h.Do(func() error {
		var err error
		if tcp, err = boundPorts("tcp", true); err != nil {
			return err
		}
		udp, err = boundPorts("udp", false)
		return err
	})
	if err != nil {
		return nil, err
	}
	var missing []string
	for _, p := range append(slices.Clone(opts.HTTP), opts.TCPEcho...) {
		if !tcp[p] {
			missing = append(missing, "tcp/"+strconv.Itoa(int(p)))
		}
	}
	for _, p := range opts.UDPEcho {
		if !udp[p] {
			missing = append(missing, "udp/"+strconv.Itoa(int(p)))
		}
	}
	return missing, nil
}

// boundPorts lists local ports of the calling thread's namespace's
// sockets; for TCP only those in LISTEN state (0A).
func boundPorts(proto string, listenOnly bool) (map[uint16]bool, error) {
	ports := map[uint16]bool{}
	for _, file := range []string{proto, proto + "6"} {
		f, err := os.Open("/proc/thread-self/net/" + file)
		if errors.Is(err, os.ErrNotExist) {
			continue // no IPv6
		}
		if err != nil {
			return nil, fmt.Errorf("read sockets: %w", err)
		}
		sc := bufio.NewScanner(f)
		sc.Scan() // header
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 4 {
				continue
			}
			if listenOnly && fields[3] != "0A" {
				continue
			}
			local := fields[1]
			i := strings.LastIndexByte(local, ':')
			if i < 0 {
				continue
			}
			p, err := strconv.ParseUint(local[i+1:], 16, 16)
			if err == nil {
				ports[uint16(p)] = true
			}
		}
		err = sc.Err()
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("read sockets: %w", err)
		}
	}
	return ports, nil
}
