package conf

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// describe is a Config as its golden file records it: the facts, then
// every diagnostic, then the error.
func describe(c *Config, err error) string {
	var b strings.Builder
	b.WriteString("# files: " + strings.Join(c.Files, " ") + "\n")
	for _, f := range c.Facts() {
		b.WriteString(f + "\n")
	}
	b.WriteString("# diagnostics\n")
	for _, d := range c.Diagnostics {
		b.WriteString(d.String() + "\n")
	}
	if err != nil {
		b.WriteString("# error\n" + err.Error() + "\n")
	}
	return b.String()
}

// TestGolden loads every fixture — Debian's 25 samples, the seeds'
// configurations, the syntax cases — and compares what it reads with
// testdata/golden/DIR/NAME.golden (go test -update rewrites them).
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*/*.conf*")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 25+6 {
		t.Fatalf("only %d fixtures", len(files))
	}
	for _, f := range files {
		dir, name := filepath.Base(filepath.Dir(f)), filepath.Base(f)
		t.Run(dir+"/"+name, func(t *testing.T) {
			c, err := LoadFile(f, Options{})
			if c == nil {
				t.Fatal(err)
			}
			got := describe(c, err)
			golden := filepath.Join("testdata", "golden", dir, name+".golden")
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
				t.Errorf("LoadFile(%s) differs from %s (-want +got):\n%s", f, golden, diff)
			}
		})
	}
}

// TestMalformed checks that each kind of malformed input is an error
// with its FILE:LINE, all reported at once.
func TestMalformed(t *testing.T) {
	_, err := LoadFile("testdata/syntax/malformed.conf", Options{})
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("LoadFile error = %v, want Errors", err)
	}
	f := "testdata/syntax/malformed.conf"
	want := []string{
		f + `:4: unknown keyword "vrrp_instances" at top level`,
		f + `:8: state: "PRIMARY" is neither MASTER nor BACKUP`,
		f + `:9: virtual_router_id: "300" is not a whole number from 1 to 255`,
		f + `:11: virtual_ipaddress: "192.168.0.300" is not an IP address`,
		f + `:15: virtual_server: "http" is not a port number`,
		f + `:22: } closes no block`,
		f + `:23: block "virtual_server 10.0.0.2 80" opened here is never closed (unbalanced brace)`,
	}
	got := strings.Split(errs.Error(), "\n")
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || g == w
		}
		if !found {
			t.Errorf("missing error %q; got:\n%s", w, errs.Error())
		}
	}
}

func TestConditional(t *testing.T) {
	tests := []struct {
		id, state string
		prio      int
	}{
		{"lvs01", "MASTER", 150},
		{"lvs02", "BACKUP", 100},
		{"", "BACKUP", DefaultPriority},
	}
	for _, tt := range tests {
		t.Run("id="+tt.id, func(t *testing.T) {
			c, err := LoadFile("testdata/syntax/conditional.conf", Options{ConfigID: tt.id})
			if tt.id != "" && err != nil {
				t.Fatal(err)
			}
			if len(c.Instances) != 1 {
				t.Fatalf("%d instances", len(c.Instances))
			}
			in := c.Instances[0]
			if in.State != tt.state || in.Priority != tt.prio {
				t.Errorf("state %s priority %d, want %s %d", in.State, in.Priority, tt.state, tt.prio)
			}
		})
	}
}

func TestAt(t *testing.T) {
	c, err := LoadFile("testdata/syntax/forms.conf", Options{})
	if err != nil {
		t.Fatal(err)
	}
	in := c.Instances[0]
	if got := in.At("advert_int").String(); got != "testdata/syntax/forms.conf:29" {
		t.Errorf("At(advert_int) = %s", got)
	}
	if got := in.At("nopreempt"); got != in.Node.Pos {
		t.Errorf("At(absent keyword) = %s, want the block's line %s", got, in.Node.Pos)
	}
}

func TestTokenize(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{`real_server 1.2.3.4 80{`, []string{"real_server", "1.2.3.4", "80", "{"}},
		{`misc_path "/bin/x {a}" }`, []string{"misc_path", "/bin/x {a}", "}"}},
		{"a\tb  c", []string{"a", "b", "c"}},
		{`}{`, []string{"}", "{"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			toks, _ := tokenize(tt.in)
			var got []string
			for _, tk := range toks {
				got = append(got, tk.s)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("tokenize (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecomment(t *testing.T) {
	tests := map[string]string{
		"weight 1 # heavy":     "weight 1 ",
		"! all":                "",
		`script "a#b" ! x`:     `script "a#b" `,
		"auth_pass pass#word1": "auth_pass pass",
	}
	for in, want := range tests {
		t.Run(in, func(t *testing.T) {
			if got := decomment(in); got != want {
				t.Errorf("decomment(%q) = %q, want %q", in, got, want)
			}
		})
	}
}
