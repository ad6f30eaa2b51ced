package client_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/lvslab/lvslab/client"
	"github.com/lvslab/lvslab/internal/labtest"
	"github.com/lvslab/lvslab/realserver"
)

// TestConn holds connections from the lab's client node, and asks on
// them from the test's own goroutine, outside the node: the sockets are
// the node's (the root namespace has no route to the RIPs).
func TestConn(t *testing.T) {
	lab := labtest.DR(t, "cn")
	cl := labtest.Host(t, lab, "client")
	labtest.ServeInProcess(t, labtest.Host(t, lab, "web1"), realserver.ServeOptions{
		HTTP: []uint16{80}, TCPEcho: []uint16{7},
	})
	web1 := labtest.RIP["web1"]
	silent := netip.AddrPortFrom(labtest.RIP["web2"], 8080)
	silentServer(t, labtest.Host(t, lab, "web2"), silent)
	ctx := context.Background()

	tests := []struct {
		name string
		opts client.Options
		// local is the connection's local address (port 0: any).
		local netip.AddrPort
	}{
		{"http keep-alive", client.Options{Target: netip.AddrPortFrom(web1, 80)}, netip.AddrPortFrom(labtest.Client, 0)},
		{"http from a source port", client.Options{Target: netip.AddrPortFrom(web1, 80), SourcePort: 40100}, netip.AddrPortFrom(labtest.Client, 40100)},
		{"http from a second address and port", client.Options{Target: netip.AddrPortFrom(web1, 80),
			Sources: []netip.Addr{labtest.Client2}, SourcePort: 40101}, netip.AddrPortFrom(labtest.Client2, 40101)},
		{"tcp echo", client.Options{Target: netip.AddrPortFrom(web1, 7), Protocol: client.TCPEcho}, netip.AddrPortFrom(labtest.Client, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := client.Dial(ctx, cl, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			local := c.Local()
			if local.Addr() != tt.local.Addr() || (tt.local.Port() != 0 && local.Port() != tt.local.Port()) {
				t.Fatalf("connection from %s, want %s", local, tt.local)
			}
			for i := range 3 {
				ev, err := c.Ask(ctx)
				if err != nil {
					t.Fatalf("ask %d: %v", i, err)
				}
				if ev.Server != "web1" || ev.Source != local {
					t.Errorf("ask %d: %s answered on %s, want web1 on %s", i, ev.Server, ev.Source, local)
				}
				if tt.opts.Protocol == "" && ev.Client != local {
					t.Errorf("ask %d: the server saw %s, want the held connection %s", i, ev.Client, local)
				}
			}
			if err := c.Close(); err != nil {
				t.Fatal(err)
			}
			if err := c.Close(); err != nil {
				t.Errorf("second close: %v", err)
			}
			if ev, err := c.Ask(ctx); !errors.Is(err, net.ErrClosed) || ev.Err != client.Other {
				t.Errorf("ask after close: %+v, %v; want net.ErrClosed", ev, err)
			}
		})
	}

	t.Run("a refused connect is an error", func(t *testing.T) {
		_, err := client.Dial(ctx, cl, client.Options{Target: netip.AddrPortFrom(web1, 81)})
		if got := client.Classify(err); got != client.Refused {
			t.Errorf("dial: %v (%s), want %s", err, got, client.Refused)
		}
	})

	t.Run("a failed ask closes the connection for good", func(t *testing.T) {
		c, err := client.Dial(ctx, cl, client.Options{Target: silent, Timeout: 200 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		begin := time.Now()
		ev, err := c.Ask(ctx)
		if client.Classify(err) != client.Timeout || ev.Err != client.Timeout {
			t.Fatalf("ask: %+v, %v; want a timeout", ev, err)
		}
		if took := time.Since(begin); took > time.Second {
			t.Errorf("the ask took %s, its timeout is 200ms", took)
		}
		// No new connection: it would be dialled outside the node.
		if _, err := c.Ask(ctx); !errors.Is(err, net.ErrClosed) {
			t.Errorf("ask after a failure: %v, want net.ErrClosed", err)
		}
	})

	t.Run("bad options", func(t *testing.T) {
		if _, err := client.Dial(ctx, cl, client.Options{Target: netip.AddrPortFrom(web1, 0)}); err == nil {
			t.Error("dial to port 0: no error")
		}
	})
}
