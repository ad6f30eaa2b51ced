package conf

import (
	"strings"
	"time"
)

// Script is a vrrp_script.
type Script struct {
	Block
	Name     string
	Script   string
	Interval time.Duration // default 1 s
	Timeout  time.Duration // 0: keepalived uses Interval
	Weight   int
	Rise     int // default 1
	Fall     int // default 1
	User     string
}

func (v *viewer) script(b *Node) *Script {
	s := &Script{Block: Block{b}, Name: b.Arg(0), Interval: time.Second, Rise: 1, Fall: 1}
	for _, n := range b.Children {
		switch n.Keyword {
		case "script":
			s.Script = strings.Join(n.Args, " ")
		case "interval":
			if d, ok := v.timer(n); ok {
				s.Interval = d
			}
		case "timeout":
			s.Timeout, _ = v.timer(n)
		case "weight":
			s.Weight, _ = v.int(n, -254, 254)
			if len(n.Args) > 1 && n.Args[1] == "reverse" {
				v.d.add(n.Pos, Note, "weight reverse: kept as written; lvslab does not model it")
			}
		case "rise":
			s.Rise, _ = v.int(n, 1, 1<<30)
		case "fall":
			s.Fall, _ = v.int(n, 1, 1<<30)
		case "user":
			s.User = strings.Join(n.Args, " ")
		default:
			v.other("vrrp_script", n)
		}
	}
	return s
}

// SyncGroup is a vrrp_sync_group: instances that change state together.
type SyncGroup struct {
	Block
	Name      string
	Instances []string
	Notify    map[string]string
}

func (v *viewer) syncGroup(b *Node) *SyncGroup {
	g := &SyncGroup{Block: Block{b}, Name: b.Arg(0), Notify: map[string]string{}}
	for _, n := range b.Children {
		switch n.Keyword {
		case "group":
			for _, c := range names(n) {
				g.Instances = append(g.Instances, c.Keyword)
			}
		case "notify", "notify_master", "notify_backup", "notify_fault", "notify_stop":
			g.Notify[n.Keyword] = strings.Join(n.Args, " ")
		default:
			v.other("vrrp_sync_group", n)
		}
	}
	return g
}
