package vm

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// qmp is a connection to qemu's machine protocol (QMP): JSON objects, one
// per line; a command gets a "return" or an "error", and "event" objects
// come in between.
type qmp struct {
	conn net.Conn
	r    *bufio.Reader
}

// dialQMP connects to qemu's QMP socket and leaves capability negotiation,
// so commands can be sent. Equivalent to: `socat - UNIX:path` and
// {"execute":"qmp_capabilities"}.
func dialQMP(path string, timeout time.Duration) (*qmp, error) {
	conn, err := net.DialTimeout("unix", path, timeout)
	if err != nil {
		return nil, fmt.Errorf("connect to qemu's QMP: %w", err)
	}
	q := &qmp{conn: conn, r: bufio.NewReader(conn)}
	_ = conn.SetDeadline(time.Now().Add(timeout))
	var greeting struct {
		QMP json.RawMessage `json:"QMP"`
	}
	err = q.read(&greeting)
	if err == nil && greeting.QMP == nil {
		err = errors.New("no greeting")
	}
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("read qemu's QMP greeting: %w", err)
	}
	if err := q.execute("qmp_capabilities", nil, nil); err != nil {
		conn.Close()
		return nil, err
	}
	_ = conn.SetDeadline(time.Time{})
	return q, nil
}

// read decodes the next line into v.
func (q *qmp) read(v any) error {
	line, err := q.r.ReadBytes('\n')
	if err != nil {
		return err
	}
	return json.Unmarshal(line, v)
}

// execute runs one QMP command and decodes its "return" into ret (if not
// nil); events before the answer are skipped.
func (q *qmp) execute(command string, args, ret any) error {
	return q.send(command, args, nil, ret)
}

// executeFD is execute with f passed along (SCM_RIGHTS), as getfd wants.
func (q *qmp) executeFD(command string, args any, f *os.File) error {
	return q.send(command, args, f, nil)
}

func (q *qmp) send(command string, args any, f *os.File, ret any) error {
	msg := map[string]any{"execute": command}
	if args != nil {
		msg["arguments"] = args
	}
	b, err := json.Marshal(msg)
	if err != nil {
		return fmt.Errorf("encode QMP %s: %w", command, err)
	}
	b = append(b, '\n')
	if f != nil {
		uc, ok := q.conn.(*net.UnixConn)
		if !ok {
			return fmt.Errorf("send QMP %s: a file needs a unix socket", command)
		}
		_, _, err = uc.WriteMsgUnix(b, unix.UnixRights(int(f.Fd())), nil)
	} else {
		_, err = q.conn.Write(b)
	}
	if err != nil {
		return fmt.Errorf("send QMP %s: %w", command, err)
	}
	for {
		var resp struct {
			Return json.RawMessage `json:"return"`
			Error  *struct {
				Class string `json:"class"`
				Desc  string `json:"desc"`
			} `json:"error"`
			Event string `json:"event"`
		}
		if err := q.read(&resp); err != nil {
			return fmt.Errorf("read QMP %s answer: %w", command, err)
		}
		switch {
		case resp.Event != "":
			continue
		case resp.Error != nil:
			return fmt.Errorf("QMP %s: %s: %s", command, resp.Error.Class, resp.Error.Desc)
		case ret != nil:
			if err := json.Unmarshal(resp.Return, ret); err != nil {
				return fmt.Errorf("decode QMP %s answer: %w", command, err)
			}
		}
		return nil
	}
}

func (q *qmp) Close() error { return q.conn.Close() }
