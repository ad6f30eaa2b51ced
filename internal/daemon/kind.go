package daemon

import (
	"time"

	"github.com/lvslab/lvslab/topo"
)

// Kind is a kind of daemon lvslab runs on a lab's nodes: the real
// servers' server, the directors' keepalived. Its methods are the
// documents' systemctl verbs and `kill -9`, for one node at a time;
// `lvslab start|stop|kill|logs NODE KIND` is one command over them.
type Kind interface {
	// Name is what the CLI calls the kind (`lvslab stop web1 server`),
	// and what names its log and record on each node.
	Name() string
	// Start runs the daemon on node h of lab and returns once it is
	// ready to serve; it fails with ErrRunning if it runs already.
	// Equivalent to: `systemctl start KIND`.
	Start(lab *topo.Lab, h *topo.Host) error
	// Stop ends it gracefully, as its unit file would, and kills what is
	// left after grace (0: the kind's own bound). It returns once the
	// daemon is gone; stopping one that does not run is not an error.
	// Equivalent to: `systemctl stop KIND`.
	Stop(h *topo.Host, grace time.Duration) error
	// Kill ends it at once with SIGKILL, giving it no chance to close its
	// connections or say goodbye. Equivalent to: `kill -9`.
	Kill(h *topo.Host) error
	// Status tells whether it runs on node h, and the process that runs
	// it (which may serve other nodes too: the real servers' hub).
	Status(h *topo.Host) (pid int, running bool, err error)
	// Log is the file it writes its output to on node h.
	Log(h *topo.Host) string
}

// Reloader is a Kind whose daemon re-reads its configuration without a
// restart. Equivalent to: `systemctl reload KIND`.
type Reloader interface {
	Kind
	Reload(lab *topo.Lab, h *topo.Host) error
}
