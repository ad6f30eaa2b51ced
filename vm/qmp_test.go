package vm

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

// fakeQMP plays qemu's side of QMP: it greets, then answers each command
// with reply(command), sending an event first, and records the commands
// and the content of any file passed along.
func fakeQMP(t *testing.T, reply func(cmd string) string) (path string, got chan string) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "qmp.sock")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	got = make(chan string, 16)
	go func() {
		defer close(got)
		conn, err := ln.AcceptUnix()
		if err != nil {
			return
		}
		defer conn.Close()
		_, _ = conn.Write([]byte(`{"QMP": {"version": {}, "capabilities": []}}` + "\n"))
		buf, oob := make([]byte, 4096), make([]byte, 256)
		var pending []byte
		for {
			n, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
			if err != nil {
				return
			}
			if oobn > 0 {
				msgs, _ := unix.ParseSocketControlMessage(oob[:oobn])
				for _, m := range msgs {
					fds, _ := unix.ParseUnixRights(&m)
					for _, fd := range fds {
						f := os.NewFile(uintptr(fd), "passed")
						_, _ = f.WriteString("written by qemu")
						f.Close()
						got <- "fd"
					}
				}
			}
			pending = append(pending, buf[:n]...)
			for {
				line, rest, ok := strings.Cut(string(pending), "\n")
				if !ok {
					break
				}
				pending = []byte(rest)
				var msg struct {
					Execute   string          `json:"execute"`
					Arguments json.RawMessage `json:"arguments"`
				}
				if err := json.Unmarshal([]byte(line), &msg); err != nil {
					return
				}
				got <- msg.Execute + " " + string(msg.Arguments)
				_, _ = conn.Write([]byte(`{"event": "SOMETHING", "data": {}}` + "\n" + reply(msg.Execute) + "\n"))
			}
		}
	}()
	return path, got
}

func TestQMP(t *testing.T) {
	path, got := fakeQMP(t, func(cmd string) string {
		switch cmd {
		case "query-migrate":
			return `{"return": {"status": "completed"}}`
		case "bad":
			return `{"error": {"class": "GenericError", "desc": "no such thing"}}`
		}
		return `{"return": {}}`
	})
	q, err := dialQMP(path, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()

	var st struct {
		Status string `json:"status"`
	}
	if err := q.execute("query-migrate", nil, &st); err != nil {
		t.Fatal(err)
	}
	if st.Status != "completed" {
		t.Errorf("status %q, want completed", st.Status)
	}
	err = q.execute("bad", map[string]any{"x": 1}, nil)
	if err == nil || !strings.Contains(err.Error(), "QMP bad: GenericError: no such thing") {
		t.Errorf("error = %v, want qemu's", err)
	}
	f, err := os.CreateTemp(t.TempDir(), "snap")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := q.executeFD("getfd", map[string]any{"fdname": "snapshot"}, f); err != nil {
		t.Fatal(err)
	}
	q.Close()

	var cmds []string
	for c := range got {
		cmds = append(cmds, c)
	}
	want := []string{"qmp_capabilities ", "query-migrate ", `bad {"x":1}`, "fd", `getfd {"fdname":"snapshot"}`}
	if diff := cmp.Diff(want, cmds); diff != "" {
		t.Errorf("commands qemu got (-want +got):\n%s", diff)
	}
	if b, _ := os.ReadFile(f.Name()); string(b) != "written by qemu" {
		t.Errorf("passed file holds %q: qemu did not get it", b)
	}
}

func TestDialQMPNoGreeting(t *testing.T) {
	path := filepath.Join(t.TempDir(), "qmp.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		if c, err := ln.Accept(); err == nil {
			_, _ = c.Write([]byte(`{"return": {}}` + "\n"))
			c.Close()
		}
	}()
	if _, err := dialQMP(path, 5*time.Second); err == nil {
		t.Error("no error without a greeting")
	}
}
