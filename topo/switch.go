package topo

import "github.com/vishvananda/netlink"

// SwitchNsPath is the file of the lab's switch namespace, which holds one
// bridge per segment and the switch end of every node's cable.
func (l *Lab) SwitchNsPath() string { return namespacePath(SwitchNamespace(l.Name)) }

// SwitchNetlink returns a netlink handle bound to the lab's switch
// namespace. The caller closes it.
func (l *Lab) SwitchNetlink() (*netlink.Handle, error) { return handleAt(l.SwitchNsPath()) }
