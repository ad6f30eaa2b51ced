package topo

import (
	"fmt"

	"github.com/google/nftables"
)

// Nftables runs fn with an nftables connection into the node's
// namespace.
func (h *Host) Nftables(fn func(*nftables.Conn) error) error {
	return nftablesIn(h.NsPath(), fn)
}

// SwitchNftables runs fn with an nftables connection into the lab's
// switch namespace (where the bridge's cables meet).
func (l *Lab) SwitchNftables(fn func(*nftables.Conn) error) error {
	return nftablesIn(l.SwitchNsPath(), fn)
}

// nftablesIn runs fn with one lasting netlink socket, made and used on a
// thread inside the namespace at path: no namespace switching inside the
// library.
func nftablesIn(path string, fn func(*nftables.Conn) error) error {
	return inNamespace(path, func() error {
		c, err := nftables.New(nftables.AsLasting())
		if err != nil {
			return fmt.Errorf("open nftables: %w", err)
		}
		defer func() { _ = c.CloseLasting() }()
		return fn(c)
	})
}
