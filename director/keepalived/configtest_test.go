package keepalived

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/lvslab/lvslab/internal/testutil"
)

// TestConfigTest feeds every golden file (and the verbatim fixture) to
// keepalived --config-test, in a throwaway network namespace holding the
// director's interfaces, so that keepalived's interface checks see the
// node's, not this host's. keepalived must accept each file silently:
// any diagnostic (an unknown keyword, a value it corrects) fails.
func TestConfigTest(t *testing.T) {
	testutil.NeedTool(t, Binary(), "the configuration test runs it (Debian: apt-get install keepalived)")
	testutil.NeedTool(t, "unshare", "it gives keepalived a scratch namespace (util-linux)")
	testutil.NeedNetns(t)
	files := directors(t)
	files = append(files, rendered{lab: "verbatim", node: "lvs (own file)", ifaces: []string{"eth0"}, golden: "testdata/labs/verbatim.conf"})
	for _, r := range files {
		t.Run(r.lab+"/"+r.node, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			diag, err := RunConfigTest(ScratchCommand(ctx, r.ifaces, ConfigTestArgv(r.golden)), r.golden)
			if err != nil {
				t.Fatal(err)
			}
			if diag != "" {
				t.Errorf("keepalived --config-test -f %s printed diagnostics:\n%s", r.golden, diag)
			}
		})
	}
}

func TestConfigTestRejects(t *testing.T) {
	testutil.NeedTool(t, Binary(), "the configuration test runs it (Debian: apt-get install keepalived)")
	t.Run("missing file", func(t *testing.T) {
		_, err := RunConfigTest(exec.Command(Binary(), ConfigTestArgv("testdata/nosuch.conf")[1:]...), "testdata/nosuch.conf")
		if err == nil {
			t.Error("RunConfigTest accepted a missing file")
		}
	})
	t.Run("unknown interface", func(t *testing.T) {
		testutil.NeedNetns(t)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		// The namespace has no eth0, which the fixture names.
		path := "testdata/labs/verbatim.conf"
		_, err := RunConfigTest(ScratchCommand(ctx, nil, ConfigTestArgv(path)), path)
		if err == nil || !strings.Contains(err.Error(), "eth0") {
			t.Errorf("RunConfigTest error = %v, want a rejection naming eth0", err)
		}
	})
}
