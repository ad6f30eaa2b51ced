// Package director owns what a lab's directors do in the kernel: the IPVS
// virtual service table, the VIP on the director, and the firewall marks
// that select firewall-mark services. It reads the table back (services,
// real servers, counters, the connection table) and prints it exactly as
// ipvsadm does, so ipvsadm can serve as the oracle.
//
// # Handles
//
// [Open] binds a [Director] to one node's namespace (a moby/ipvs
// generic-netlink socket); its methods are ipvsadm's commands: AddService
// (-A), EditService (-E), DeleteService (-D), AddRealServer (-a),
// EditRealServer (-e; weight 0 quiesces), DeleteRealServer (-d), Flush
// (-C), Snapshot (-L). They take the lab file's [topo.Service] and
// [topo.RealServer]. [Program] does all of a lab file's services of one
// director at once, as `lvslab up` needs.
//
// # Beyond IPVS
//
// [PlaceVIP] puts a VIP where its forwarding method needs it (`ip addr add
// VIP/32 dev IF`, ip_forward for NAT). [Mark] and [Unmark] add and remove
// the mangle rule of a firewall-mark service, in-process with nftables in
// the director's namespace, in a table of its own ([MarkTable]).
//
// # Reading and printing
//
// [Snapshot] returns a [Table]: services and real servers from netlink, the
// connection table parsed by [ParseConns] from /proc/net/ip_vs_conn read
// inside the namespace. [FormatTable], [FormatStats] and [FormatConns]
// print `ipvsadm -Ln`, `-Ln --stats` and `-Lnc`, byte for byte, including
// ipvsadm's wrap-around sort order (see [Table.Sort]).
//
// # Reading a dump
//
// [ParseSave] reads an `ipvsadm-save` / `ipvsadm -Sn` dump (the -A and -a
// lines, short or long options, every flag ipvsadm writes) into
// [SavedService]s with their line numbers, all malformed lines reported
// at once ([SaveErrors]); [SavedService.SaveLines] prints one back as
// ipvsadm 1.31 does. What ipvsadm 1.31 writes, learnt from the real tool
// (testdata/save/gen.sh, run in the guest kernel): a bare -p is saved as
// `-p 360`; the thresholds -x/-y are not saved; a DR or TUN real server's
// port is the service's whatever -r said; -i adds `--tun-type ipip`.
//
// # Pitfalls handled here
//
//   - moby/ipvs sends a zero netmask unless told otherwise, which puts every
//     client under one persistence template: the netmask is always set.
//   - moby/ipvs writes the netmask in host byte order while the kernel
//     keeps it in network order: netmasks are converted both ways.
//   - moby/ipvs's UpdateService overwrites every service flag: EditService
//     reads the current flags first.
//   - A scheduler the kernel lacks (twos, absent from Debian 12's 6.1) is reported as
//     [ErrSchedulerNotFound].
package director
