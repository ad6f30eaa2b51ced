package lint

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lvslab/lvslab/director/keepalived"
	"github.com/lvslab/lvslab/director/keepalived/conf"
	"github.com/lvslab/lvslab/internal/testutil"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

func load(t *testing.T, paths []string) []*conf.Config {
	t.Helper()
	var cfgs []*conf.Config
	for _, p := range paths {
		c, _ := conf.LoadFile(p, conf.Options{})
		if c == nil {
			t.Fatalf("load %s", p)
		}
		cfgs = append(cfgs, c)
	}
	return cfgs
}

func glob(t *testing.T, pattern string) []string {
	t.Helper()
	m, err := filepath.Glob(pattern)
	if err != nil || len(m) == 0 {
		t.Fatalf("no files match %s (%v)", pattern, err)
	}
	return m
}

func render(fs []Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(f.String() + "\n")
	}
	return b.String()
}

// TestRules: each rule's fixture (testdata/rules/RULE/bad*.conf) gives
// that rule's finding, and its negative control (fixed*.conf, the same
// files with the fix applied) gives no problem at all. The bad files'
// findings are kept as goldens.
func TestRules(t *testing.T) {
	dirs := glob(t, "testdata/rules/*")
	if len(dirs) < 15 {
		t.Fatalf("only %d rule fixtures", len(dirs))
	}
	for _, dir := range dirs {
		name := filepath.Base(dir)
		rule := name
		if strings.HasPrefix(name, "pair-mismatch") {
			rule = "pair-mismatch"
		}
		t.Run(name, func(t *testing.T) {
			bad := Check(load(t, glob(t, filepath.Join(dir, "bad*.conf"))))
			found := false
			for _, f := range bad {
				found = found || f.Rule == rule
			}
			if !found {
				t.Errorf("no %s finding in %s/bad*.conf; got:\n%s", rule, dir, render(bad))
			}
			checkGolden(t, filepath.Join("testdata", "golden", "rules", name+".golden"), render(bad))
			fixed := Check(load(t, glob(t, filepath.Join(dir, "fixed*.conf"))))
			for _, f := range fixed {
				if f.Level == Problem || f.Rule == rule {
					t.Errorf("negative control %s/fixed*.conf: %s", dir, f)
				}
			}
		})
	}
}

// TestSamples lints Debian's sample configurations and the seeds'
// (each file alone; the seeds' pairs together) against goldens.
func TestSamples(t *testing.T) {
	sets := map[string][]string{
		"seed000-pair":          {"../conf/testdata/seeds/000-lvs151.conf", "../conf/testdata/seeds/000-lvs152.conf"},
		"seed004-pair":          {"../conf/testdata/seeds/004-lvs01.conf", "../conf/testdata/seeds/004-lvs02.conf"},
		"seed004-verbatim-pair": {"../conf/testdata/seeds/004-lvs01.verbatim.conf", "../conf/testdata/seeds/004-lvs02.verbatim.conf"},
	}
	for _, f := range glob(t, "../conf/testdata/debian/keepalived.conf.*") {
		sets["debian/"+filepath.Base(f)] = []string{f}
	}
	if len(sets) != 25+3 {
		t.Fatalf("%d sets, want Debian's 25 samples and 3 seed pairs", len(sets))
	}
	for name, files := range sets {
		t.Run(name, func(t *testing.T) {
			checkGolden(t, filepath.Join("testdata", "golden", name+".golden"), render(Check(load(t, files))))
		})
	}
}

func checkGolden(t *testing.T, golden, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("findings differ from %s (-want +got):\n%s", golden, diff)
	}
}

// TestConfigTest runs keepalived --config-test through ConfigTest: the
// clean fixture gives nothing (its interface eth0 is made in the scratch
// namespace), the seed's nb_get_retry is reported at its line, and
// keepalived confirms several rules in its own words.
func TestConfigTest(t *testing.T) {
	testutil.NeedTool(t, keepalived.Binary(), "lint runs its --config-test (Debian: apt-get install keepalived)")
	testutil.NeedNetns(t)
	tests := []struct {
		name, path, id, want string
	}{
		{"clean", "testdata/rules/weight-zero/fixed.conf", "", ""},
		{"config id", "../conf/testdata/syntax/conditional.conf", "lvs01", ""},
		{"no config id", "../conf/testdata/syntax/conditional.conf", "no-such-id", "invalid number '$PRIO'"},
		{"nb_get_retry", "../conf/testdata/seeds/000-lvs151.conf", "", "000-lvs151.conf:34: [keepalived] keepalived --config-test: Unknown keyword 'nb_get_retry'"},
		{"auth_pass", "testdata/rules/auth-pass-long/bad.conf", "", "bad.conf:13: [keepalived] keepalived --config-test: Truncating auth_pass to 8 characters"},
		{"nopreempt", "testdata/rules/nopreempt-master/bad.conf", "", "nopreempt will not work with initial state MASTER"},
		{"vrid", "testdata/rules/vrid-shared/bad.conf", "", "VI_1 and VI_2 both use VRID 52"},
		{"strict", "testdata/rules/vrrp-strict/bad.conf", "", "Strict mode does not support authentication"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			c := load(t, []string{tt.path})[0]
			fs, err := ConfigTest(ctx, tt.path, Interfaces(c), tt.id)
			if err != nil {
				t.Fatal(err)
			}
			got := render(fs)
			switch {
			case tt.want == "" && got != "":
				t.Errorf("ConfigTest(%s) = %s, want nothing", tt.path, got)
			case !strings.Contains(got, tt.want):
				t.Errorf("ConfigTest(%s) = %s, want %q in it", tt.path, got, tt.want)
			}
		})
	}
}

func TestConfigTestFindings(t *testing.T) {
	diag := "(Line 4) Unknown keyword 'x'\n(a.conf: Line 4) Unknown keyword 'x'\n(inc.conf: Line 2) bad\nNon-existent interface specified in configuration\n"
	got := render(configTestFindings("dir/a.conf", diag))
	want := "dir/a.conf:4: [keepalived] keepalived --config-test: Unknown keyword 'x'\n" +
		"inc.conf:2: [keepalived] keepalived --config-test: bad\n" +
		"dir/a.conf: [keepalived] keepalived --config-test: Non-existent interface specified in configuration\n"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("configTestFindings (-want +got):\n%s", diff)
	}
}
