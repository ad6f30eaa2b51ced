package sched

// wrr is ip_vs_wrr_schedule with the state ip_vs_wrr_init_svc sets up: a
// position cl in the list (at first its head) and a current weight cw
// (at first mw, the largest weight less di - 1, di being the weights'
// gcd). Each call walks on from cl to the next server whose weight is at
// least cw; passing the list's head steps cw down by di and, at 0 or
// below, wraps it to mw. The weights are read once, at [New], as the
// kernel does when a server is added or changed (ip_vs_wrr_dest_changed).
type wrr struct {
	list   []*Dest
	cl, cw int // cl -1 is the list's head
	di, mw int
}

func newWRR(list []*Dest) *wrr {
	di, mw := 0, 0
	for _, d := range list {
		if d.Weight > 0 {
			di = gcd(di, d.Weight)
		}
		mw = max(mw, d.Weight)
	}
	if di == 0 {
		di = 1 // ip_vs_wrr_gcd_weight: "return g ? g : 1"
	}
	mw -= di - 1
	return &wrr{list: list, cl: -1, cw: mw, di: di, mw: mw}
}

func (s *wrr) Schedule(Conn) *Dest {
	if len(s.list) == 0 {
		return nil
	}
	start := s.cl
	for {
		if s.cl == -1 {
			s.cl = 0
			if s.cw -= s.di; s.cw <= 0 {
				s.cw = s.mw
				if s.cw <= 0 {
					s.cl = -1
					return nil
				}
			}
		} else if s.cl++; s.cl == len(s.list) {
			s.cl = -1
		}
		if s.cl != -1 {
			if d := s.list[s.cl]; d.Weight >= s.cw {
				return d
			}
		}
		if s.cl == start && s.cw == s.di {
			return nil // every server overloaded
		}
	}
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
