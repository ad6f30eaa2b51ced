package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"syscall"
	"testing"
	"time"
)

func TestClientOptions(t *testing.T) {
	target := netip.MustParseAddrPort("192.168.188.100:80")
	tests := []struct {
		name    string
		opts    Options
		wantErr bool
	}{
		{"ok", Options{Target: target, Requests: 1, Deadline: time.Second}, false},
		{"no requests", Options{Target: target, Deadline: time.Second}, true},
		{"too many requests", Options{Target: target, Requests: MaxRequests + 1, Deadline: time.Second}, true},
		{"no deadline", Options{Target: target, Requests: 1}, true},
		{"deadline too long", Options{Target: target, Requests: 1, Deadline: MaxDeadline + 1}, true},
		{"no target", Options{Requests: 1, Deadline: time.Second}, true},
		{"no port", Options{Target: netip.AddrPortFrom(target.Addr(), 0), Requests: 1, Deadline: time.Second}, true},
		{"unknown protocol", Options{Target: target, Requests: 1, Deadline: time.Second, Protocol: "gopher"}, true},
		{"source of another family", Options{Target: target, Requests: 1, Deadline: time.Second, Sources: []netip.Addr{netip.MustParseAddr("::1")}}, true},
		{"source port, one request", Options{Target: target, Requests: 1, Deadline: time.Second, SourcePort: 40000}, false},
		{"source port, tcp requests on one connection", Options{Target: target, Requests: 3, Deadline: time.Second, SourcePort: 40000, KeepAlive: true}, false},
		{"source port, a tcp connection per request", Options{Target: target, Requests: 3, Deadline: time.Second, SourcePort: 40000}, true},
		{"source port, udp datagrams", Options{Target: target, Requests: 3, Deadline: time.Second, SourcePort: 40000, Protocol: UDPEcho}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.opts.check()
			if (err != nil) != tt.wantErr {
				t.Fatalf("check: err = %v, wantErr %v", err, tt.wantErr)
			}
		})
	}
}

func TestClientClassify(t *testing.T) {
	op := func(err error) error {
		return &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", err)}
	}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, ""},
		{"refused", op(syscall.ECONNREFUSED), Refused},
		{"reset", op(syscall.ECONNRESET), Reset},
		{"broken pipe", op(syscall.EPIPE), Reset},
		{"host unreachable", op(syscall.EHOSTUNREACH), Unreachable},
		{"net unreachable", op(syscall.ENETUNREACH), Unreachable},
		{"connect timeout", op(syscall.ETIMEDOUT), Timeout},
		{"deadline", fmt.Errorf("read: %w", os.ErrDeadlineExceeded), Timeout},
		{"context deadline", context.DeadlineExceeded, Timeout},
		{"eof", io.EOF, Closed},
		{"unexpected eof", io.ErrUnexpectedEOF, Closed},
		{"status", &StatusError{Code: 503}, Status},
		{"other", errors.New("boom"), Other},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Classify(tt.err); got != tt.want {
				t.Errorf("Classify(%v) = %q, want %q", tt.err, got, tt.want)
			}
		})
	}
}

func TestClientParseBody(t *testing.T) {
	var ev Event
	parseBody("web1\nclient 192.168.10.6:40000\nlocal 192.168.188.100:80\n", &ev)
	want := Event{Server: "web1",
		Client: netip.MustParseAddrPort("192.168.10.6:40000"),
		Local:  netip.MustParseAddrPort("192.168.188.100:80")}
	if ev != want {
		t.Errorf("parseBody = %+v, want %+v", ev, want)
	}
}
