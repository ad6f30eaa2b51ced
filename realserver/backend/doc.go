// Package backend is the built-in real-server backend: HTTP that answers
// with the node's name and the connection's addresses, and TCP and UDP
// echo (see package realserver for what it answers and why). It runs as
// its own small executable, lvslab-serve (cmd/lvslab-serve), one per real
// server; `lvslab serve` runs the same code. It imports only what serving
// needs, so that executable starts fast: in the emulated guest a
// backend's start is mostly the Go runtime's and its packages' init.
package backend
