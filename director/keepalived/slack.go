package keepalived

import "time"

// The slacks a live check adds to one of this package's formulas, each
// named for what it covers and measured where it was set. The scenarios
// and lvslab verify hold keepalived to the same bounds with these; a
// bound is two-sided where the formula has a lower side.
const (
	// CaptureJitter is the low side of a time between two adverts on
	// one capture. A backup's timer starts when its keepalived reads the
	// advert, which the bridge delivered to it and to the capturing link
	// in the same pass; the capture's timestamps are the kernel's (ns),
	// so it can only place the advert later than the backup read it by
	// the guest's softirq scheduling between the two bridge ports, a few
	// ms in the TCG guest. keepalived's timers are in µs and never fire
	// early, so nothing else makes a time shorter than its formula.
	CaptureJitter = 100 * time.Millisecond
	// Late is the high side of a VRRP timer of keepalived and of the
	// advert or VIP change that shows it: how late the process runs in
	// the TCG guest with four labs on its two vCPUs. In parallel suite
	// runs the backup's first advert has come 2.585 s after a priority-0
	// advert against a 0.648 s skew (1.94 s late).
	Late = 2 * time.Second
	// StopLate is how late keepalived's priority-0 advert may follow the
	// SIGTERM of a graceful stop: 1.1 s has been seen under load.
	StopLate = 1500 * time.Millisecond
	// PollEarly is the low side of a time read by polling (the VIP's
	// holders, the IPVS table) from a command's start: the command's own
	// run may overlap the formula's start by its fork, which this covers,
	// with the poll's own step (10–50 ms).
	PollEarly = 250 * time.Millisecond
	// CheckerLate is the high side of a health checker's removal or
	// re-add: the checker's connect (or its HTTP request, or its
	// script's fork) and the table change run in processes the loaded
	// TCG guest schedules late, more so than VRRP's timer. In parallel
	// suite runs an inhibit_on_failure removal came 8.12 s after the
	// stop command against a 4 s formula for a refused connection.
	CheckerLate = 4500 * time.Millisecond
	// CheckerEarly is the low side of a health checker's removal: a
	// checker has dropped a refusing server 849 ms after the stop
	// command's start, 151 ms under the retry×delay_before_retry its
	// retry should take (cause not found; keepalived's timers count from
	// the time its loop last read the clock). Three times that.
	CheckerEarly = 500 * time.Millisecond
)
