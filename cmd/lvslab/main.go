// Command lvslab stands up LVS / keepalived labs from network namespaces and
// checks that they behave as the source documents say.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"

	"github.com/sirupsen/logrus"

	"github.com/lvslab/lvslab/topo"
)

// init keeps the main goroutine on the main thread, and so every other
// goroutine off it: a goroutine that enters a node's namespace and ends
// locked to its thread (topo.Host.Do) would otherwise, on the main
// thread, which the runtime cannot end, leave it parked in that
// namespace, and /proc/PID/ns/net would place lvslab inside the lab.
func init() { runtime.LockOSThread() }

func main() {
	// moby/ipvs logs through logrus (e.g. when its own modprobe fails);
	// lvslab reports errors itself.
	logrus.SetOutput(io.Discard)
	err := newRootCmd().Execute()
	var exit *exitError
	var invalid *topo.ValidationError
	switch {
	case errors.As(err, &exit):
		os.Exit(exit.code)
	case errors.As(err, &invalid):
		// One FILE:LINE: line per problem, as compilers print them.
		fmt.Fprintln(os.Stderr, invalid)
		fmt.Fprintf(os.Stderr, "lvslab: %d problem(s) in the lab file; nothing was built\n", len(invalid.Problems))
		os.Exit(1)
	case err != nil:
		fmt.Fprintln(os.Stderr, "lvslab:", err)
		os.Exit(1)
	}
}

// exitError carries a child's exit status through cobra unchanged, so
// `lvslab exec` and `lvslab vm` exit as the command they ran did.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }
