package client_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/lvslab/lvslab/client"
	"github.com/lvslab/lvslab/internal/labtest"
	"github.com/lvslab/lvslab/realserver"
	"github.com/lvslab/lvslab/topo"
)

func TestClient(t *testing.T) {
	lab := labtest.DR(t, "cl")
	cl := labtest.Host(t, lab, "client")
	for _, node := range []string{"web1", "web2"} {
		labtest.ServeInProcess(t, labtest.Host(t, lab, node), realserver.ServeOptions{
			HTTP: []uint16{80}, TCPEcho: []uint16{7}, UDPEcho: []uint16{7},
		})
	}
	web1 := labtest.RIP["web1"]
	silent := netip.AddrPortFrom(labtest.RIP["web2"], 8080)
	silentServer(t, labtest.Host(t, lab, "web2"), silent)
	nowhere := netip.MustParseAddr("192.168.188.99") // on the segment, no host
	tests := []struct {
		name      string
		opts      client.Options
		tally     map[string]int
		errors    map[string]int
		sameConn  bool         // every reply on one connection
		clientsIn []netip.Addr // the server saw these sources, in turn
		port      uint16       // every request left from this port
	}{
		{
			name:   "http",
			opts:   client.Options{Target: netip.AddrPortFrom(web1, 80), Requests: 5},
			tally:  map[string]int{"web1": 5},
			errors: map[string]int{},
		},
		{
			name:   "http to web2",
			opts:   client.Options{Target: netip.AddrPortFrom(labtest.RIP["web2"], 80), Requests: 3},
			tally:  map[string]int{"web2": 3},
			errors: map[string]int{},
		},
		{
			name: "sources round-robin",
			opts: client.Options{Target: netip.AddrPortFrom(web1, 80), Requests: 4,
				Sources: []netip.Addr{labtest.Client, labtest.Client2}},
			tally:     map[string]int{"web1": 4},
			errors:    map[string]int{},
			clientsIn: []netip.Addr{labtest.Client, labtest.Client2},
		},
		{
			name:     "keep-alive",
			opts:     client.Options{Target: netip.AddrPortFrom(web1, 80), Requests: 4, KeepAlive: true},
			tally:    map[string]int{"web1": 4},
			errors:   map[string]int{},
			sameConn: true,
		},
		{
			name:   "source port",
			opts:   client.Options{Target: netip.AddrPortFrom(web1, 80), Requests: 1, SourcePort: 40000},
			tally:  map[string]int{"web1": 1},
			errors: map[string]int{},
			port:   40000,
		},
		{
			name: "source port keep-alive, from each source",
			opts: client.Options{Target: netip.AddrPortFrom(web1, 80), Requests: 4, SourcePort: 40001, KeepAlive: true,
				Sources: []netip.Addr{labtest.Client, labtest.Client2}},
			tally:     map[string]int{"web1": 4},
			errors:    map[string]int{},
			clientsIn: []netip.Addr{labtest.Client, labtest.Client2},
			port:      40001,
		},
		{
			name:   "udp echo source port",
			opts:   client.Options{Target: netip.AddrPortFrom(web1, 7), Protocol: client.UDPEcho, Requests: 3, SourcePort: 40002},
			tally:  map[string]int{"web1": 3},
			errors: map[string]int{},
			port:   40002,
		},
		{
			name:   "tcp echo",
			opts:   client.Options{Target: netip.AddrPortFrom(web1, 7), Protocol: client.TCPEcho, Requests: 3},
			tally:  map[string]int{"web1": 3},
			errors: map[string]int{},
		},
		{
			name:     "tcp echo keep-alive",
			opts:     client.Options{Target: netip.AddrPortFrom(web1, 7), Protocol: client.TCPEcho, Requests: 3, KeepAlive: true},
			tally:    map[string]int{"web1": 3},
			errors:   map[string]int{},
			sameConn: true,
		},
		{
			name:   "udp echo",
			opts:   client.Options{Target: netip.AddrPortFrom(web1, 7), Protocol: client.UDPEcho, Requests: 3},
			tally:  map[string]int{"web1": 3},
			errors: map[string]int{},
		},
		{
			name:   "refused",
			opts:   client.Options{Target: netip.AddrPortFrom(web1, 81), Requests: 2},
			tally:  map[string]int{},
			errors: map[string]int{client.Refused: 2},
		},
		{
			name:   "udp refused",
			opts:   client.Options{Target: netip.AddrPortFrom(web1, 9), Protocol: client.UDPEcho, Requests: 2},
			tally:  map[string]int{},
			errors: map[string]int{client.Refused: 2},
		},
		{
			name:   "timeout",
			opts:   client.Options{Target: netip.AddrPortFrom(nowhere, 80), Requests: 2, Timeout: 200 * time.Millisecond},
			tally:  map[string]int{},
			errors: map[string]int{client.Timeout: 2},
		},
		{
			name:   "a server that never answers times out",
			opts:   client.Options{Target: silent, Requests: 2, Timeout: 200 * time.Millisecond},
			tally:  map[string]int{},
			errors: map[string]int{client.Timeout: 2},
		},
		{
			name:   "unreachable",
			opts:   client.Options{Target: netip.MustParseAddrPort("10.99.99.99:80"), Requests: 1},
			tally:  map[string]int{},
			errors: map[string]int{client.Unreachable: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Deadline = 10 * time.Second
			res, err := client.Run(context.Background(), cl, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if res.Sent != tt.opts.Requests || len(res.Timeline) != tt.opts.Requests {
				t.Errorf("sent %d, timeline %d; want %d", res.Sent, len(res.Timeline), tt.opts.Requests)
			}
			if !equal(res.Tally, tt.tally) || !equal(res.Errors, tt.errors) {
				t.Fatalf("tally %v errors %v; want tally %v errors %v (timeline %+v)", res.Tally, res.Errors, tt.tally, tt.errors, res.Timeline)
			}
			for i, ev := range res.Replies() {
				if tt.opts.Protocol == "" || tt.opts.Protocol == client.HTTP {
					if ev.Client != ev.Source {
						t.Errorf("reply %d: server saw %s, request left from %s", i, ev.Client, ev.Source)
					}
					if ev.Local.Addr() != tt.opts.Target.Addr() {
						t.Errorf("reply %d: server's local address %s, want %s", i, ev.Local, tt.opts.Target.Addr())
					}
				}
				if len(tt.clientsIn) > 0 {
					if want := tt.clientsIn[i%len(tt.clientsIn)]; ev.Source.Addr() != want {
						t.Errorf("reply %d from source %s, want %s", i, ev.Source, want)
					}
				}
				if tt.port != 0 && ev.Source.Port() != tt.port {
					t.Errorf("reply %d from %s, want port %d", i, ev.Source, tt.port)
				}
				if tt.sameConn && ev.Source != res.Timeline[0].Source {
					t.Errorf("reply %d on %s, want the first connection %s", i, ev.Source, res.Timeline[0].Source)
				}
			}
		})
	}

	t.Run("deadline bounds the run", func(t *testing.T) {
		begin := time.Now()
		res, err := client.Run(context.Background(), cl, client.Options{
			Target: netip.AddrPortFrom(web1, 80), Requests: 1000,
			Interval: 50 * time.Millisecond, Deadline: 300 * time.Millisecond,
		})
		if err != nil {
			t.Fatal(err)
		}
		if taken := time.Since(begin); taken > 2*time.Second {
			t.Errorf("run took %s, deadline 300ms", taken)
		}
		if res.Sent == 0 || res.Sent > 10 {
			t.Errorf("sent %d in 300ms at 50ms intervals", res.Sent)
		}
	})

	t.Run("a request the deadline cuts short is not a failure", func(t *testing.T) {
		res, err := client.Run(context.Background(), cl, client.Options{
			Target: netip.AddrPortFrom(nowhere, 80), Requests: 100, Timeout: time.Second, Deadline: 200 * time.Millisecond,
		})
		if err != nil {
			t.Fatal(err)
		}
		if res.Sent != 0 || len(res.Errors) != 0 {
			t.Errorf("result %+v, want nothing counted: the only request was cut by the deadline", res)
		}
	})

	t.Run("cancel ends the run with an error", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		time.AfterFunc(100*time.Millisecond, cancel)
		begin := time.Now()
		res, err := client.Run(ctx, cl, client.Options{
			Target: netip.AddrPortFrom(nowhere, 80), Requests: 100, Timeout: time.Second, Deadline: 10 * time.Second,
		})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
		if res == nil || res.Sent != 1 {
			t.Errorf("result %+v, want the one request in flight", res)
		}
		if taken := time.Since(begin); taken > 500*time.Millisecond {
			t.Errorf("cancelled run took %s", taken)
		}
	})

	t.Run("cancel wakes a request waiting for its answer", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		time.AfterFunc(100*time.Millisecond, cancel)
		begin := time.Now()
		res, err := client.Run(ctx, cl, client.Options{Target: silent, Requests: 1, Timeout: 5 * time.Second, Deadline: 10 * time.Second})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
		if res == nil || res.Sent != 1 {
			t.Errorf("result %+v, want the one request in flight", res)
		}
		if taken := time.Since(begin); taken > 500*time.Millisecond {
			t.Errorf("cancelled run took %s", taken)
		}
	})
}

// silentServer listens on addr inside h and accepts connections, but
// never answers, until the test ends.
func silentServer(t *testing.T, h *topo.Host, addr netip.AddrPort) {
	t.Helper()
	var ln net.Listener
	if err := h.Do(func() (err error) {
		ln, err = net.Listen("tcp4", addr.String())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	var mu sync.Mutex
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
}

func equal(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
