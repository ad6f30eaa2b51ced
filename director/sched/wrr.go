package sched

// wrr is ip_vs_wrr_schedule (Linux 6.1) with its state, the mark: a
// position cl in the list (-1 is the list's head), a current weight cw,
// the largest weight less di - 1 (mw) and the weights' gcd (di).
//
// Each call walks on from cl to the next server whose weight is at least
// cw; on passing the end of the list cw steps down by di and, at 0 or
// below, wraps to mw. The starting state is what the kernel leaves after
// the service was created empty (ip_vs_wrr_init_svc: cw = mw = 0) and
// its real servers added one by one, in the lab file's order, each add
// calling ip_vs_wrr_dest_changed: cl back to the head, cw to mw when it
// was 0 or above mw (rounded to a multiple of di, plus 1, otherwise).
// That is how lvslab and keepalived program a service; a service
// switched to wrr later (ipvsadm -E) starts with cw = mw instead.
type wrr struct {
	list   []*Dest
	cl, cw int
	di, mw int
}

func newWRR(list []*Dest) *wrr {
	s := &wrr{list: list, cl: -1, di: 1}
	// The real servers were added last first: the list's tail is the
	// oldest.
	for n := 1; n <= len(list); n++ {
		s.destChanged(list[len(list)-n:])
	}
	return s
}

// destChanged is ip_vs_wrr_dest_changed over the servers present.
func (s *wrr) destChanged(present []*Dest) {
	di, w := 0, 0
	for _, d := range present {
		if d.Weight > 0 {
			di = gcd(di, d.Weight)
		}
		w = max(w, d.Weight)
	}
	if di == 0 {
		di = 1 // ip_vs_wrr_gcd_weight: "return g ? g : 1"
	}
	s.cl, s.di, s.mw = -1, di, w-(di-1)
	switch {
	case s.cw > s.mw || s.cw == 0:
		s.cw = s.mw
	case s.di > 1:
		s.cw = (s.cw/s.di)*s.di + 1
	}
}

func (s *wrr) Schedule(Conn) *Dest {
	if s.mw <= 0 || len(s.list) == 0 {
		return nil
	}
	last, stop := s.cl, -2 // -2: no stop yet
	lastPass, restarted := false, false
	for {
		for i := s.cl + 1; i < len(s.list); i++ {
			if s.list[i].Weight >= s.cw {
				s.cl = i
				return s.list[i]
			}
			if i == stop {
				s.cl = i
				return nil // every server overloaded
			}
		}
		s.cl = -1
		if s.cw -= s.di; s.cw <= 0 {
			s.cw = s.mw
			if lastPass || last == -1 {
				return nil
			}
			restarted = true
		}
		if lastPass = s.cw <= s.di; lastPass && restarted && last != -1 {
			stop = last
		}
	}
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
