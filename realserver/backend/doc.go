// Package backend is the built-in real-server backend: HTTP that answers
// with the node's name and the connection's addresses, and TCP and UDP
// echo (see package realserver for what it answers and why), and the Hub
// that serves many nodes' backends from one process, each from sockets
// opened in its node's namespace: in a lab, one lvslab-serve --hub
// (cmd/lvslab-serve) serves every real server. `lvslab serve` and
// lvslab-serve without --hub serve one node. It imports only what serving
// needs, so that executable starts fast and stays small.
package backend
