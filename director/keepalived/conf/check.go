package conf

import (
	"strconv"
	"strings"
	"time"
)

// Check is a health checker of a real server: TCP_CHECK, HTTP_GET or
// MISC_CHECK, with keepalived's defaults and what the virtual and real
// server blocks set filled in.
type Check struct {
	Block
	Type string
	// DelayLoop is the interval between checks.
	DelayLoop time.Duration
	// ConnectTimeout (TCP_CHECK, HTTP_GET) or misc_timeout (MISC_CHECK).
	ConnectTimeout time.Duration
	// Retry is how many more tries a failing check gets before the server
	// is taken out (retry). keepalived 2.2 ignores keepalived 1's
	// nb_get_retry (OldRetry), so Retry is then the default.
	Retry            int
	DelayBeforeRetry time.Duration
	// Warmup is nil when unwritten (keepalived then waits a random time
	// up to DelayLoop before the first check).
	Warmup      *time.Duration
	ConnectIP   string
	ConnectPort uint16
	BindTo      string
	// URLs are HTTP_GET's url blocks.
	URLs []*URL
	// MiscPath is MISC_CHECK's misc_path; MiscDynamic is misc_dynamic.
	MiscPath    string
	MiscDynamic bool
	// OldRetry is the position of an nb_get_retry line (keepalived 1's
	// name for retry) that applies to the check, if any.
	OldRetry *Pos
}

// URL is one url block of an HTTP_GET.
type URL struct {
	Pos        Pos
	Path       string
	Digest     string
	StatusCode int
}

// checkFields are the check settings a virtual_server or real_server may
// set for its checks.
type checkFields struct {
	delayLoop, connectTimeout, delayBeforeRetry, warmup *time.Duration
	retry                                               *int
	oldRetry                                            *Pos
}

// checkField reads n into f if it is one of the inherited check
// settings, and reports whether it was.
func (v *viewer) checkField(n *Node, f *checkFields) bool {
	timer := func(dst **time.Duration) {
		if d, ok := v.timer(n); ok {
			*dst = &d
		}
	}
	switch n.Keyword {
	case "delay_loop":
		timer(&f.delayLoop)
	case "connect_timeout", "misc_timeout":
		timer(&f.connectTimeout)
	case "delay_before_retry":
		timer(&f.delayBeforeRetry)
	case "warmup":
		timer(&f.warmup)
	case "retry":
		if r, ok := v.int(n, 0, 1<<30); ok {
			f.retry = &r
		}
	case "nb_get_retry":
		// keepalived 1's name; 2.2 no longer knows it and keeps its
		// default retry.
		p := n.Pos
		f.oldRetry = &p
		v.d.addKey(n.Pos, Unknown, KeyNbGetRetry, "nb_get_retry: keepalived 2.2 does not know it (renamed retry) and ignores the line: retry stays at its default")
	default:
		return false
	}
	return true
}

func (v *viewer) check(b *Node, vs *VirtualServer, inherited checkFields) *Check {
	c := &Check{Block: Block{b}, Type: b.Keyword, DelayLoop: vs.DelayLoop, ConnectTimeout: DefaultConnectTimeout}
	f := inherited
	for _, n := range b.Children {
		if v.checkField(n, &f) {
			if n.Keyword == "misc_timeout" && c.Type != "MISC_CHECK" || n.Keyword == "connect_timeout" && c.Type == "MISC_CHECK" {
				v.d.add(n.Pos, Unknown, "%s in %s: keepalived ignores it there", n.Keyword, c.Type)
			}
			continue
		}
		switch {
		case n.Keyword == "connect_ip":
			c.ConnectIP, _ = v.value(n)
		case n.Keyword == "connect_port":
			if s, ok := v.value(n); ok {
				c.ConnectPort, _ = v.port(n, s)
			}
		case n.Keyword == "bindto":
			c.BindTo, _ = v.value(n)
		case n.Keyword == "url" && c.Type == "HTTP_GET":
			c.URLs = append(c.URLs, v.url(n))
		case n.Keyword == "misc_path" && c.Type == "MISC_CHECK":
			c.MiscPath = strings.Join(n.Args, " ")
		case n.Keyword == "misc_dynamic" && c.Type == "MISC_CHECK":
			c.MiscDynamic = v.flag(n)
		default:
			v.other(c.Type, n)
		}
	}
	// keepalived 2.2's defaults: retry 1 (MISC_CHECK 0), delay_before_retry
	// 1 s (HTTP_GET 3 s).
	c.Retry, c.DelayBeforeRetry = 1, time.Second
	switch c.Type {
	case "MISC_CHECK":
		c.Retry = 0
	case "HTTP_GET":
		c.DelayBeforeRetry = 3 * time.Second
	}
	if f.delayLoop != nil {
		c.DelayLoop = *f.delayLoop
	}
	if f.connectTimeout != nil {
		c.ConnectTimeout = *f.connectTimeout
	}
	if f.retry != nil {
		c.Retry = *f.retry
	}
	if f.delayBeforeRetry != nil {
		c.DelayBeforeRetry = *f.delayBeforeRetry
	}
	c.Warmup = f.warmup
	c.OldRetry = f.oldRetry
	if c.Type == "MISC_CHECK" && c.MiscPath == "" {
		v.errorf(b, "needs a misc_path")
	}
	return c
}

func (v *viewer) url(b *Node) *URL {
	u := &URL{Pos: b.Pos}
	for _, n := range names(b) {
		switch n.Keyword {
		case "path":
			u.Path, _ = v.value(n)
		case "digest":
			u.Digest, _ = v.value(n)
		case "status_code":
			s, _ := v.value(n)
			if code, err := strconv.Atoi(s); err == nil && code >= 100 && code <= 599 {
				u.StatusCode = code
			} else {
				v.d.add(n.Pos, Note, "status_code %q: a code range or list, kept as written; lvslab does not model it", s)
			}
		default:
			v.other("url", n)
		}
	}
	return u
}

// WorstCase is how long the check takes to take a server out that stops
// answering (its packets dropped): delay_loop + (retry+1) ×
// connect_timeout + retry × delay_before_retry (FACTS.md). A refused
// connection fails at once, so only the delays count then.
func (c *Check) WorstCase() time.Duration {
	r := time.Duration(c.Retry)
	return c.DelayLoop + (r+1)*c.ConnectTimeout + r*c.DelayBeforeRetry
}
