package keepalived

import (
	"slices"
	"time"

	"github.com/lvslab/lvslab/topo"
)

// Skew is VRRPv2's Skew_Time for a priority: (256 - priority) / 256 s.
func Skew(priority int) time.Duration {
	return time.Duration(256-priority) * time.Second / 256
}

// MasterDownInterval is VRRP's Master_Down_Interval, 3 × advert_int +
// Skew: how long a backup waits after the last advert it heard (or after
// it started) before it becomes MASTER.
func MasterDownInterval(advertInt, priority int) time.Duration {
	return 3*time.Duration(advertInt)*time.Second + Skew(priority)
}

// ownerPriority is VRRP's address owner priority: a member with it
// becomes MASTER at once and always preempts.
const ownerPriority = 255

// ExpectedMasters names the members of the instance v that may end up
// MASTER once every member has started and VRRP has settled, best first
// (topo.VRRP.Ranked's order; its first is topo.VRRP.Master).
//
// A member stays MASTER while no member of higher priority preempts it:
// a backup without nopreempt takes over from a lower-priority master
// when its Master_Down_Interval runs out, one with nopreempt never does,
// and a backup of equal priority does not take over either (RFC 3768
// §6.4.2: it only resets its timer). So a member can be the settled
// MASTER when every member of higher priority has nopreempt. With one
// highest-priority member without nopreempt — the usual MASTER 100 /
// BACKUP 90 pair — that is the one name; with nopreempt or equal
// priorities the winner is whoever's timer ran out first, and any of the
// names is right. A member with priority 255 (the address owner) is
// alone. Tracked scripts that change priorities at run time are not
// considered.
func ExpectedMasters(v *topo.VRRP) []string {
	members := v.Ranked() // best first
	if len(members) > 0 && members[0].Priority == ownerPriority {
		return []string{members[0].Node}
	}
	var out []string
	for _, m := range members {
		preempted := false
		for _, o := range v.Members {
			if o.Priority > m.Priority && !o.NoPreempt {
				preempted = true
				break
			}
		}
		if !preempted {
			out = append(out, m.Node)
		}
	}
	return out
}

// SettleBound is how long after its members' keepalived started the
// instance v has its MASTER by VRRP's formulas: the longest
// Master_Down_Interval among the members that may win (ExpectedMasters),
// plus the longest preempt_delay. A master that started first and loses
// to a preempting member is replaced within the preempting member's own
// Master_Down_Interval, which this covers.
func SettleBound(v *topo.VRRP) time.Duration {
	advert := v.AdvertInt
	if advert == 0 {
		advert = topo.DefaultAdvertInt
	}
	expected := ExpectedMasters(v)
	var mdi, delay time.Duration
	for _, m := range v.Members {
		if slices.Contains(expected, m.Node) {
			mdi = max(mdi, MasterDownInterval(advert, m.Priority))
		}
		delay = max(delay, PreemptDelay(m))
	}
	return mdi + delay
}

// CheckBound is how long after keepalived started its checker a real
// server that passes its health check c is in the director's table by
// the check's timers: the first check after warmup (keepalived's default
// is a random delay up to delay_loop), then, should that one have failed
// while the backend was coming up, the next one delay_loop later, which
// takes up to connect_timeout. Nil c (no check) is 0: the server is put
// in the table at start.
func CheckBound(c *topo.Check) time.Duration {
	if c == nil {
		return 0
	}
	delayLoop := c.DelayLoop
	if delayLoop == 0 {
		delayLoop = topo.DefaultDelayLoop
	}
	warmup := delayLoop
	if c.Warmup != nil {
		warmup = *c.Warmup
	}
	connect := c.ConnectTimeout
	if connect == 0 {
		connect = topo.DefaultConnectTimeout
	}
	return time.Duration(warmup+delayLoop+connect) * time.Second
}

// checkTimers are a check's timers in seconds, keepalived's defaults
// where the lab file leaves them unset.
func checkTimers(c *topo.Check) (delayLoop, connect, retry, beforeRetry int) {
	delayLoop, connect, retry, beforeRetry = c.DelayLoop, c.ConnectTimeout, c.Retry, c.DelayBeforeRetry
	if delayLoop == 0 {
		delayLoop = topo.DefaultDelayLoop
	}
	if connect == 0 {
		connect = topo.DefaultConnectTimeout
	}
	if retry == 0 {
		retry = topo.DefaultRetry
	}
	if beforeRetry == 0 {
		beforeRetry = topo.DefaultDelayBeforeRetry
	}
	return delayLoop, connect, retry, beforeRetry
}

// RemovalTimeout is the longest a checker takes to declare an up real
// server down when each of its attempts waits out connect_timeout (a
// server that drops SYNs: a blackhole): the check round under way ends
// within delay_loop, then retry+1 attempts of connect_timeout each with
// delay_before_retry between them,
// delay_loop + (retry+1)×connect_timeout + retry×delay_before_retry.
func RemovalTimeout(c *topo.Check) time.Duration {
	d, ct, r, dbr := checkTimers(c)
	return time.Duration(d+(r+1)*ct+r*dbr) * time.Second
}

// RemovalRefused is the longest a checker takes to declare an up real
// server down when each attempt fails at once (a connection refused, an
// answer with the wrong status, a script that exits 1): connect_timeout
// never runs, delay_loop + retry×delay_before_retry.
func RemovalRefused(c *topo.Check) time.Duration {
	d, _, r, dbr := checkTimers(c)
	return time.Duration(d+r*dbr) * time.Second
}

// RemovalTimeoutMin is the shortest a checker can take to declare a
// blackholed server down: if the next check round starts at once, its
// retry+1 attempts still each wait connect_timeout, with
// delay_before_retry between them:
// (retry+1)×connect_timeout + retry×delay_before_retry.
func RemovalTimeoutMin(c *topo.Check) time.Duration {
	_, ct, r, dbr := checkTimers(c)
	return time.Duration((r+1)*ct+r*dbr) * time.Second
}

// Readd is the longest a checker takes to put a revived real server
// back: one passing check, which starts within delay_loop and ends
// within connect_timeout, delay_loop + connect_timeout.
func Readd(c *topo.Check) time.Duration {
	d, ct, _, _ := checkTimers(c)
	return time.Duration(d+ct) * time.Second
}
