package vm

import (
	"bufio"
	"net"
	"os"
	"strings"
	"testing"
)

func TestCtlPortHandshake(t *testing.T) {
	tests := []struct {
		name      string
		restored  bool
		guest     []string // lines the guest sends, in turn with the host's
		beforeGo  error
		wantSaved bool
		wantErr   string
	}{
		{name: "booted", guest: []string{"ready", "ok"}, wantSaved: true},
		{name: "restored", restored: true, guest: []string{"ok"}},
		{name: "snapshot cannot resume", guest: []string{"ready"}, beforeGo: os.ErrClosed, wantSaved: true, wantErr: "file already closed"},
		{name: "guest says other", guest: []string{"hello"}, wantErr: `got "hello"`},
		{name: "guest gone", restored: true, guest: nil, wantErr: "EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &ctlPort{}
			if err := p.listen(t.TempDir()); err != nil {
				t.Fatal(err)
			}
			defer p.close()
			fromHost := make(chan string, 4)
			go func() {
				conn, err := net.Dial("unix", p.path)
				if err != nil {
					return
				}
				defer conn.Close()
				r := bufio.NewReader(conn)
				for _, line := range tt.guest {
					if line == "ok" {
						l, _ := r.ReadString('\n')
						fromHost <- l
					}
					_, _ = conn.Write([]byte(line + "\n"))
				}
				_, _ = r.ReadString('\n') // until the host hangs up
			}()
			saved := false
			err := p.handshake(tt.restored, func() error { saved = true; return tt.beforeGo })
			p.close()
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("handshake error = %v, want %q", err, tt.wantErr)
			}
			if saved != tt.wantSaved {
				t.Errorf("beforeGo ran: %v, want %v", saved, tt.wantSaved)
			}
			if tt.wantErr == "" {
				l := <-fromHost
				if !strings.HasPrefix(l, "go ") {
					t.Errorf("host said %q, want go SECONDS", l)
				}
			}
		})
	}
}
