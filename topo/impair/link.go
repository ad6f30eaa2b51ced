package impair

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/lvslab/lvslab/topo"
)

// SetLink pulls e's cable (up false) or plugs it back (up true) at the
// switch end: the node sees its carrier go and come back, and keeps its
// addresses and routes. Equivalent to: `ip -n LAB-switch link set NODE-IF
// down|up`.
func SetLink(lab *topo.Lab, e Endpoint, up bool) error {
	verb := map[bool]string{true: "up", false: "down"}[up]
	h, err := resolve(lab, e)
	if err != nil {
		return fmt.Errorf("link %w", err)
	}
	return update(lab.Name, func(r *Record) error {
		ends, err := openEnds(lab, h, e)
		if err != nil {
			return fmt.Errorf("link %s %s: %w", e, verb, err)
		}
		defer ends.close()
		set := ends.sw.nl.LinkSetDown
		if up {
			set = ends.sw.nl.LinkSetUp
		}
		if err := set(ends.sw.link); err != nil {
			return fmt.Errorf("link %s %s: set %s %s: %w", e, verb, ends.sw.where, verb, err)
		}
		now := time.Now()
		r.Down = slices.DeleteFunc(r.Down, func(d Endpoint) bool { return d == e })
		if !up {
			r.Down = append(r.Down, e)
		}
		r.log(now, verb, e.String(), "")
		return nil
	})
}

// Flap bounds: a flap is down for half a period, then up for the other
// half, count times.
const (
	MinFlapPeriod = 20 * time.Millisecond
	MaxFlapTotal  = time.Hour
)

// CheckFlap names a flap's argument out of bounds.
func CheckFlap(period time.Duration, count int) error {
	var errs []error
	if period < MinFlapPeriod {
		errs = append(errs, fmt.Errorf("period %s: must be at least %s", period, MinFlapPeriod))
	}
	if count < 1 {
		errs = append(errs, fmt.Errorf("count %d: must be at least 1", count))
	}
	if errs == nil && period*time.Duration(count) > MaxFlapTotal {
		errs = append(errs, fmt.Errorf("period %s × count %d: must last at most %s", period, count, MaxFlapTotal))
	}
	return errors.Join(errs...)
}

// Flap pulls e's cable for half of period and plugs it back for the
// other half, count times, and returns with the cable up. Each change is
// logged in the lab's record, and passed to seen (which may be nil) as it
// happens. When ctx ends, the cable is plugged back and ctx's error
// returned.
func Flap(ctx context.Context, lab *topo.Lab, e Endpoint, period time.Duration, count int, seen func(Event)) (err error) {
	if err := CheckFlap(period, count); err != nil {
		return fmt.Errorf("flap %s: %w", e, err)
	}
	if _, err := resolve(lab, e); err != nil {
		return fmt.Errorf("flap %w", err)
	}
	defer func() {
		if err == nil {
			return // the loop ended with the cable up
		}
		if uerr := SetLink(lab, e, true); uerr != nil {
			err = errors.Join(err, uerr)
		}
	}()
	half := period / 2
	next := time.Now()
	for i := 0; i < count; i++ {
		for _, up := range []bool{false, true} {
			began := time.Now()
			if err := SetLink(lab, e, up); err != nil {
				return err
			}
			if seen != nil {
				kind := map[bool]string{true: EventUp, false: EventDown}[up]
				seen(Event{At: time.Now(), Began: began, Kind: kind, Target: e.String()})
			}
			next = next.Add(half)
			if i == count-1 && up {
				return nil
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("flap %s: %w", e, ctx.Err())
			case <-time.After(time.Until(next)):
			}
		}
	}
	return nil
}
