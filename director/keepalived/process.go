package keepalived

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/lvslab/lvslab/director"
	"github.com/lvslab/lvslab/internal/daemon"
	"github.com/lvslab/lvslab/topo"
)

// ProcessName is the supervised process name of a director's keepalived,
// as in `lvslab stop lvs01 keepalived`.
const ProcessName = "keepalived"

// Daemon is a director's keepalived as a daemon.Kind.
type Daemon struct{}

var _ daemon.Reloader = Daemon{}

// Name is ProcessName.
func (Daemon) Name() string { return ProcessName }

// Start starts keepalived on the director h (StartNode).
func (Daemon) Start(lab *topo.Lab, h *topo.Host) error {
	if h.Spec.Role != topo.RoleDirector {
		return fmt.Errorf("start keepalived on %s: a %s, not a director", h.Name(), h.Spec.Role)
	}
	return StartNode(lab, h)
}

// Stop stops keepalived as Stop does, with grace (0: StopGrace).
func (Daemon) Stop(h *topo.Host, grace time.Duration) error {
	if grace <= 0 {
		grace = StopGrace
	}
	return daemon.Stop(h, ProcessName, grace)
}

// Kill is Kill.
func (Daemon) Kill(h *topo.Host) error { return Kill(h) }

// Reload is Reload.
func (Daemon) Reload(lab *topo.Lab, h *topo.Host) error { return Reload(lab, h) }

// Status is daemon.Status of keepalived on h.
func (Daemon) Status(h *topo.Host) (int, bool, error) { return daemon.Status(h, ProcessName) }

// Log is logs/NODE.keepalived.log.
func (Daemon) Log(h *topo.Host) string { return daemon.LogPath(h, ProcessName) }

// Binary is the keepalived executable: $LVSLAB_KEEPALIVED, else
// keepalived from PATH (Debian installs /usr/sbin/keepalived).
func Binary() string {
	if b := os.Getenv("LVSLAB_KEEPALIVED"); b != "" {
		return b
	}
	return "keepalived"
}

// StopGrace bounds a graceful stop: keepalived's VRRP process sends its
// priority-0 advert and the checker deletes its virtual servers before
// they exit; after StopGrace the whole group is killed.
const StopGrace = 10 * time.Second

// readyTimeout bounds how long Start waits for keepalived's pid files
// (and StartNode for its virtual services). A bound on a wait, not a
// measured figure: in a TCG guest running several labs at once a start
// has taken over 15 s.
const readyTimeout = 60 * time.Second

// Files are where a director's keepalived keeps its configuration and
// pid files, under the lab's state directory (keepalived/NODE.*).
type Files struct {
	Config      string // NODE.conf
	PID         string // NODE.pid: the parent process
	VRRPPID     string // NODE.vrrp.pid
	CheckersPID string // NODE.checkers.pid
}

// FilesOf are the files of node h's keepalived.
func FilesOf(h *topo.Host) Files {
	base := filepath.Join(topo.StateDir(h.Lab), "keepalived", h.Name())
	return Files{
		Config:      base + ".conf",
		PID:         base + ".pid",
		VRRPPID:     base + ".vrrp.pid",
		CheckersPID: base + ".checkers.pid",
	}
}

// Argv is keepalived's command line for the files: no fork, log with
// detail to the console (its stderr, which the supervisor sends to the
// lab's logs/NODE.keepalived.log) and not to syslog, the given
// configuration and pid files.
//
// Without --no-syslog keepalived also calls syslog(3), and with
// --log-console it opens syslog with LOG_CONS: where no syslog daemon
// listens on /dev/log (the guest kernel's minimal system), glibc then
// writes every message to /dev/console — the user's terminal in make lab.
func Argv(f Files) []string {
	return []string{Binary(), "-n", "-l", "--no-syslog", "-D", "-f", f.Config,
		"-p", f.PID, "-r", f.VRRPPID, "-c", f.CheckersPID}
}

// WriteConfig renders node h's keepalived.conf from the lab (Render) and
// writes it to FilesOf(h).Config, returning the path.
func WriteConfig(lab *topo.Lab, h *topo.Host) (string, error) {
	conf, err := Render(lab.Spec, h.Name())
	if err != nil {
		return "", err
	}
	path := FilesOf(h).Config
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", fmt.Errorf("write keepalived.conf of %s: %w", h.Name(), err)
	}
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		return "", fmt.Errorf("write keepalived.conf of %s: %w", h.Name(), err)
	}
	return path, nil
}

// Start runs keepalived with the configuration at confPath inside the
// director h's namespace, as its supervised process "keepalived", and
// returns once keepalived has started its VRRP and checker processes (or
// the parent's pid file is there, for a file with neither). The
// configuration is copied to FilesOf(h).Config first unless it is that
// file. Equivalent to: `systemctl start keepalived`.
func Start(h *topo.Host, confPath string) error {
	f := FilesOf(h)
	if running, err := Running(h); err != nil {
		return err
	} else if running {
		return fmt.Errorf("start keepalived on %s: %w", h.Name(), daemon.ErrRunning)
	}
	conf, err := os.ReadFile(confPath)
	if err != nil {
		return fmt.Errorf("start keepalived on %s: %w", h.Name(), err)
	}
	if err := os.MkdirAll(filepath.Dir(f.Config), 0o755); err != nil {
		return fmt.Errorf("start keepalived on %s: %w", h.Name(), err)
	}
	if abs, _ := filepath.Abs(confPath); abs != f.Config {
		if err := os.WriteFile(f.Config, conf, 0o644); err != nil {
			return fmt.Errorf("start keepalived on %s: %w", h.Name(), err)
		}
	}
	// keepalived refuses to start while a pid file names a live process;
	// the supervisor says none of ours runs, so the files are stale.
	for _, p := range []string{f.PID, f.VRRPPID, f.CheckersPID} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("start keepalived on %s: %w", h.Name(), err)
		}
	}
	if _, err := exec.LookPath(Binary()); err != nil {
		return fmt.Errorf("start keepalived on %s: %w (Debian: apt-get install keepalived)", h.Name(), err)
	}
	if _, err := daemon.Start(h, ProcessName, Argv(f)); err != nil {
		return err
	}
	if err := daemon.WaitReady(h, ProcessName, readyTimeout, pidFiles(f, string(conf))); err != nil {
		_ = daemon.Stop(h, ProcessName, 0)
		return fmt.Errorf("start keepalived on %s: %w", h.Name(), err)
	}
	return nil
}

// StartNode writes node h's keepalived.conf (WriteConfig) and starts
// keepalived with it. With a rendered configuration it also waits for
// keepalived's checker to have programmed a virtual service for each of
// the lab's services that h directs, so that the director's IPVS table is
// complete when StartNode returns.
func StartNode(lab *topo.Lab, h *topo.Host) error {
	path, err := WriteConfig(lab, h)
	if err != nil {
		return err
	}
	if err := Start(h, path); err != nil {
		return err
	}
	if h.Spec.Keepalived != "" {
		return nil
	}
	want := 0
	for _, svc := range lab.Spec.Services {
		if slices.Contains(svc.Directors, h.Name()) {
			want++
		}
	}
	if want == 0 {
		return nil
	}
	d, err := director.Open(h)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := daemon.WaitReady(h, ProcessName, readyTimeout, services(d, want)); err != nil {
		return fmt.Errorf("start keepalived on %s: %w", h.Name(), err)
	}
	return nil
}

// services is WaitReady's condition for a director whose IPVS table
// should have at least want virtual services.
func services(d *director.Director, want int) func() (string, error) {
	return func() (string, error) {
		t, err := d.Snapshot()
		if err != nil || len(t.Services) >= want {
			return "", err
		}
		return fmt.Sprintf("%d of %d virtual services in the IPVS table", len(t.Services), want), nil
	}
}

// StartLab starts keepalived on every director of the lab that Manages
// names and where it does not run yet. Such a director needs nothing else
// from the lab builder: before the first start StartLab empties its IPVS
// table (`ipvsadm -C`), so that the table is keepalived's alone, and does
// what keepalived does not — the mark rule of each firewall-mark service
// (director.Mark) and each VIP no VRRP instance carries
// (director.PlaceVIP).
func StartLab(lab *topo.Lab) error {
	for _, h := range lab.Hosts() {
		if !Manages(lab.Spec, h.Name()) {
			continue
		}
		if running, err := Running(h); err != nil {
			return err
		} else if running {
			continue
		}
		if err := prepare(lab.Spec, h); err != nil {
			return err
		}
		if err := StartNode(lab, h); err != nil {
			return err
		}
	}
	return nil
}

// prepare readies a director for keepalived: an empty IPVS table, the
// mark rules and the VIPs that are not VRRP's.
func prepare(spec *topo.Spec, h *topo.Host) error {
	if err := director.Clear(h); err != nil {
		return fmt.Errorf("prepare %s for keepalived: %w", h.Name(), err)
	}
	for _, svc := range spec.Services {
		if !slices.Contains(svc.Directors, h.Name()) {
			continue
		}
		// keepalived adds the service with its lb_algo: the module must
		// be there first (see director.LoadScheduler).
		director.LoadScheduler(svc.Scheduler)
		if svc.FWMark != 0 {
			if err := director.Mark(h, svc); err != nil {
				return err
			}
		}
		if !spec.VRRPCarries(svc.VIP) {
			if err := director.PlaceVIP(h, svc); err != nil {
				return err
			}
		}
	}
	return nil
}

// StopLab stops keepalived gracefully on every director of the lab.
func StopLab(lab *topo.Lab) error {
	var errs []error
	for _, h := range lab.Hosts() {
		if Manages(lab.Spec, h.Name()) {
			errs = append(errs, Stop(h))
		}
	}
	return errors.Join(errs...)
}

// Stop ends node h's keepalived gracefully: SIGTERM (a priority-0 advert,
// VIPs dropped, virtual servers deleted), then SIGKILL of its group if it
// is still there after StopGrace. It returns once keepalived is gone.
// Stopping a keepalived that does not run is not an error. Equivalent
// to: `systemctl stop keepalived`.
func Stop(h *topo.Host) error { return daemon.Stop(h, ProcessName, StopGrace) }

// Kill crashes node h's keepalived: SIGKILL to its whole process group,
// so no advert is sent and its VIPs and IPVS rules stay behind.
// Equivalent to: `pkill -9 keepalived` on that node.
func Kill(h *topo.Host) error { return daemon.Stop(h, ProcessName, 0) }

// Restart stops node h's keepalived gracefully and starts it again with a
// freshly written configuration. Equivalent to: `systemctl restart
// keepalived`.
func Restart(lab *topo.Lab, h *topo.Host) error {
	if err := Stop(h); err != nil {
		return err
	}
	return StartNode(lab, h)
}

// Reload writes node h's configuration again (re-rendered from the lab,
// or copied again from the file the node names) and sends keepalived
// SIGHUP to re-read it. Equivalent to: `systemctl reload keepalived`.
func Reload(lab *topo.Lab, h *topo.Host) error {
	if _, err := WriteConfig(lab, h); err != nil {
		return err
	}
	return daemon.Signal(h, ProcessName, syscall.SIGHUP)
}

// Running tells whether node h's keepalived runs.
func Running(h *topo.Host) (bool, error) {
	_, running, err := daemon.Status(h, ProcessName)
	return running, err
}

// pidFiles is WaitReady's condition for keepalived started with conf:
// the pid files it writes once its parent, VRRP and checker processes are
// up (the last two only if conf has instances or virtual servers).
func pidFiles(f Files, conf string) func() (string, error) {
	want := []string{f.PID}
	if hasBlock(conf, "vrrp_instance") {
		want = append(want, f.VRRPPID)
	}
	if hasBlock(conf, "virtual_server") {
		want = append(want, f.CheckersPID)
	}
	return func() (string, error) {
		var missing []string
		for _, p := range want {
			if _, err := os.Stat(p); err != nil {
				missing = append(missing, filepath.Base(p))
			}
		}
		if len(missing) == 0 {
			return "", nil
		}
		return "no " + strings.Join(missing, ", "), nil
	}
}

// hasBlock tells whether a line of conf opens a block of that keyword
// (comments, after # or !, do not count).
func hasBlock(conf, keyword string) bool {
	for _, line := range strings.Split(conf, "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == keyword {
			return true
		}
	}
	return false
}
