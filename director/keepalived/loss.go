package keepalived

import (
	"math"
	"math/rand/v2"
	"slices"
	"time"
)

// Spurious takeovers under advert loss.
//
// A BACKUP becomes MASTER when Master_Down_Interval (3 × advert_int +
// Skew) passes with no advert from the MASTER. Skew is under advert_int
// (VRRPv2: (256 - priority)/256 s ≤ 1 s), so that happens exactly when
// three adverts in a row are lost: the fourth is due advert_int after the
// timer ran out. While the BACKUP is MASTER, further lost adverts start
// no new takeover; the first advert of the higher-priority MASTER that
// gets through sends it back to BACKUP. So with each advert lost
// independently with probability p, a takeover starts at each advert
// slot that is delivered and followed by three lost ones.

// LossTakeoverMin is how many adverts in a row must be lost before a
// backup of that priority takes over: those due strictly before its
// Master_Down_Interval runs out, ⌈Master_Down_Interval / advert_int⌉ - 1
// (3 for VRRPv2).
func LossTakeoverMin(advertInt, priority int) int {
	mdi, a := MasterDownInterval(advertInt, priority), time.Duration(advertInt)*time.Second
	return int((mdi+a-1)/a) - 1
}

// LossTakeovers is the expected number of spurious takeovers over a
// window of adverts each lost with probability p: n = window/advert_int
// slots, each the start of a run of k = LossTakeoverMin lost adverts after
// a delivered one with probability (1 - p) × p^k, so n × (1 - p) × p^k.
func LossTakeovers(window time.Duration, advertInt, priority int, p float64) float64 {
	n := float64(window / (time.Duration(advertInt) * time.Second))
	k := LossTakeoverMin(advertInt, priority)
	return n * (1 - p) * math.Pow(p, float64(k))
}

// LossTakeoverInterval is the central interval [lo, hi] that holds the
// number of spurious takeovers with probability at least conf (0.99),
// from the distribution of the count under the model above: trials
// simulated windows of n = window/advert_int Bernoulli(p) losses, the
// advert before the window delivered, with a fixed seed so the interval
// is the same on every run.
func LossTakeoverInterval(window time.Duration, advertInt, priority int, p, conf float64) (lo, hi int) {
	const trials = 20000
	n := int(window / (time.Duration(advertInt) * time.Second))
	k := LossTakeoverMin(advertInt, priority)
	rng := rand.New(rand.NewPCG(1, 2))
	counts := make([]int, trials)
	for t := range counts {
		run, count := 0, 0 // lost adverts in a row so far
		for range n {
			if rng.Float64() < p {
				run++
				if run == k {
					count++
				}
			} else {
				run = 0
			}
		}
		counts[t] = count
	}
	slices.Sort(counts)
	tail := int(float64(trials) * (1 - conf) / 2)
	return counts[tail], counts[trials-1-tail]
}

// DownTimeouts are the moments a BACKUP's Master_Down_Interval ran out,
// given the times it heard the MASTER's adverts (sorted) between from and
// until: after each advert (and after from, counted as one) that the
// next one followed by more than mdi, mdi after it. Each is a takeover.
func DownTimeouts(heard []time.Time, from, until time.Time, mdi time.Duration) []time.Time {
	var out []time.Time
	last := from
	for _, t := range append(slices.Clone(heard), until) {
		if t.Before(from) {
			continue
		}
		if t.After(until) {
			t = until
		}
		if t.Sub(last) > mdi {
			out = append(out, last.Add(mdi))
		}
		last = t
	}
	return out
}
