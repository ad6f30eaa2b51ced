package lint

import (
	"context"
	"fmt"

	"github.com/lvslab/lvslab/director/keepalived/conf"
)

// Options are how Files lints.
type Options struct {
	// ConfigID is keepalived's -i for the files' @ID lines.
	ConfigID string
	// ConfigTest also runs keepalived --config-test on each file.
	ConfigTest bool
}

// Files parses each keepalived.conf in paths (one per director of one
// setup), applies the rules, and, if asked, keepalived's own config test.
// A file that cannot be read is an error; a malformed one gives
// findings.
func Files(ctx context.Context, paths []string, opt Options) ([]Finding, error) {
	var cfgs []*conf.Config
	for _, p := range paths {
		c, err := conf.LoadFile(p, conf.Options{ConfigID: opt.ConfigID})
		if c == nil { // unreadable; a malformed file gives findings
			return nil, fmt.Errorf("lint %s: %w", p, err)
		}
		cfgs = append(cfgs, c)
	}
	fs := Check(cfgs)
	if !opt.ConfigTest {
		return fs, nil
	}
	for i, p := range paths {
		ct, err := ConfigTest(ctx, p, Interfaces(cfgs[i]), opt.ConfigID)
		if err != nil {
			return fs, fmt.Errorf("lint %s: %w", p, err)
		}
		fs = append(fs, ct...)
	}
	return fs, nil
}
