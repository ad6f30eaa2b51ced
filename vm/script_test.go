package vm

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestShellQuote(t *testing.T) {
	for _, s := range []string{"", "plain", "it's", "a b", `$HOME "x" \n`, "new\nline", "'''"} {
		t.Run(s, func(t *testing.T) {
			out, err := exec.Command("sh", "-c", "printf %s "+shellQuote(s)).Output()
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != s {
				t.Errorf("sh printed %q, want %q", out, s)
			}
		})
	}
}

func TestGuestEnv(t *testing.T) {
	tests := []struct {
		name    string
		term    string
		extra   []string
		want    [][2]string
		wantErr bool
	}{
		{name: "base", term: "xterm", want: [][2]string{
			{"PATH", guestPath}, {"HOME", "/root"}, {"TERM", "xterm"}, {"LANG", "C.UTF-8"}, {InVMEnv, "1"},
		}},
		{name: "no term", extra: []string{"A=b=c"}, want: [][2]string{
			{"PATH", guestPath}, {"HOME", "/root"}, {"TERM", "dumb"}, {"LANG", "C.UTF-8"}, {InVMEnv, "1"}, {"A", "b=c"},
		}},
		{name: "override", term: "t", extra: []string{"HOME=/tmp", "HOME=/x"}, want: [][2]string{
			{"PATH", guestPath}, {"HOME", "/x"}, {"TERM", "t"}, {"LANG", "C.UTF-8"}, {InVMEnv, "1"},
		}},
		{name: "no equals", extra: []string{"FOO"}, wantErr: true},
		{name: "bad name", extra: []string{"A-B=1"}, wantErr: true},
		{name: "injection", extra: []string{"A;rm=1"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := guestEnv(tt.term, tt.extra)
			if (err != nil) != tt.wantErr {
				t.Fatalf("guestEnv error = %v, want error %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" && !tt.wantErr {
				t.Errorf("guestEnv (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRunScript runs the rendered script with the host's sh, with exec
// replaced by printing the argv, and checks cwd, env and argv survive.
func TestRunScript(t *testing.T) {
	dir := t.TempDir()
	argv := []string{"printf", "%s|", "a b", "it's", "$HOME", "`id`"}
	env := [][2]string{{"PATH", "/usr/bin:/bin"}, {"X", "y 'z'"}}
	script := runScript(argv, dir, env, 0, 0)
	out, err := exec.Command("sh", "-c", script+"\n", "lvslab").Output()
	if err != nil {
		t.Fatalf("sh: %v\n%s", err, script)
	}
	if want := "a b|it's|$HOME|`id`|"; string(out) != want {
		t.Errorf("output %q, want %q", out, want)
	}
	out, err = exec.Command("sh", "-c", runScript([]string{"sh", "-c", `printf "%s %s" "$PWD" "$X"`}, dir, env, 0, 0)).Output()
	if err != nil {
		t.Fatal(err)
	}
	if want := dir + " y 'z'"; string(out) != want {
		t.Errorf("pwd and env: got %q, want %q", out, want)
	}
	if s := runScript([]string{"bash"}, "/", nil, 40, 100); !strings.Contains(s, "stty rows 40 cols 100") {
		t.Errorf("terminal size not set:\n%s", s)
	}
}

func TestConfigScript(t *testing.T) {
	tests := []struct {
		name string
		cfg  guestConfig
		want string
	}{
		{name: "shell", cfg: guestConfig{Dir: "/w d/it's", Interactive: true, Modules: "/c/m"}, want: "/w d/it's|tty|0|/c/m"},
		{name: "pipe with stdin", cfg: guestConfig{Dir: "/w", Stdin: true, Modules: "/c $x/m"}, want: "/w|pipe|1|/c $x/m"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := exec.Command("sh", "-c", configScript(tt.cfg)+
				`printf "%s|%s|%s|%s" "$LVSLAB_WORKDIR" "$LVSLAB_MODE" "$LVSLAB_STDIN" "$LVSLAB_MODULES"`).Output()
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != tt.want {
				t.Errorf("got %q, want %q", out, tt.want)
			}
		})
	}
}

// TestCIPassesThrough: CI=true on the host reaches the guest's command,
// so that a missing tool fails there as it would natively; Options.Env
// still wins.
func TestCIPassesThrough(t *testing.T) {
	t.Setenv("CI", "true")
	env, err := guestEnv("t", append(hostEnv(), "A=1"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(env, [2]string{"CI", "true"}) {
		t.Errorf("guest environment %v has no CI=true", env)
	}
	env, err = guestEnv("t", append(hostEnv(), "CI=false"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(env, [2]string{"CI", "false"}) || slices.Contains(env, [2]string{"CI", "true"}) {
		t.Errorf("Options.Env's CI=false must win: %v", env)
	}
	if err := os.Unsetenv("CI"); err != nil {
		t.Fatal(err)
	}
	if got := hostEnv(); len(got) != 0 {
		t.Errorf("hostEnv() = %v with CI unset", got)
	}
}
