package sched

// Open schedules a new connection c with s and counts it as active on the
// real server chosen; nil when s refuses it.
func Open(s Scheduler, c Conn) *Dest {
	d := s.Schedule(c)
	if d != nil {
		d.Active++
	}
	return d
}

// Close ends a connection to d: it counts as inactive until its entry
// expires (ip_vs_set_state moving it out of ESTABLISHED).
func Close(d *Dest) {
	d.Active--
	d.Inactive++
}

// Hold is who each of n connections from c goes to when each stays open,
// raising its server's active count: the server's node, or "" for a
// refused one.
func Hold(s Scheduler, c Conn, n int) []string {
	out := make([]string, 0, n)
	for range n {
		if d := Open(s, c); d != nil {
			out = append(out, d.Node)
		} else {
			out = append(out, "")
		}
	}
	return out
}

// Requests is who each of n connections from c goes to when each closes
// before the next opens (one request per connection).
func Requests(s Scheduler, c Conn, n int) []string {
	out := make([]string, 0, n)
	for range n {
		d := Open(s, c)
		if d == nil {
			out = append(out, "")
			continue
		}
		out = append(out, d.Node)
		Close(d)
	}
	return out
}
