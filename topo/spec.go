package topo

import "net/netip"

// Spec is a lab file: the topology of one lab, as written by its author.
// Every field is checked by Validate; Build trusts a validated Spec.
type Spec struct {
	// File is the path the spec was read from, for error messages.
	File string `yaml:"-"`
	// Source is the file's text as parsed; Build keeps a copy with the
	// lab's state so Open sees what was built even if the file changes.
	Source []byte `yaml:"-"`

	Name     string     `yaml:"name"`
	Doc      string     `yaml:"doc"` // source document and section, e.g. "seed 003 §4.3"
	Segments []*Segment `yaml:"segments"`
	Nodes    []*Node    `yaml:"nodes"`
	Services []*Service `yaml:"services"`
	VRRP     []*VRRP    `yaml:"vrrp"`
	// VRRPScripts are keepalived's vrrp_script blocks: checks a VRRP
	// instance tracks (VRRP.TrackScripts) to change its priority.
	VRRPScripts []*VRRPScript `yaml:"vrrp_scripts"`
	// Allow names deliberately broken setups the validator otherwise
	// rejects, for teaching labs: AllowDRCrossSegment, AllowNATGateway.
	Allow []string `yaml:"allow"`

	// lines records the line of each object and field, keyed by path
	// (e.g. "nodes.web1.gateway"); filled by Parse.
	lines map[string]int
}

// Allow values.
const (
	// AllowDRCrossSegment lets a DR real server sit on a segment its
	// director is not on.
	AllowDRCrossSegment = "dr-cross-segment"
	// AllowNATGateway lets a NAT real server's gateway be something other
	// than its director's DIP (the document's "forgot the gateway" mistake).
	AllowNATGateway = "nat-gateway"
)

// Segment is one L2 network: a bridge in the lab's switch namespace.
type Segment struct {
	Name   string       `yaml:"name"`
	Subnet netip.Prefix `yaml:"subnet"`
}

// Role is what a node is for; it decides the sysctls the builder sets.
type Role string

// Roles.
const (
	RoleClient     Role = "client"
	RoleRouter     Role = "router"
	RoleDirector   Role = "director"
	RoleRealServer Role = "realserver"
)

// Node is one host: a network namespace.
type Node struct {
	Name       string       `yaml:"name"`
	Role       Role         `yaml:"role"`
	Interfaces []*Interface `yaml:"interfaces"`
	// Gateway is the default route's next hop; unset means no default route.
	Gateway netip.Addr `yaml:"gateway"`
	Routes  []*Route   `yaml:"routes"`
	// Sysctls are extra per-namespace sysctls, keyed like sysctl(8)
	// ("net.ipv4.conf.all.arp_ignore"), applied after the role's defaults.
	Sysctls map[string]string `yaml:"sysctls"`
	// Keepalived, when set, is a keepalived.conf used verbatim for this
	// director instead of one rendered from the lab.
	Keepalived string `yaml:"keepalived"`
}

// Interface is one cable from a node to a segment: a veth pair whose node
// end is named as the documents name it (eth0, eth1 …).
type Interface struct {
	Name    string `yaml:"name"`
	Segment string `yaml:"segment"`
	// Addresses in CIDR form; the first is the primary. Secondary
	// addresses give a client several source addresses.
	Addresses []netip.Prefix `yaml:"addresses"`
}

// Route is a static route.
type Route struct {
	To  netip.Prefix `yaml:"to"`
	Via netip.Addr   `yaml:"via"`
}

// Forward is an LVS forwarding method.
type Forward string

// Forwarding methods, as ipvsadm's -m, -g and -i.
const (
	ForwardNAT Forward = "nat"
	ForwardDR  Forward = "dr"
	ForwardTUN Forward = "tun"
)

// Service is one IPVS virtual service, programmed on each of its directors.
type Service struct {
	Name      string   `yaml:"name"`
	Directors []string `yaml:"directors"`
	// VIP is the virtual address. With FWMark set it is still where
	// clients connect; the mark selects the service.
	VIP      netip.Addr `yaml:"vip"`
	Port     uint16     `yaml:"port"` // 0 with persistence: all ports (seed 002)
	Protocol string     `yaml:"protocol"`
	// FWMark makes this a firewall-mark service; Ports lists the
	// destination ports that get the mark (seed 002: 80 and 443 as 3).
	FWMark      uint32        `yaml:"fwmark"`
	Ports       []uint16      `yaml:"ports"`
	Scheduler   string        `yaml:"scheduler"`
	Persistence *Persistence  `yaml:"persistence"`
	Forward     Forward       `yaml:"forward"`
	RealServers []*RealServer `yaml:"realservers"`
	Check       *Check        `yaml:"check"`
	// SorryServer is keepalived's sorry_server: the server it puts in
	// the table, alone, once the live real servers' weights add up to
	// less than Quorum (every real server down, by default). It needs a
	// Check; its weight, thresholds and check do not apply.
	SorryServer *RealServer `yaml:"sorry_server"`
	// Quorum is keepalived's quorum: the least total weight of live real
	// servers the service runs on (keepalived's default 1). Below it,
	// the sorry server replaces the live real servers.
	Quorum int `yaml:"quorum"`
	// Hysteresis is keepalived's hysteresis: quorum is lost below
	// Quorum-Hysteresis and regained at Quorum+Hysteresis.
	Hysteresis int `yaml:"hysteresis"`
}

// Backends are the service's real servers and then its sorry server, if
// any: every node that serves the VIP and needs a backend running and
// the method's real-server setup.
func (svc *Service) Backends() []*RealServer {
	if svc.SorryServer == nil {
		return svc.RealServers
	}
	return append(append([]*RealServer(nil), svc.RealServers...), svc.SorryServer)
}

// Persistence is ipvsadm's -p and -M.
type Persistence struct {
	Timeout uint32     `yaml:"timeout"` // seconds
	Netmask netip.Addr `yaml:"netmask"` // default 255.255.255.255
}

// RealServer is one destination of a service.
type RealServer struct {
	Node string `yaml:"node"`
	// RIP defaults to the node's address on the director's segment (DR,
	// NAT) or its primary address (TUN).
	RIP    netip.Addr `yaml:"rip"`
	Port   uint16     `yaml:"port"` // default: the service port
	Weight *int       `yaml:"weight"`
	Upper  uint32     `yaml:"upper"`
	Lower  uint32     `yaml:"lower"`
	// Server is the program that answers on the node: ServerBuiltin
	// (lvslab's own backend; the default) or ServerNginx (Debian's nginx,
	// HTTP only). A node runs one server, so every entry naming the node
	// must agree.
	Server string `yaml:"server"`
}

// Servers a real server may run (RealServer.Server).
const (
	// ServerBuiltin is lvslab's own backend (lvslab-serve): HTTP with
	// the node's name, the client's and the local address, and TCP and
	// UDP echo.
	ServerBuiltin = "builtin"
	// ServerNginx is Debian's nginx serving a page that names the node.
	ServerNginx = "nginx"
)

// Servers lists the values RealServer.Server takes.
var Servers = []string{ServerBuiltin, ServerNginx}

// ServerOf is the server node runs as a real or sorry server:
// ServerBuiltin unless an entry for it says otherwise.
func (s *Spec) ServerOf(node string) string {
	for _, svc := range s.Services {
		if svc == nil {
			continue
		}
		if rs := svc.Backend(node); rs != nil && rs.Server != "" {
			return rs.Server
		}
	}
	return ServerBuiltin
}

// Check is a keepalived health checker for a service's real servers.
type Check struct {
	Type             string `yaml:"type"` // TCP_CHECK, HTTP_GET, MISC_CHECK
	DelayLoop        int    `yaml:"delay_loop"`
	ConnectTimeout   int    `yaml:"connect_timeout"`
	Retry            int    `yaml:"retry"`
	DelayBeforeRetry int    `yaml:"delay_before_retry"`
	Warmup           *int   `yaml:"warmup"`
	URL              string `yaml:"url"`
	StatusCode       int    `yaml:"status_code"`
	Script           string `yaml:"script"`
	InhibitOnFailure bool   `yaml:"inhibit_on_failure"`
	// ConnectPort is keepalived's connect_port: the port a TCP_CHECK or
	// HTTP_GET connects to when it is not the real server's. The real
	// servers listen there too.
	ConnectPort uint16 `yaml:"connect_port"`
}

// VRRP is one keepalived vrrp_instance shared by a pair of directors.
type VRRP struct {
	Name      string         `yaml:"name"` // VI_1
	VRID      uint8          `yaml:"vrid"`
	Interface string         `yaml:"interface"`
	AdvertInt int            `yaml:"advert_int"`
	Auth      *Auth          `yaml:"auth"`
	VIPs      []netip.Prefix `yaml:"vips"`
	Members   []*Member      `yaml:"members"`
	// Unicast sends the adverts to the other members' addresses on
	// Interface (unicast_src_ip, unicast_peer) instead of the multicast
	// group 224.0.0.18.
	Unicast bool `yaml:"unicast"`
	// TrackScripts names the vrrp_scripts whose result changes this
	// instance's priority (track_script).
	TrackScripts []string `yaml:"track_scripts"`
	// SyncDaemon is the interface of the kernel's connection sync daemon
	// (global_defs lvs_sync_daemon IFACE INSTANCE): master daemon while
	// this instance is MASTER, backup daemon otherwise. At most one
	// instance per director.
	SyncDaemon string `yaml:"sync_daemon"`
	// Notify is a program keepalived runs on each state change of the
	// instance, with the arguments INSTANCE NAME STATE PRIORITY (notify).
	Notify string `yaml:"notify"`
}

// VRRPScript is a keepalived vrrp_script: a command run every Interval
// seconds. After Fall failures in a row it is down, after Rise successes
// up again. While down, a tracking instance's priority changes by Weight
// (negative lowers it); with Weight 0 the instance goes to FAULT.
type VRRPScript struct {
	Name     string `yaml:"name"`
	Script   string `yaml:"script"` // an absolute path, then arguments
	Interval int    `yaml:"interval"`
	// Timeout is how long a run may take before it counts as failed
	// (keepalived's default: Interval).
	Timeout int `yaml:"timeout"`
	Weight  int `yaml:"weight"`
	Fall    int `yaml:"fall"`
	Rise    int `yaml:"rise"`
}

// Auth is VRRP authentication, e.g. PASS 1111.
type Auth struct {
	Type string `yaml:"type"`
	Pass string `yaml:"pass"`
}

// Member is one director's part in a VRRP instance.
type Member struct {
	Node         string `yaml:"node"`
	State        string `yaml:"state"` // MASTER or BACKUP
	Priority     int    `yaml:"priority"`
	NoPreempt    bool   `yaml:"nopreempt"`
	PreemptDelay int    `yaml:"preempt_delay"`
}
