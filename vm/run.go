package vm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Options says what to run in the guest and how to size it.
type Options struct {
	// Argv is the command and its arguments, looked up in the guest's PATH
	// (the host's usual PATH plus /usr/local/go/bin). Required.
	Argv []string
	// Dir is the working directory, shared read-write at the same path.
	// Default: the current directory.
	Dir string
	// Env holds extra NAME=VALUE entries on top of PATH, HOME=/root, TERM
	// (the host's), LVSLAB_IN_VM=1 and the host's CI when set.
	Env []string
	// Stdin feeds the command's standard input; nil means /dev/null.
	Stdin io.Reader
	// Stdout and Stderr receive the command's output as it is written; nil
	// discards it.
	Stdout, Stderr io.Writer
	// Interactive attaches the command to the serial console instead of
	// pipes: Stdin and Stdout must then be the *os.File of a terminal, which
	// qemu puts in raw mode (Ctrl-A x quits qemu). Use it for a shell.
	Interactive bool
	// Accel is "kvm", "tcg" or "" / "auto"; LVSLAB_VM_ACCEL overrides it.
	Accel string
	// Memory is the guest's RAM in MiB (default 1024); CPUs its vCPUs
	// (default 2).
	Memory, CPUs int
	// CacheDir holds the provisioned image (default [DefaultCacheDir]).
	CacheDir string
	// NoSnapshot boots the guest afresh: no snapshot is restored or saved
	// (see the package doc; LVSLAB_VM_SNAPSHOT=0 does the same).
	NoSnapshot bool
}

// DebugEnv, set to 1, shows the guest's kernel and init messages on
// [Options.Stderr] (and the shell's terminal) with timestamps.
const DebugEnv = "LVSLAB_VM_DEBUG"

// Run boots the guest, runs opts.Argv in it and returns its exit status.
// The error is non-nil only when the command could not be run or its status
// not learned (no image, qemu failed, ctx done); then the status is -1.
// qemu never outlives Run: it is stopped when ctx is done, and killed if the
// calling process dies.
func Run(ctx context.Context, opts Options) (int, error) {
	if len(opts.Argv) == 0 {
		return -1, errors.New("run in guest: no command")
	}
	img, err := FindImage(opts.CacheDir)
	if err != nil {
		return -1, err
	}
	accel, err := chooseAccel(ctx, img, opts)
	if err != nil {
		return -1, err
	}
	return boot(ctx, img, accel, opts)
}

// BootTime measures one Run of `true`: boot (or restore), mount, run,
// power off. With opts.NoSnapshot it measures a boot from scratch.
func BootTime(ctx context.Context, opts Options) (time.Duration, error) {
	opts.Argv = []string{"true"}
	opts.Stdin, opts.Stdout, opts.Stderr, opts.Interactive = nil, nil, nil, false
	start := time.Now()
	code, err := Run(ctx, opts)
	d := time.Since(start)
	if err != nil {
		return d, err
	}
	if code != 0 {
		return d, fmt.Errorf("run true in guest: exit status %d", code)
	}
	return d, nil
}

func (o *Options) defaults() error {
	if o.Memory <= 0 {
		o.Memory = 1024
	}
	if o.CPUs <= 0 {
		o.CPUs = 2
	}
	if o.Dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return fmt.Errorf("get working directory: %w", err)
		}
		o.Dir = wd
	}
	dir, err := filepath.Abs(o.Dir)
	if err == nil {
		dir, err = filepath.EvalSymlinks(dir)
	}
	if err != nil {
		return fmt.Errorf("resolve work directory: %w", err)
	}
	o.Dir = dir
	return nil
}

// errNotRestored means a snapshot did not bring a guest to its command:
// qemu could not load it, or the guest never answered.
var errNotRestored = errors.New("guest not restored from its snapshot")

// boot runs one guest with the given accelerator: restored from the
// snapshot of its configuration if there is one, else booted, saving that
// snapshot on the way. A snapshot that fails to restore is deleted and the
// guest booted instead.
func boot(ctx context.Context, img Image, accel string, opts Options) (int, error) {
	if err := opts.defaults(); err != nil {
		return -1, err
	}
	qemu, err := exec.LookPath("qemu-system-x86_64")
	if err != nil {
		return -1, fmt.Errorf("find qemu: %w (run `make deps`)", err)
	}
	env, err := guestEnv(os.Getenv("TERM"), append(hostEnv(), opts.Env...))
	if err != nil {
		return -1, err
	}
	cfg := newQemuConfig(img, accel, opts)
	var saver *snapshotSaver
	if snapshotsEnabled(opts) {
		if key, err := snapshotKey(qemu, cfg); err == nil {
			if snap := findSnapshot(img, key); snap != "" {
				code, err := runGuest(ctx, qemu, cfg, opts, env, snap, nil)
				if !errors.Is(err, errNotRestored) {
					return code, err
				}
				_ = os.Remove(snap) // another qemu's, or damaged
			}
			saver = claimSnapshot(img, key)
		}
	}
	defer saver.release()
	return runGuest(ctx, qemu, cfg, opts, env, "", saver)
}

// newQemuConfig is the configuration of a guest for opts, less the
// per-run paths.
func newQemuConfig(img Image, accel string, opts Options) qemuConfig {
	return qemuConfig{
		Image: img, Accel: accel, Memory: opts.Memory, CPUs: opts.CPUs,
		Dir: opts.Dir, Interactive: opts.Interactive,
		Debug: os.Getenv(DebugEnv) == "1",
	}
}

// runGuest runs qemu once: restoring the snapshot file snap, or booting
// and saving a snapshot with saver (if not nil) while the guest waits.
func runGuest(ctx context.Context, qemu string, cfg qemuConfig, opts Options, env [][2]string, snap string, saver *snapshotSaver) (int, error) {
	ctl, err := newCtlDir()
	if err != nil {
		return -1, fmt.Errorf("create control directory: %w", err)
	}
	defer os.RemoveAll(ctl)
	cfg.Ctl = ctl
	cfg.QMP = filepath.Join(ctl, "qmp.sock")
	cfg.Restore = snap != ""

	var rows, cols int
	if opts.Interactive {
		rows, cols = termSize(opts.Stdin)
	}
	if err := os.WriteFile(filepath.Join(ctl, "run.sh"), []byte(runScript(opts.Argv, opts.Dir, env, rows, cols)), 0o644); err != nil {
		return -1, fmt.Errorf("write run script: %w", err)
	}
	// In debug mode the console's messages join the command's stderr:
	// one lock for both writers.
	stderr := io.Writer(&syncWriter{w: orDiscard(opts.Stderr)})
	var streams []*stream
	if !opts.Interactive {
		if opts.Stdin != nil {
			streams = append(streams, &stream{name: portStdin, in: opts.Stdin})
		}
		streams = append(streams,
			&stream{name: portStdout, out: orDiscard(opts.Stdout)},
			&stream{name: portStderr, out: stderr})
	}
	gc := guestConfig{Dir: opts.Dir, Interactive: opts.Interactive, Stdin: !opts.Interactive && opts.Stdin != nil, Modules: cfg.Image.Modules}
	if err := os.WriteFile(filepath.Join(ctl, "config.sh"), []byte(configScript(gc)), 0o644); err != nil {
		return -1, fmt.Errorf("write guest config: %w", err)
	}
	port := &ctlPort{}
	if err := port.listen(ctl); err != nil {
		return -1, err
	}
	defer port.close()
	cfg.Sockets = map[string]string{portCtl: port.path}
	for _, s := range streams {
		if err := s.listen(ctl); err != nil {
			closeStreams(streams)
			return -1, err
		}
		cfg.Sockets[s.name] = s.path
	}
	defer closeStreams(streams)

	console := &tailBuffer{max: 16 << 10}
	cmd := exec.CommandContext(ctx, qemu, cfg.args()...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 3 * time.Second // then SIGKILL
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	debug := io.Discard
	if opts.Interactive {
		cmd.Stdin, cmd.Stdout, cmd.Stderr = opts.Stdin, opts.Stdout, opts.Stderr
		if cfg.Debug {
			debug = orDiscard(opts.Stderr)
		}
	} else {
		// The console carries only kernel and init noise; keep its tail
		// to explain a failed boot. Own process group: a terminal's ^C
		// reaches us, and we stop qemu through ctx.
		cmd.Stdout, cmd.Stderr = console, console
		if cfg.Debug {
			debug = stderr
			cmd.Stdout = io.MultiWriter(console, debug)
		}
		cmd.SysProcAttr.Setpgid = true
	}
	if cfg.Restore {
		f, err := os.Open(snap)
		if err != nil {
			return -1, fmt.Errorf("open guest snapshot: %w: %w", err, errNotRestored)
		}
		defer f.Close()
		cmd.ExtraFiles = []*os.File{f} // fd 3 = restoreFD
	}

	// Pdeathsig fires when the thread that started qemu exits, so hold it.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return -1, fmt.Errorf("start qemu: %w", err)
	}
	started, exited := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	for _, s := range streams {
		if s.out != nil {
			wg.Add(1)
		}
		go s.serve(&wg, started, exited)
	}
	handshake := make(chan error, 1)
	go func() {
		err := port.handshake(cfg.Restore, func() error {
			if saver == nil {
				return nil
			}
			t := time.Now()
			saveErr, resumeErr := saver.save(ctx, cfg.QMP)
			if saveErr != nil {
				fmt.Fprintf(debug, "lvslab: guest snapshot not saved: %v\n", saveErr)
			} else {
				fmt.Fprintf(debug, "lvslab: guest snapshot saved in %v: %s\n", time.Since(t).Round(time.Millisecond), saver.path)
			}
			return resumeErr
		})
		if err != nil {
			// The guest waits for its "go" for ever.
			_ = cmd.Process.Kill()
		} else {
			how := "booted"
			if cfg.Restore {
				how = "restored"
			}
			fmt.Fprintf(debug, "lvslab: guest %s in %v\n", how, time.Since(start).Round(time.Millisecond))
			if cfg.Restore {
				markUsed(snap)
			}
			close(started)
		}
		handshake <- err
	}()
	if cfg.Restore {
		go func() {
			t := time.NewTimer(restoreDeadline)
			defer t.Stop()
			select {
			case <-started:
			case <-exited:
			case <-t.C:
				_ = cmd.Process.Kill()
			}
		}()
	}
	waitErr := cmd.Wait()
	close(exited)
	port.close()
	closeStreams(streams) // unblocks an Accept qemu never answered
	wg.Wait()
	hsErr := <-handshake

	if b, err := os.ReadFile(filepath.Join(ctl, "status")); err == nil {
		code, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil {
			return -1, fmt.Errorf("parse guest exit status %q: %w", b, err)
		}
		return code, nil
	}
	if err := ctx.Err(); err != nil {
		return -1, fmt.Errorf("run in guest: %w", err)
	}
	if cfg.Restore && hsErr != nil {
		return -1, fmt.Errorf("%w: %w", errNotRestored, hsErr)
	}
	if b, err := os.ReadFile(filepath.Join(ctl, "error")); err == nil {
		return -1, fmt.Errorf("boot guest: %s", strings.TrimSpace(string(b)))
	}
	msg := "boot guest: no exit status"
	if hsErr != nil {
		msg += " (" + hsErr.Error() + ")"
	}
	if waitErr != nil {
		msg += " (qemu: " + waitErr.Error() + ")"
	}
	if t := strings.TrimSpace(console.String()); t != "" {
		msg += "; console:\n" + t
	}
	return -1, errors.New(msg)
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// termSize returns the size of the terminal r is, or zeros.
func termSize(r io.Reader) (rows, cols int) {
	f, ok := r.(*os.File)
	if !ok {
		return 0, 0
	}
	ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ)
	if err != nil {
		return 0, 0
	}
	return int(ws.Row), int(ws.Col)
}
