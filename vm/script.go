package vm

import (
	"fmt"
	"os"
	"regexp"
	"strings"
)

// guestPath is PATH inside the guest: the usual one plus Go's.
const guestPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/local/go/bin"

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// shellQuote quotes s for any POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// passThrough names the host's variables the guest's command gets as they
// are, when set: CI, so that a test in the guest fails in CI where it
// would only skip locally (internal/testutil.Gate).
var passThrough = []string{"CI"}

// hostEnv is the NAME=VALUE entries of passThrough set on the host.
func hostEnv() []string {
	var out []string
	for _, k := range passThrough {
		if v, ok := os.LookupEnv(k); ok {
			out = append(out, k+"="+v)
		}
	}
	return out
}

// guestEnv is the command's environment: a fixed base (PATH, HOME, TERM,
// LVSLAB_IN_VM=1), then extra KEY=VALUE entries, later ones winning.
func guestEnv(term string, extra []string) ([][2]string, error) {
	if term == "" {
		term = "dumb"
	}
	env := [][2]string{
		{"PATH", guestPath},
		{"HOME", "/root"},
		{"TERM", term},
		{"LANG", "C.UTF-8"},
		{InVMEnv, "1"},
	}
	for _, kv := range extra {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || !envName.MatchString(k) {
			return nil, fmt.Errorf("parse environment entry %q: want NAME=VALUE", kv)
		}
		replaced := false
		for i := range env {
			if env[i][0] == k {
				env[i][1], replaced = v, true
			}
		}
		if !replaced {
			env = append(env, [2]string{k, v})
		}
	}
	return env, nil
}

// runScript renders the script the guest runs (with the host's /bin/sh,
// chrooted into the guest's root): set the environment, enter dir, size
// the terminal if any, and exec argv.
func runScript(argv []string, dir string, env [][2]string, rows, cols int) string {
	var b strings.Builder
	b.WriteString("# written by lvslab vm; run by the guest's /init\n")
	for _, kv := range env {
		fmt.Fprintf(&b, "export %s=%s\n", kv[0], shellQuote(kv[1]))
	}
	fmt.Fprintf(&b, "cd %s || exit 127\n", shellQuote(dir))
	if rows > 0 && cols > 0 {
		fmt.Fprintf(&b, "stty rows %d cols %d 2>/dev/null\n", rows, cols)
	}
	b.WriteString("exec")
	for _, a := range argv {
		b.WriteString(" ")
		b.WriteString(shellQuote(a))
	}
	b.WriteString("\n")
	return b.String()
}

// guestConfig is what the guest's /init learns per run (config.sh), after
// the wait a snapshot is taken at.
type guestConfig struct {
	Dir         string // work dir, mounted at the same path
	Interactive bool   // the command gets the console, not the ports
	Stdin       bool   // the stdin port carries the command's input
	Modules     string // host path of the guest's /lib/modules/<version>
}

// configScript renders the settings the guest's /init sources.
func configScript(c guestConfig) string {
	mode, stdin := "pipe", 0
	if c.Interactive {
		mode = "tty"
	}
	if c.Stdin {
		stdin = 1
	}
	return fmt.Sprintf("LVSLAB_WORKDIR=%s\nLVSLAB_MODE=%s\nLVSLAB_STDIN=%d\nLVSLAB_MODULES=%s\n",
		shellQuote(c.Dir), mode, stdin, shellQuote(c.Modules))
}
