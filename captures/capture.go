package captures

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"golang.org/x/net/bpf"

	"github.com/lvslab/lvslab/topo"
)

// Bounds on a capture, so that a forgotten one cannot fill the disk.
const (
	DefaultMaxPackets  = 100_000          // per link
	DefaultMaxBytes    = 64 << 20         // per link file
	DefaultMaxDuration = 10 * time.Minute // whole capture
	// Snaplen is how much of each frame is kept: every header and the
	// payload of any frame up to the loopback MTU.
	Snaplen = 65535
)

// drainTimeout bounds how long Stop waits for packets the kernel has
// already queued on a socket to be written.
const drainTimeout = time.Second

// Options tune a capture. The zero value captures everything, bounded
// by the defaults.
type Options struct {
	// Dir is where the pcaps go; default topo.StateDir(lab)/captures.
	Dir string
	// Filter keeps only matching frames (decided in Go, after capture).
	Filter Filter
	// BPF is a classic BPF program attached to every socket, as
	// `tcpdump -dd EXPR` prints it; nil keeps everything.
	BPF []bpf.RawInstruction
	// MaxPackets and MaxBytes bound each link's file; a link that reaches
	// either stops capturing. MaxDuration bounds the whole capture.
	MaxPackets  int
	MaxBytes    int64
	MaxDuration time.Duration
}

func (o *Options) setDefaults(lab *topo.Lab) {
	if o.Dir == "" {
		o.Dir = filepath.Join(topo.StateDir(lab.Name), "captures")
	}
	if o.MaxPackets <= 0 {
		o.MaxPackets = DefaultMaxPackets
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.MaxDuration <= 0 {
		o.MaxDuration = DefaultMaxDuration
	}
}

// Capture is a running capture: one packet socket and one pcap per link.
type Capture struct {
	links []*linkCapture
	timer *time.Timer
	once  sync.Once
	err   error
}

// linkCapture is one link's socket, reader goroutine and file.
type linkCapture struct {
	link   Link
	path   string
	handle *pcapgo.EthernetHandle
	file   *os.File
	buf    *bufio.Writer
	w      *pcapgo.Writer
	filter Filter
	maxPkt int
	maxB   int64

	done    chan struct{}
	closeMu sync.Mutex
	closed  bool
	// Written by the reader goroutine; read after done is closed
	// (except read, which drain watches).
	read    atomic.Uint64 // frames taken from the socket
	packets int           // frames written
	bytes   int64
	werr    error // a write error (a read error ends the capture quietly)
}

// Start captures on links of lab (all interfaces of all nodes when links
// is empty) until Stop, MaxDuration, or the lab going away. Each socket
// is open and queuing frames when Start returns; ctx bounds the start
// only (Stop, MaxDuration and the lab's teardown end the capture).
func Start(ctx context.Context, lab *topo.Lab, links []Link, opts Options) (c *Capture, err error) {
	opts.setDefaults(lab)
	if len(links) == 0 {
		links = AllLinks(lab.Spec)
	}
	if err := checkLinks(lab.Spec, links); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("start capture: %w", err)
	}
	c = &Capture{}
	defer func() {
		if err != nil {
			_, _ = c.Stop()
		}
	}()
	for _, l := range links {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("start capture: %w", err)
		}
		lc, err := openLink(lab, l, opts)
		if err != nil {
			return nil, err
		}
		c.links = append(c.links, lc)
		go lc.run()
	}
	c.timer = time.AfterFunc(opts.MaxDuration, func() {
		for _, lc := range c.links {
			lc.close()
		}
	})
	return c, nil
}

// openLink opens the packet socket inside the node's namespace and the
// pcap file. Equivalent to: `ip netns exec LAB-NODE tcpdump -i IFACE -w FILE`.
func openLink(lab *topo.Lab, l Link, opts Options) (*linkCapture, error) {
	h, err := lab.Host(l.Node)
	if err != nil {
		return nil, fmt.Errorf("capture on %s: %w", l, err)
	}
	var handle *pcapgo.EthernetHandle
	err = h.Do(func() error {
		var err error
		handle, err = pcapgo.NewEthernetHandle(l.Interface)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("capture on %s: %w", l, err)
	}
	if err := handle.SetCaptureLength(Snaplen); err != nil {
		_ = handle.Close()
		return nil, fmt.Errorf("capture on %s: %w", l, err)
	}
	if len(opts.BPF) > 0 {
		if err := handle.SetBPF(opts.BPF); err != nil {
			_ = handle.Close()
			return nil, fmt.Errorf("capture on %s: attach filter: %w", l, err)
		}
	}
	path := filepath.Join(opts.Dir, l.FileName())
	f, err := os.Create(path)
	if err != nil {
		_ = handle.Close()
		return nil, fmt.Errorf("capture on %s: %w", l, err)
	}
	lc := &linkCapture{
		link: l, path: path, handle: handle, file: f, buf: bufio.NewWriter(f),
		filter: opts.Filter, maxPkt: opts.MaxPackets, maxB: opts.MaxBytes,
		done: make(chan struct{}),
	}
	lc.w = pcapgo.NewWriterNanos(lc.buf)
	if err := lc.w.WriteFileHeader(Snaplen, layers.LinkTypeEthernet); err != nil {
		_ = handle.Close()
		_ = f.Close()
		return nil, fmt.Errorf("capture on %s: %w", l, err)
	}
	return lc, nil
}

// run copies frames from the socket to the file until the socket is
// closed (Stop, MaxDuration), the interface disappears (the lab was torn
// down) or a bound is reached.
func (lc *linkCapture) run() {
	defer close(lc.done)
	defer lc.close()
	for {
		data, ci, err := lc.handle.ReadPacketData()
		if err != nil {
			return // closed, or the interface is gone: the capture ends
		}
		lc.read.Add(1)
		if !lc.filter.Match(data) {
			continue
		}
		if err := lc.w.WritePacket(ci, data); err != nil {
			lc.werr = fmt.Errorf("write %s: %w", lc.path, err)
			return
		}
		lc.packets++
		lc.bytes += int64(16 + len(data))
		if lc.packets >= lc.maxPkt || lc.bytes >= lc.maxB {
			return
		}
	}
}

// close closes the socket once; a pending read then returns an error.
func (lc *linkCapture) close() {
	lc.closeMu.Lock()
	defer lc.closeMu.Unlock()
	if !lc.closed {
		lc.closed = true
		_ = lc.handle.Close()
	}
}

// drain waits until the reader has taken every frame the kernel queued
// on the socket (PACKET_STATISTICS counts them), so that Stop right after
// the last request loses nothing.
func (lc *linkCapture) drain() {
	var queued uint64
	deadline := time.Now().Add(drainTimeout)
	for time.Now().Before(deadline) {
		st, err := lc.handle.Stats() // counts since the previous call
		if err != nil {
			return
		}
		queued += uint64(st.Packets) - uint64(st.Drops)
		if lc.read.Load() >= queued {
			return
		}
		select {
		case <-lc.done:
			return
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// Stop ends the capture and returns the pcap files, one per link, in the
// order of the links. A link whose interface went away (the lab was torn
// down underneath) still yields its file, with what it saw until then.
func (c *Capture) Stop() ([]string, error) {
	c.once.Do(func() {
		if c.timer != nil {
			c.timer.Stop()
		}
		for _, lc := range c.links {
			lc.drain()
		}
		var errs []error
		for _, lc := range c.links {
			lc.close()
			<-lc.done
			if lc.werr != nil {
				errs = append(errs, lc.werr)
			}
			if err := lc.buf.Flush(); err != nil {
				errs = append(errs, fmt.Errorf("write %s: %w", lc.path, err))
			}
			if err := lc.file.Close(); err != nil {
				errs = append(errs, fmt.Errorf("write %s: %w", lc.path, err))
			}
		}
		c.err = errors.Join(errs...)
	})
	files := make([]string, 0, len(c.links))
	for _, lc := range c.links {
		files = append(files, lc.path)
	}
	if c.err != nil {
		return files, fmt.Errorf("stop capture: %w", c.err)
	}
	return files, nil
}

// Packets returns how many frames each link's file holds; valid after Stop.
func (c *Capture) Packets() map[Link]int {
	out := map[Link]int{}
	for _, lc := range c.links {
		select {
		case <-lc.done:
			out[lc.link] = lc.packets
		default:
		}
	}
	return out
}
