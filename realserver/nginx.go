package realserver

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/lvslab/lvslab/internal/daemon"
	"github.com/lvslab/lvslab/topo"
)

// Debian's nginx as a node's real server (a lab file's `server: nginx`),
// in place of the built-in backend. Everything it writes is under the
// lab's state directory, never the host's /etc/nginx, /var/log/nginx or
// /run/nginx.pid:
//
//	nginx/NODE/nginx.conf   the configuration, rendered by NginxConfig
//	nginx/NODE/html/        the page: index.html holds the node's name
//	nginx/NODE/nginx.pid    nginx's own pid file
//	nginx/NODE/access.log   its access log (the error log is its stderr,
//	                        the process log logs/NODE.server.log)
//	nginx/NODE/temp/        its temporary files
//
// It runs in the foreground (daemon off) as the node's supervised process
// "server", so Stop, Kill and Running mean for it what they mean for the
// built-in backend; Stop sends SIGQUIT first, nginx's graceful shutdown,
// as Debian's nginx.service does.

// NginxDir is where a node's nginx keeps its files in the lab's state.
func NginxDir(lab, node string) string {
	return filepath.Join(topo.StateDir(lab), "nginx", node)
}

// NginxConfig renders the nginx.conf that serves opts.HTTP from dir: a
// page naming opts.Node on every port, on opts.Bind (0.0.0.0 if unset,
// which also answers on a VIP held on lo or tunl0).
func NginxConfig(dir string, opts ServeOptions) string {
	bind := "0.0.0.0"
	if opts.Bind.IsValid() {
		bind = opts.Bind.String()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# nginx.conf of %s, written by lvslab: Debian's nginx as its real server.\n", opts.Node)
	b.WriteString("daemon off;\n")
	b.WriteString("worker_processes 1;\n")
	fmt.Fprintf(&b, "pid %s;\n", filepath.Join(dir, "nginx.pid"))
	b.WriteString("error_log stderr notice;\n")
	b.WriteString("events {\n\tworker_connections 512;\n}\n")
	b.WriteString("http {\n")
	fmt.Fprintf(&b, "\taccess_log %s;\n", filepath.Join(dir, "access.log"))
	for _, t := range []string{"client_body", "proxy", "fastcgi", "uwsgi", "scgi"} {
		fmt.Fprintf(&b, "\t%s_temp_path %s;\n", t, filepath.Join(dir, "temp", t))
	}
	b.WriteString("\tdefault_type text/plain;\n")
	b.WriteString("\tserver {\n")
	for _, p := range opts.HTTP {
		fmt.Fprintf(&b, "\t\tlisten %s:%d default_server;\n", bind, p)
	}
	fmt.Fprintf(&b, "\t\troot %s;\n", filepath.Join(dir, "html"))
	b.WriteString("\t\tindex index.html;\n")
	b.WriteString("\t}\n}\n")
	return b.String()
}

// NginxPage is the page nginx serves: the node's name on its first line,
// as the documents' `echo NODE > index.html` makes it, and as the
// built-in backend's reply starts.
func NginxPage(node string) string { return node + "\n" }

// nginxArgv is the command line of a node's nginx: -p and -e keep it off
// the host's prefix and error log before it has read the configuration.
func nginxArgv(binary, dir string) []string {
	return []string{binary, "-p", dir, "-e", "stderr", "-c", filepath.Join(dir, "nginx.conf")}
}

// nginxBinary finds Debian's nginx.
func nginxBinary() (string, error) {
	if b, err := exec.LookPath("nginx"); err == nil {
		return b, nil
	}
	const debian = "/usr/sbin/nginx"
	if _, err := os.Stat(debian); err != nil {
		return "", errors.New("find nginx: not installed (apt-get install nginx, or make deps)")
	}
	return debian, nil
}

// startNginx writes the node's nginx files and runs nginx as its
// supervised process "server", returning once every port listens and
// nginx has written its pid file with the pid it was started as.
func startNginx(h *topo.Host, opts ServeOptions) error {
	binary, err := nginxBinary()
	if err != nil {
		return fmt.Errorf("start server on %s: %w", h.Name(), err)
	}
	dir := NginxDir(h.Lab, h.Name())
	if err := writeNginxFiles(dir, opts); err != nil {
		return fmt.Errorf("start server on %s: %w", h.Name(), err)
	}
	pid, err := daemon.Start(h, ProcessName, nginxArgv(binary, dir), daemon.NetnsOnly)
	if err != nil {
		return err
	}
	listens, pidFile := listening(h, opts), filepath.Join(dir, "nginx.pid")
	err = daemon.WaitReady(h, ProcessName, readyTimeout, func() (string, error) {
		if notYet, err := listens(); notYet != "" || err != nil {
			return notYet, err
		}
		return pidFileHolds(pidFile, pid)
	})
	if err != nil {
		_ = daemon.Stop(h, ProcessName, 0)
		return fmt.Errorf("start server on %s: %w", h.Name(), err)
	}
	return nil
}

// writeNginxFiles lays out dir: the configuration, the page and the
// temporary directory. The master runs as root and its workers as
// nobody, so what they read is world-readable.
func writeNginxFiles(dir string, opts ServeOptions) error {
	for _, d := range []string{filepath.Join(dir, "html"), filepath.Join(dir, "temp")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("write nginx files: %w", err)
		}
	}
	files := map[string]string{
		filepath.Join(dir, "nginx.conf"):         NginxConfig(dir, opts),
		filepath.Join(dir, "html", "index.html"): NginxPage(opts.Node),
	}
	for path, text := range files {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			return fmt.Errorf("write nginx files: %w", err)
		}
	}
	return nil
}

// pidFileHolds is "" once the pid file at path holds pid: nginx writes
// it once it has read its configuration and opened its sockets.
func pidFileHolds(path string, pid int) (string, error) {
	data, err := os.ReadFile(path)
	got, perr := strconv.Atoi(strings.TrimSpace(string(data)))
	switch {
	case err != nil || perr != nil:
		return "no pid file " + path, nil
	case got != pid:
		return "", fmt.Errorf("pid file %s holds %d, nginx was started as %d", path, got, pid)
	}
	return "", nil
}

// isNginx tells whether the node's supervised server is nginx, from the
// command it was started with.
func isNginx(h *topo.Host) bool {
	rec, err := daemon.ReadRecord(h, ProcessName)
	return err == nil && len(rec.Argv) > 0 && filepath.Base(rec.Argv[0]) == "nginx"
}

// nginxGroupGone waits up to d for every process of the process group
// pgid (nginx's master and its workers: the session daemon.Start made)
// to be gone, so that no worker still holds a listening socket once Kill
// returns. It reads field 5 (pgrp) of each /proc/PID/stat.
func nginxGroupGone(pgid int, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		left, err := groupMembers(pgid)
		if err != nil || len(left) == 0 {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("processes %v of nginx's group %d still there after %s", left, pgid, d)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// groupMembers lists the live (not zombie) processes of group pgid.
func groupMembers(pgid int) ([]int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("list processes: %w", err)
	}
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue // gone meanwhile
		}
		s := string(data)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:]) // state, ppid, pgrp, …
		if len(f) < 3 || f[0] == "Z" || f[2] != strconv.Itoa(pgid) {
			continue
		}
		out = append(out, pid)
	}
	return out, nil
}

// quitNginx asks the node's nginx for a graceful shutdown (SIGQUIT: stop
// listening, finish the requests in flight) and waits up to grace for it
// to go. Equivalent to: `start-stop-daemon --stop --retry QUIT/5
// --pidfile nginx.pid`, the stop of Debian's nginx.service.
func quitNginx(h *topo.Host, grace time.Duration) error {
	if err := daemon.Signal(h, ProcessName, unix.SIGQUIT); err != nil {
		if errors.Is(err, daemon.ErrNotRunning) {
			return nil
		}
		return err
	}
	deadline := time.Now().Add(grace)
	for time.Now().Before(deadline) {
		running, err := Running(h)
		if err != nil || !running {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil // daemon.Stop sends SIGTERM, then SIGKILL
}
