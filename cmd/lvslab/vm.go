package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/lvslab/lvslab/vm"
)

func newVMCmd() *cobra.Command {
	var opts vm.Options
	var tty, auto bool
	cmd := &cobra.Command{
		Use:   "vm [flags] -- [CMD [ARG...]]",
		Short: "Run a command under a kernel with IPVS (qemu guest)",
		Long: `vm boots a small qemu guest with Debian's kernel, which has IPVS, ipip and
the rest as modules, and runs CMD in it: the host's files are the guest's
(read-only, with a throwaway writable layer), the current directory is shared
read-write at the same path, and CMD's output and exit status come back.
Its network, namespaces and IPVS tables are the guest's own; nothing touches
the host's. The guest's /tmp and /run are its own: share files through the
current directory.

Without CMD and with a terminal on stdin it starts /bin/bash in the guest
(Ctrl-A x quits qemu). Provision the guest once with ` + "`make deps`" + `.

The first guest of each size and accelerator boots and saves its state
beside the image (about 100 MB); later ones are restored from it, in
about a second instead of several.

Environment: LVSLAB_VM_ACCEL=kvm|tcg|auto overrides --accel; LVSLAB_CACHE
is where the guest image lives (default /var/cache/lvslab);
LVSLAB_VM_SNAPSHOT=0 boots every guest afresh.`,
		Example: `  lvslab vm -- cat /proc/net/ip_vs
  lvslab vm -- ipvsadm -Ln
  lvslab vm --accel tcg -- go test ./director/...
  lvslab vm                      # a shell in the guest
  lvslab vm --auto -- make test  # in the guest only if the host lacks IPVS`,
		RunE: func(cmd *cobra.Command, args []string) error {
			stdinTTY := isTerminal(os.Stdin)
			opts.Argv = args
			opts.Stdout, opts.Stderr = cmd.OutOrStdout(), cmd.ErrOrStderr()
			switch {
			case len(args) == 0 && !stdinTTY:
				return errors.New("vm: no command, and stdin is no terminal for a shell")
			case len(args) == 0 || tty:
				if !stdinTTY || !isTerminal(os.Stdout) {
					return errors.New("vm: --tty needs a terminal on stdin and stdout")
				}
				if len(args) == 0 {
					opts.Argv = []string{"/bin/bash", "-l"}
				}
				opts.Interactive = true
				opts.Stdin, opts.Stdout = os.Stdin, os.Stdout
			case !stdinTTY:
				opts.Stdin = os.Stdin
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
			defer stop()
			run := vm.Run
			if auto {
				need, err := vm.NeedsVM()
				if err != nil {
					return err
				}
				if !need {
					run = runNative
				}
			}
			code, err := run(ctx, opts)
			if err != nil && ctx.Err() != nil && cmd.Context().Err() == nil {
				return &exitError{130} // interrupted: qemu is stopped, say no more
			}
			if err != nil {
				return err
			}
			if code != 0 {
				return &exitError{code}
			}
			return nil
		},
	}
	cmd.SetContext(context.Background())
	f := cmd.Flags()
	f.SetInterspersed(false) // `lvslab vm ls -l` passes -l to ls
	f.StringVar(&opts.Accel, "accel", "auto", "qemu accelerator: kvm, tcg or auto (kvm if a test boot works)")
	f.IntVar(&opts.Memory, "memory", 1024, "guest memory in MiB")
	f.IntVar(&opts.CPUs, "cpus", 2, "guest vCPUs")
	f.StringArrayVarP(&opts.Env, "env", "e", nil, "set NAME=VALUE in the command's environment (repeatable)")
	f.StringVarP(&opts.Dir, "dir", "C", "", "work directory shared read-write (default: the current one)")
	f.BoolVar(&auto, "auto", false, "run CMD on the host instead when its kernel has IPVS")
	f.BoolVarP(&tty, "tty", "t", false, "attach CMD to the guest console as a terminal (default without CMD)")
	return cmd
}

func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// runNative runs opts.Argv on the host, for --auto where IPVS is native.
func runNative(ctx context.Context, opts vm.Options) (int, error) {
	c := exec.CommandContext(ctx, opts.Argv[0], opts.Argv[1:]...)
	c.Dir = opts.Dir
	c.Env = append(os.Environ(), opts.Env...)
	c.Stdin, c.Stdout, c.Stderr = opts.Stdin, opts.Stdout, opts.Stderr
	err := c.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() >= 0 {
		return exit.ExitCode(), nil
	}
	if err != nil {
		return -1, fmt.Errorf("run %s: %w", opts.Argv[0], err)
	}
	return 0, nil
}
