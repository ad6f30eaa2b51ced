package conf

// GlobalDefs is the global_defs block.
type GlobalDefs struct {
	Block
	RouterID string
	// VRRPStrict is vrrp_strict: RFC rules enforced — no authentication,
	// no unicast, and firewall rules that drop traffic to the VIPs.
	VRRPStrict           bool
	EnableScriptSecurity bool
	ScriptUser           string
	// LVSSyncDaemon is `lvs_sync_daemon IFACE INSTANCE`: the kernel's
	// connection sync daemon, master while INSTANCE is MASTER.
	LVSSyncDaemon *SyncDaemon
	// SMTPServer and NotificationEmail: alerts a lab cannot deliver.
	SMTPServer        string
	NotificationEmail []string
}

// SyncDaemon is an IPVS connection sync daemon: its interface and the
// VRRP instance whose state decides master or backup.
type SyncDaemon struct {
	Interface string
	Instance  string
}

func (v *viewer) global(b *Node) *GlobalDefs {
	g := &GlobalDefs{Block: Block{b}}
	for _, n := range b.Children {
		switch n.Keyword {
		case "router_id":
			g.RouterID, _ = v.value(n)
		case "vrrp_strict":
			g.VRRPStrict = v.flag(n)
		case "enable_script_security":
			g.EnableScriptSecurity = v.flag(n)
		case "script_user":
			g.ScriptUser = n.Arg(0)
		case "lvs_sync_daemon":
			if len(n.Args) < 2 {
				v.errorf(n, "needs an interface and a VRRP instance")
				continue
			}
			g.LVSSyncDaemon = &SyncDaemon{Interface: n.Args[0], Instance: n.Args[1]}
		case "smtp_server":
			g.SMTPServer = n.Arg(0)
			v.d.add(n.Pos, Unsupported, "smtp_server: a lab has no mail server; SMTP alerts go nowhere")
		case "notification_email":
			for _, c := range names(n) {
				g.NotificationEmail = append(g.NotificationEmail, c.Keyword)
			}
		default:
			v.other("global_defs", n)
		}
	}
	return g
}
