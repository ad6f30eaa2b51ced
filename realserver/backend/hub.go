package backend

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// A Hub serves the built-in backends of many nodes from one process. Each
// node's sockets are opened from a thread that has entered the node's
// network namespace, and served from any thread afterwards: a socket
// keeps the namespace it was made in. So a lab's hundred real servers
// cost one process rather than a hundred: in the TCG guest each Go
// process's start cost 0.1–0.2 s of CPU (lvslab bench --scale --full),
// the most of a large lab's start.
//
// A Hub is driven by HubRequests (Do), which `lvslab-serve --hub SOCKET`
// reads from a unix socket, one JSON HubRequest per connection answered by
// one JSON HubReply (ListenAndServe). A node's server started by the hub
// behaves as its own process did: stop ends it gracefully, kill closes
// its sockets at once, and either way nothing listens for it any more.
type Hub struct {
	mu    sync.Mutex
	nodes map[string]*hosted
}

// hosted is one node's server running in a Hub.
type hosted struct {
	stop, kill context.CancelFunc
	done       chan struct{} // closed once its sockets are closed
}

// Op is what a HubRequest asks of a Hub.
type Op string

// The Hub's operations.
const (
	// OpServe opens the node's sockets in its namespace and serves them;
	// the HubReply comes once they listen.
	OpServe Op = "serve"
	// OpStop ends the node's server gracefully (Server.Serve's
	// shutdown), killing it after Grace.
	OpStop Op = "stop"
	// OpKill closes the node's sockets and connections at once.
	OpKill Op = "kill"
	// OpStatus tells whether the node's server runs.
	OpStatus Op = "status"
)

// HubRequest is one operation on one node's server.
type HubRequest struct {
	Op   Op     `json:"op"`
	Node string `json:"node"`
	// Netns is the node's namespace file (/run/netns/NS), for OpServe;
	// empty means the hub's own namespace.
	Netns string `json:"netns,omitempty"`
	// Log is the file the node's server appends its output to, for
	// OpServe; empty discards it.
	Log string `json:"log,omitempty"`
	// Options is what the node serves, for OpServe (Node is the
	// HubRequest's).
	Options *Options `json:"options,omitempty"`
	// Grace bounds OpStop's graceful shutdown (0: ShutdownTimeout and a
	// second).
	Grace time.Duration `json:"grace,omitempty"`
}

// HubReply is what a Hub did with a Request.
type HubReply struct {
	// Running tells whether the node's server runs after the request.
	Running bool `json:"running"`
	// AlreadyRunning says OpServe found the node's server running.
	AlreadyRunning bool `json:"already_running,omitempty"`
	// Error says why the request failed.
	Error string `json:"error,omitempty"`
}

// NewHub returns a Hub serving no node yet.
func NewHub() *Hub { return &Hub{nodes: map[string]*hosted{}} }

// Do carries out req.
func (h *Hub) Do(req HubRequest) HubReply {
	if req.Node == "" {
		return HubReply{Error: "no node named"}
	}
	switch req.Op {
	case OpServe:
		return h.serve(req)
	case OpStop:
		h.end(req.Node, grace(req.Grace))
	case OpKill:
		h.end(req.Node, 0)
	case OpStatus:
		h.mu.Lock()
		_, running := h.nodes[req.Node]
		h.mu.Unlock()
		return HubReply{Running: running}
	default:
		return HubReply{Error: fmt.Sprintf("unknown operation %q", req.Op)}
	}
	return HubReply{}
}

// grace is a stop's bound on the graceful shutdown: d, or by default a
// little more than the server's own (ShutdownTimeout).
func grace(d time.Duration) time.Duration {
	if d <= 0 {
		return ShutdownTimeout + time.Second
	}
	return d
}

// serve opens req's sockets in its namespace and serves them until the
// node is stopped or killed.
func (h *Hub) serve(req HubRequest) HubReply {
	if req.Options == nil {
		return HubReply{Error: "serve " + req.Node + ": no options"}
	}
	opts := *req.Options
	opts.Node = req.Node
	stopCtx, stop := context.WithCancel(context.Background())
	killCtx, kill := context.WithCancel(context.Background())
	hn := &hosted{stop: stop, kill: kill, done: make(chan struct{})}
	h.mu.Lock()
	if _, ok := h.nodes[req.Node]; ok {
		h.mu.Unlock()
		return HubReply{Running: true, AlreadyRunning: true}
	}
	h.nodes[req.Node] = hn // reserved while its sockets open
	h.mu.Unlock()
	drop := func() {
		h.mu.Lock()
		if h.nodes[req.Node] == hn {
			delete(h.nodes, req.Node)
		}
		h.mu.Unlock()
	}
	fail := func(err error) HubReply {
		drop()
		close(hn.done) // a stop that came meanwhile is over
		return HubReply{Error: fmt.Sprintf("serve %s: %v", req.Node, err)}
	}
	out, err := openLog(req.Log)
	if err != nil {
		return fail(err)
	}
	s, err := listenIn(req.Netns, opts)
	if err != nil {
		fmt.Fprintf(out, "serve: %v\n", err)
		out.Close()
		return fail(err)
	}
	announce(out, opts)
	go func() {
		defer close(hn.done)
		defer drop()
		defer out.Close()
		err := s.serve(stopCtx, killCtx)
		switch {
		case killCtx.Err() != nil:
			fmt.Fprintf(out, "%s killed: its sockets closed at once\n", opts.Node)
		case err != nil:
			fmt.Fprintf(out, "serve: %v\n", err)
		default:
			fmt.Fprintf(out, "%s shut down\n", opts.Node)
		}
	}()
	return HubReply{Running: true}
}

// end stops node's server gracefully, kills it after grace (at once when
// grace is 0), and returns once its sockets are closed. A node that is
// not served is left as it is.
func (h *Hub) end(node string, grace time.Duration) {
	h.mu.Lock()
	hn := h.nodes[node]
	h.mu.Unlock()
	if hn == nil {
		return
	}
	hn.stop()
	if grace > 0 {
		select {
		case <-hn.done:
			return
		case <-time.After(grace):
		}
	}
	hn.kill()
	<-hn.done
}

// endAll stops every node's server gracefully, as SIGTERM to each of their
// processes would have.
func (h *Hub) endAll() {
	h.mu.Lock()
	var nodes []string
	for n := range h.nodes {
		nodes = append(nodes, n)
	}
	h.mu.Unlock()
	var wg sync.WaitGroup
	for _, n := range nodes {
		wg.Go(func() { h.end(n, grace(0)) })
	}
	wg.Wait()
}

// listenIn opens opts's sockets in the network namespace whose file is
// netns (empty: the caller's), from a thread that enters it and then
// ends: the goroutine stays locked to it, so Go does not reuse a thread
// left in another namespace.
func listenIn(netns string, opts Options) (*Server, error) {
	if netns == "" {
		return Listen(opts)
	}
	type result struct {
		s   *Server
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		fd, err := unix.Open(netns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			ch <- result{err: fmt.Errorf("open namespace %s: %w", netns, err)}
			return
		}
		defer unix.Close(fd)
		if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
			ch <- result{err: fmt.Errorf("enter namespace %s: %w", netns, err)}
			return
		}
		s, err := Listen(opts)
		ch <- result{s, err}
	}()
	r := <-ch
	return r.s, r.err
}

// openLog opens a node's log for appending; "" discards the output.
func openLog(path string) (io.WriteCloser, error) {
	if path == "" {
		return nopCloser{io.Discard}, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open log: %w", err)
	}
	return f, nil
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// ListenAndServe answers HubRequests on the unix socket path until ctx ends,
// then stops every node's server gracefully. A file left at path by a
// hub that died is replaced.
func (h *Hub) ListenAndServe(ctx context.Context, path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("replace hub socket: %w", err)
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		return fmt.Errorf("listen on hub socket: %w", err)
	}
	defer func() { _ = os.Remove(path) }()
	go func() {
		<-ctx.Done()
		l.Close()
	}()
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		c, err := l.Accept()
		if err != nil {
			if ctx.Err() != nil {
				h.endAll()
				return nil
			}
			return fmt.Errorf("accept on hub socket: %w", err)
		}
		wg.Go(func() { h.answer(c) })
	}
}

// requestTimeout bounds how long the hub waits for a request once a
// client has connected.
const requestTimeout = 10 * time.Second

// answer reads one HubRequest from c and writes its HubReply.
func (h *Hub) answer(c net.Conn) {
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(requestTimeout))
	var req HubRequest
	rep := HubReply{}
	if err := json.NewDecoder(c).Decode(&req); err != nil {
		rep.Error = fmt.Sprintf("read request: %v", err)
	} else {
		rep = h.Do(req)
	}
	_ = json.NewEncoder(c).Encode(rep)
}

// ErrNoHub means no hub listens on the socket: no file is there, or
// nothing accepts on it (the hub that made it died).
var ErrNoHub = errors.New("no server hub listens")

// Ask sends req to the hub listening on the unix socket path and returns
// its HubReply; timeout bounds the whole exchange. A HubReply's Error is
// returned as an error; ErrNoHub when no hub listens there.
func Ask(path string, req HubRequest, timeout time.Duration) (HubReply, error) {
	c, err := net.DialTimeout("unix", path, timeout)
	if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ECONNREFUSED) {
		return HubReply{}, fmt.Errorf("reach server hub on %s: %w", path, ErrNoHub)
	}
	if err != nil {
		return HubReply{}, fmt.Errorf("reach server hub on %s: %w", path, err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(timeout))
	if err := json.NewEncoder(c).Encode(req); err != nil {
		return HubReply{}, fmt.Errorf("ask server hub to %s %s: %w", req.Op, req.Node, err)
	}
	var rep HubReply
	if err := json.NewDecoder(c).Decode(&rep); err != nil {
		return HubReply{}, fmt.Errorf("ask server hub to %s %s: %w", req.Op, req.Node, err)
	}
	if rep.Error != "" {
		return rep, errors.New(rep.Error)
	}
	return rep, nil
}
