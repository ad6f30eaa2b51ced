package lint

import (
	"context"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/lvslab/lvslab/director/keepalived"
	"github.com/lvslab/lvslab/director/keepalived/conf"
	"github.com/lvslab/lvslab/internal/testutil"
)

// TestUnknownKeywordsAgree holds the parser's keyword tables to
// keepalived 2.2's grammar: over every fixture, a line keepalived
// --config-test calls an unknown keyword is one the parser reports as
// unknown or malformed, and a keyword the parser calls unknown is one
// keepalived calls unknown too. The first direction is left out for
// malformed files (errors): there the two recover differently — the
// parser reports an unknown block once and reads non-breaking spaces as
// spaces once reported, keepalived reports every line.
func TestUnknownKeywordsAgree(t *testing.T) {
	testutil.NeedTool(t, keepalived.Binary(), "its --config-test is the oracle of the parser's grammar (Debian: apt-get install keepalived)")
	testutil.NeedNetns(t)
	var files []string
	for _, p := range []string{"../conf/testdata/*/*.conf*", "testdata/rules/*/*.conf"} {
		m, _ := filepath.Glob(p)
		files = append(files, m...)
	}
	unknownRE := regexp.MustCompile(`Unknown keyword '([^']*)'`)
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			c, _ := conf.LoadFile(f, conf.Options{})
			fs, err := ConfigTest(ctx, f, Interfaces(c), "")
			if err != nil {
				t.Fatal(err)
			}
			theirs := map[int]string{}
			for _, x := range fs {
				if m := unknownRE.FindStringSubmatch(x.Msg); m != nil && x.Pos.File == f {
					theirs[x.Pos.Line] = m[1]
				}
			}
			ours := map[int]conf.Severity{}
			malformed := false
			for _, d := range c.Diagnostics {
				if d.Pos.File == f && d.Severity >= conf.Unknown {
					ours[d.Pos.Line] = d.Severity
				}
				malformed = malformed || d.Severity == conf.Error
			}
			for line, kw := range theirs {
				if malformed {
					break
				}
				if _, ok := ours[line]; !ok {
					t.Errorf("%s:%d: keepalived: unknown keyword %q; the parser does not report it", f, line, kw)
				}
			}
			for _, d := range c.Diagnostics {
				if d.Pos.File == f && d.Severity == conf.Unknown {
					if _, ok := theirs[d.Pos.Line]; !ok {
						t.Errorf("%s: the parser says %q; keepalived does not call line %s unknown", d.Pos, d.Msg, strconv.Itoa(d.Pos.Line))
					}
				}
			}
		})
	}
}
