package leakcheck_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lvslab/lvslab/internal/testutil"
)

// guestCheck runs scripts/leakcheck.sh MODE with the test's own state
// file, namespace prefix and process pattern, and returns its output and
// exit status.
func guestCheck(t *testing.T, mode string, env []string) (string, int) {
	t.Helper()
	cmd := exec.Command("bash", "scripts/leakcheck.sh", mode)
	cmd.Dir = "../.."
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
		return string(out), ee.ExitCode()
	}
	if err != nil {
		t.Fatalf("run leakcheck.sh %s: %v", mode, err)
	}
	return string(out), 0
}

// TestGuestLeakCheckCanFail is the negative control of the leak check the
// scenarios run in the guest (scripts/scenarios.sh: leakcheck.sh
// guest-before, guest-after): a namespace and a lab process left behind
// on purpose must fail it, naming them; once they are gone it passes.
func TestGuestLeakCheckCanFail(t *testing.T) {
	testutil.NeedNetns(t)
	testutil.NeedTool(t, "ip", "the leak check lists namespaces with it (iproute2)")
	tag := fmt.Sprintf("lctest%d-", os.Getpid())
	env := []string{
		"LEAKCHECK_FILE=" + filepath.Join(t.TempDir(), "before"),
		"LEAKCHECK_PREFIX=" + tag,
		"LEAKCHECK_PROCS=" + tag + "sleeper",
	}
	if out, rc := guestCheck(t, "guest-before", env); rc != 0 {
		t.Fatalf("guest-before exit %d:\n%s", rc, out)
	}
	if out, rc := guestCheck(t, "guest-after", env); rc != 0 {
		t.Fatalf("guest-after with nothing leaked: exit %d:\n%s", rc, out)
	}

	ns := tag + "leak"
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add %s: %v: %s", ns, err, out)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns).Run() })
	sleeper := exec.Command("bash", "-c", "exec -a "+tag+"sleeper sleep 60")
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sleeper.Process.Kill(); _ = sleeper.Wait() })
	time.Sleep(100 * time.Millisecond) // the exec -a

	out, rc := guestCheck(t, "guest-after", env)
	if rc == 0 {
		t.Fatalf("guest-after passed with namespace %s and a process leaked:\n%s", ns, out)
	}
	for _, want := range []string{"+" + ns, tag + "sleeper"} {
		if !strings.Contains(out, want) {
			t.Errorf("guest-after output does not name %q:\n%s", want, out)
		}
	}

	_ = sleeper.Process.Kill()
	_ = sleeper.Wait()
	if out, err := exec.Command("ip", "netns", "del", ns).CombinedOutput(); err != nil {
		t.Fatalf("ip netns del %s: %v: %s", ns, err, out)
	}
	if out, rc := guestCheck(t, "guest-after", env); rc != 0 {
		t.Errorf("guest-after once the leak is gone: exit %d:\n%s", rc, out)
	}
}
