package impair

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/vishvananda/netlink"
)

// Netem is one impairment of a cable, in netem's terms. The zero value
// impairs nothing.
type Netem struct {
	// Loss is the percentage of packets dropped, independently, 0 to 100.
	Loss float64 `json:"loss,omitempty"`
	// Delay is added to every packet; Jitter spreads it uniformly by ±J.
	Delay  time.Duration `json:"delay,omitempty"`
	Jitter time.Duration `json:"jitter,omitempty"`
	// Duplicate is the percentage of packets sent twice.
	Duplicate float64 `json:"duplicate,omitempty"`
	// Reorder is the percentage of packets sent at once, ahead of the
	// delayed others (netem reorders only with a Delay).
	Reorder float64 `json:"reorder,omitempty"`
	// Rate caps the cable's throughput, in bits per second; 0 is no cap.
	Rate uint64 `json:"rate,omitempty"`
}

// maxDelay bounds a delay or jitter: netem counts in 32-bit microseconds
// (about 71 minutes); a lab has no use for more than a minute.
const maxDelay = time.Minute

// Validate names every argument out of range, all at once.
func (n Netem) Validate() error {
	var errs []error
	for _, p := range []struct {
		name string
		v    float64
	}{{"loss", n.Loss}, {"duplicate", n.Duplicate}, {"reorder", n.Reorder}} {
		if math.IsNaN(p.v) || p.v < 0 || p.v > 100 {
			errs = append(errs, fmt.Errorf("%s %g%%: must be between 0%% and 100%%", p.name, p.v))
		}
	}
	if n.Delay < 0 || n.Delay > maxDelay {
		errs = append(errs, fmt.Errorf("delay %s: must be between 0 and %s", n.Delay, maxDelay))
	}
	if n.Jitter < 0 || n.Jitter > maxDelay {
		errs = append(errs, fmt.Errorf("jitter %s: must be between 0 and %s", n.Jitter, maxDelay))
	}
	if n.Jitter > 0 && n.Delay == 0 {
		errs = append(errs, fmt.Errorf("jitter %s: needs a delay", n.Jitter))
	}
	if n.Reorder > 0 && n.Delay == 0 {
		errs = append(errs, fmt.Errorf("reorder %g%%: needs a delay (netem sends the reordered packets ahead of the delayed ones)", n.Reorder))
	}
	if n.IsZero() {
		errs = append(errs, errors.New("no impairment given (loss, delay, duplicate, reorder or rate; or clear)"))
	}
	return errors.Join(errs...)
}

// IsZero is true when n impairs nothing.
func (n Netem) IsZero() bool { return n == Netem{} }

// String reads as tc's arguments do: "delay 100ms jitter 10ms loss 5%".
func (n Netem) String() string {
	var parts []string
	if n.Delay > 0 {
		parts = append(parts, "delay "+n.Delay.String())
		if n.Jitter > 0 {
			parts = append(parts, "jitter "+n.Jitter.String())
		}
	}
	if n.Loss > 0 {
		parts = append(parts, "loss "+FormatPercent(n.Loss))
	}
	if n.Duplicate > 0 {
		parts = append(parts, "duplicate "+FormatPercent(n.Duplicate))
	}
	if n.Reorder > 0 {
		parts = append(parts, "reorder "+FormatPercent(n.Reorder))
	}
	if n.Rate > 0 {
		parts = append(parts, "rate "+FormatRate(n.Rate))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, " ")
}

// qdisc is the netem qdisc of n at the root of the link index.
func (n Netem) qdisc(index int) *netlink.Netem {
	return netlink.NewNetem(rootAttrs(index), netlink.NetemQdiscAttrs{
		Latency:     uint32(n.Delay / time.Microsecond),
		Jitter:      uint32(n.Jitter / time.Microsecond),
		Loss:        float32(n.Loss),
		Duplicate:   float32(n.Duplicate),
		ReorderProb: float32(n.Reorder),
		Rate64:      n.Rate / 8,
		Limit:       10000,
	})
}

// qdiscHandle is the handle of lvslab's netem qdiscs ("4c56:", "LV").
var qdiscHandle = netlink.MakeHandle(0x4c56, 0)

func rootAttrs(index int) netlink.QdiscAttrs {
	return netlink.QdiscAttrs{LinkIndex: index, Handle: qdiscHandle, Parent: netlink.HANDLE_ROOT}
}

// ParsePercent reads a probability as tc writes it: "5%", "0.5%" or "5".
func ParsePercent(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(s), "%"), 64)
	if err != nil || math.IsNaN(v) || v < 0 || v > 100 {
		return 0, fmt.Errorf("%q: want a percentage between 0%% and 100%%, such as 5%%", s)
	}
	return v, nil
}

// FormatPercent writes a percentage with no trailing zeros: "5%", "0.5%".
func FormatPercent(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) + "%" }

var rateUnits = []struct {
	suffix string
	bits   uint64
}{{"gbit", 1e9}, {"mbit", 1e6}, {"kbit", 1e3}, {"bit", 1}}

// ParseRate reads a rate as tc writes it, in bits per second: "10mbit",
// "512kbit", "1gbit", "800bit".
func ParseRate(s string) (uint64, error) {
	low := strings.ToLower(strings.TrimSpace(s))
	for _, u := range rateUnits {
		num, ok := strings.CutSuffix(low, u.suffix)
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(num, 64)
		if err != nil || v <= 0 || math.IsInf(v, 0) || v*float64(u.bits) < 8 || v*float64(u.bits) > 1e12 {
			break
		}
		return uint64(v * float64(u.bits)), nil
	}
	return 0, fmt.Errorf("%q: want a rate such as 10mbit, 512kbit or 1gbit (8bit to 1000gbit)", s)
}

// FormatRate writes bits per second in the largest whole unit.
func FormatRate(bits uint64) string {
	for _, u := range rateUnits {
		if bits >= u.bits && bits%u.bits == 0 {
			return strconv.FormatUint(bits/u.bits, 10) + u.suffix
		}
	}
	return strconv.FormatUint(bits, 10) + "bit"
}

// ParseDuration reads a delay as Go or tc writes it ("100ms", "1.5s",
// "250us"); a bare number is milliseconds, as tc takes it.
func ParseDuration(s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	if v, err := strconv.ParseFloat(t, 64); err == nil && v >= 0 && v <= float64(maxDelay/time.Millisecond) {
		return time.Duration(v * float64(time.Millisecond)), nil
	}
	d, err := time.ParseDuration(t)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q: want a duration such as 100ms, 1.5s or 250us", s)
	}
	return d, nil
}
