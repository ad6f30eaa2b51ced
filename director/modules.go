package director

import (
	"os/exec"
	"sync"
)

// loaded remembers the schedulers whose module this process has asked
// for.
var loaded sync.Map

// LoadScheduler loads a scheduler's module from user space before a
// service needs it, whoever programs the service (this package, or
// keepalived from its lb_algo). Left to the kernel, the module would be requested
// while IPVS holds its control mutex; a scheduler whose init registers
// per-namespace state (lblc, lblcr) then waits for namespace cleanup, and
// the cleanup of a namespace with IPVS waits for that mutex: a deadlock
// seen when labs come and go quickly. A failure is not an error here: the
// kernel may have it built in, and a missing scheduler is reported by the
// service call itself. Equivalent to: `modprobe -q ip_vs_SCHED`.
func LoadScheduler(name string) {
	if name == "" {
		return
	}
	if _, done := loaded.LoadOrStore(name, true); done {
		return
	}
	_ = exec.Command("modprobe", "-q", "ip_vs_"+name).Run()
}
