package realserver

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/lvslab/lvslab/internal/daemon"
	"github.com/lvslab/lvslab/realserver/backend"
	"github.com/lvslab/lvslab/topo"
)

// HubName is the lab's server hub as a supervised daemon of the lab's
// switch node: one lvslab-serve --hub process (backend.Hub) that serves
// every real server's built-in server, each from sockets opened inside
// that node's namespace. Its own log is logs/switch.servers.log; each
// node's server still logs to logs/NODE.server.log.
const HubName = "servers"

// hubAsk bounds one exchange with the hub other than a stop: opening a
// node's sockets in the TCG guest on a busy host can take seconds.
const hubAsk = readyTimeout

// HubSocket is the unix socket the lab's hub answers on, in its state
// directory.
func HubSocket(lab string) string { return filepath.Join(topo.StateDir(lab), "servers.sock") }

// HubFiles is how many files the hub holds open to serve opts: a socket
// per port and the node's log (connections come on top, one each).
func HubFiles(opts ServeOptions) int64 {
	if opts.Server == topo.ServerNginx {
		return 0 // nginx is a process of its own
	}
	return int64(len(opts.HTTP)+len(opts.TCPEcho)+len(opts.UDPEcho)) + 1
}

// hubHost is the node the hub runs as: the lab's switch, whose namespace
// every lab has and whose processes `lvslab down` ends with the rest.
func hubHost(lab string) *topo.Host {
	return &topo.Host{Lab: lab, Spec: &topo.Node{Name: topo.SwitchNode}}
}

// StartHub starts the lab's server hub unless it runs already, and
// returns once it answers. binary is the lvslab executable or the
// ServeName one ("": Binary(); see ServeBinary). Starting it twice at
// once is safe: the supervisor lets one start, and both wait for it to
// answer.
func StartHub(lab, binary string) error {
	binary, err := ServeBinary(binary)
	if err != nil {
		return fmt.Errorf("start server hub: %w", err)
	}
	sw, sock := hubHost(lab), HubSocket(lab)
	_, err = daemon.Start(sw, HubName, []string{binary, "--hub", sock}, daemon.NetnsOnly)
	if err != nil && !errors.Is(err, daemon.ErrRunning) {
		return fmt.Errorf("start server hub: %w", err)
	}
	err = daemon.WaitReady(sw, HubName, readyTimeout, func() (string, error) {
		if _, err := backend.Ask(sock, backend.HubRequest{Op: backend.OpStatus, Node: topo.SwitchNode}, time.Second); err != nil {
			return "not answering on " + sock, nil
		}
		return "", nil
	})
	if err != nil {
		return fmt.Errorf("start server hub: %w", err)
	}
	return nil
}

// hubRunning tells whether the lab's hub runs.
func hubRunning(lab string) (pid int, running bool, err error) {
	return daemon.Status(hubHost(lab), HubName)
}

// ask sends the hub of h's lab an operation on h's server; the error
// wraps backend.ErrNoHub when no hub runs.
func ask(h *topo.Host, req backend.HubRequest, timeout time.Duration) (backend.HubReply, error) {
	req.Node = h.Name()
	rep, err := backend.Ask(HubSocket(h.Lab), req, timeout)
	if err != nil {
		return rep, fmt.Errorf("%s server on %s: %w", req.Op, h.Name(), err)
	}
	return rep, nil
}

// askHub is ask where a hub that does not run is an answer: it serves
// nothing, so the node's server does not run.
func askHub(h *topo.Host, req backend.HubRequest, timeout time.Duration) (backend.HubReply, error) {
	rep, err := ask(h, req, timeout)
	if errors.Is(err, backend.ErrNoHub) {
		return backend.HubReply{}, nil
	}
	return rep, err
}

// startBuiltin has the lab's hub serve node h with opts, starting the hub
// first if none answers, and returns once h's sockets listen.
func startBuiltin(h *topo.Host, opts ServeOptions, binary string) error {
	req := backend.HubRequest{Op: backend.OpServe, Netns: h.NsPath(), Log: daemon.LogPath(h, ProcessName), Options: &opts}
	rep, err := ask(h, req, hubAsk)
	if errors.Is(err, backend.ErrNoHub) {
		if err := StartHub(h.Lab, binary); err != nil {
			return fmt.Errorf("start server on %s: %w", h.Name(), err)
		}
		rep, err = ask(h, req, hubAsk)
	}
	if err != nil {
		return err
	}
	if rep.AlreadyRunning {
		return fmt.Errorf("start server on %s: %w", h.Name(), daemon.ErrRunning)
	}
	return nil
}
