package realserver

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lvslab/lvslab/topo"
)

// ProcessName is the supervised process name of a node's backend.
const ProcessName = "server"

// EchoPort is the echo service's port (RFC 862), served over TCP and UDP
// by `lvslab start NODE server`.
const EchoPort = 7

// readyTimeout bounds how long Start waits for the backend's sockets. It
// is generous: under an emulated guest kernel on a busy machine a Go
// binary's first start, read over 9p, can take seconds.
const readyTimeout = 30 * time.Second

// Binary is the lvslab executable that runs backends: $LVSLAB_BIN, else
// the running executable (right for the CLI; tests build bin/lvslab).
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

// Argv is the command line that runs the backend with opts.
func Argv(binary string, opts ServeOptions) []string {
	argv := []string{binary, "serve", "--node", opts.Node}
	add := func(flag string, ports []uint16) {
		if len(ports) == 0 {
			return
		}
		s := make([]string, len(ports))
		for i, p := range ports {
			s[i] = strconv.Itoa(int(p))
		}
		argv = append(argv, flag, strings.Join(s, ","))
	}
	add("--http", opts.HTTP)
	add("--tcp-echo", opts.TCPEcho)
	add("--udp-echo", opts.UDPEcho)
	if opts.Bind.IsValid() {
		argv = append(argv, "--bind", opts.Bind.String())
	}
	return argv
}

// Start runs the backend on the node as its supervised process "server",
// and returns once every socket listens: the built-in backend, or nginx
// when opts.Server says so. binary is the lvslab executable; "" means
// Binary(). Equivalent to: `systemctl start httpd` (or nginx).
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
	if binary == "" {
		var err error
		if binary, err = Binary(); err != nil {
			return fmt.Errorf("start server on %s: %w", h.Name(), err)
		}
	}
	if _, err := h.StartProcess(ProcessName, Argv(binary, opts)); err != nil {
		return err
	}
	if err := waitListening(h, opts, readyTimeout); err != nil {
		_ = h.StopProcess(ProcessName, 0)
		return fmt.Errorf("start server on %s: %w%s", h.Name(), err, logTail(h.ProcessLog(ProcessName)))
	}
	return nil
}

// Stop ends the node's backend gracefully: SIGTERM (nginx: SIGQUIT,
// then SIGTERM), then SIGKILL after grace (0: a little more than the
// backend's own shutdown bound). Equivalent to: `systemctl stop httpd`.
func Stop(h *topo.Host, grace time.Duration) error {
	if grace <= 0 {
		grace = shutdownTimeout + time.Second
	}
	if isNginx(h) {
		if err := quitNginx(h, grace); err != nil {
			return fmt.Errorf("stop nginx on %s: %w", h.Name(), err)
		}
	}
	return h.StopProcess(ProcessName, grace)
}

// Kill ends the node's backend with SIGKILL, giving it no chance to close
// its connections; for nginx it returns once its workers are gone too.
// Equivalent to: `kill -9 $(pidof httpd)`.
func Kill(h *topo.Host) error {
	pid, running, err := h.Process(ProcessName)
	if err != nil {
		return err
	}
	nginx := running && isNginx(h)
	if err := h.StopProcess(ProcessName, 0); err != nil {
		return err
	}
	if nginx {
		if err := nginxGroupGone(pid, readyTimeout); err != nil {
			return fmt.Errorf("kill nginx on %s: %w", h.Name(), err)
		}
	}
	return nil
}

// Running tells whether the node's backend runs.
func Running(h *topo.Host) (bool, error) {
	_, running, err := h.Process(ProcessName)
	return running, err
}

// ServiceOptions derives the backend a node runs in a lab, from every
// port it serves as a real or sorry server (its RealServer.Port, else the
// service's port or fwmark ports): HTTP on a TCP port whose service has an
// HTTP_GET check or that is a web port (HTTPPorts), a TCP echo listener
// that accepts connections on any other TCP port (a MySQL 3306 answers a
// TCP_CHECK), UDP echo on every UDP port; echo on 7 over TCP and UDP, and
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

// waitListening waits until the node has a listening TCP socket on every
// HTTP and TCP echo port and a UDP socket on every UDP echo port, or the
// backend has died.
func waitListening(h *topo.Host, opts ServeOptions, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		missing, err := NotListening(h, opts)
		if err != nil {
			return err
		}
		if len(missing) == 0 {
			return nil
		}
		pid, running, err := h.Process(ProcessName)
		if err != nil {
			return err
		}
		if !running {
			return errors.New("backend exited")
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("backend not listening on %s after %s (%s)", strings.Join(missing, ", "), timeout, describe(pid))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// notListening names the backend's sockets the node does not have yet,
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

// logTail quotes the end of the backend's log for an error message.
func logTail(path string) string {
	data, err := os.ReadFile(path)
	if err != nil || len(data) == 0 {
		return ""
	}
	const max = 1024
	if len(data) > max {
		data = data[len(data)-max:]
	}
	return " (log " + path + ": " + strings.TrimSpace(string(data)) + ")"
}

// describe says what a process is doing, for a backend that never
// listened: its command, state and the kernel function it waits in.
func describe(pid int) string {
	read := func(name string) string {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/%s", pid, name))
		if err != nil {
			return "?"
		}
		return strings.TrimSpace(string(data))
	}
	state := "?"
	for _, line := range strings.Split(read("status"), "\n") {
		if v, ok := strings.CutPrefix(line, "State:"); ok {
			state = strings.TrimSpace(v)
		}
	}
	return fmt.Sprintf("pid %d %s, state %s, waiting in %s", pid, read("comm"), state, read("wchan"))
}
