package realserver

import "github.com/lvslab/lvslab/realserver/backend"

// ServeOptions say what a node's server answers, and as whom: the
// backend's options (package realserver/backend), whose Server field
// picks the program Start runs.
type ServeOptions = backend.Options
