// Package filter compiles pcap-filter(7) expressions to classic BPF without libpcap, and runs classic BPF (with Linux ancillary loads) in user space.
//
// Compile takes what libpcap 1.10 compiles for the link types EN10MB,
// LINUX_SLL, LINUX_SLL2, RAW, IPV4 and IPV6, to programs of the same
// meaning, and refuses what libpcap refuses there: hosts, networks (also
// abbreviated, `net 10.0/16`, `net 192.168 mask 255.255`, and named in
// networks(5)), Ethernet hosts (also named in ethers(5)), ports and port
// ranges, protocols and `proto`/`protochain`, `less`/`greater`/`byte`,
// loads and arithmetic, broadcast and multicast, vlan, mpls, pppoed,
// pppoes, geneve, inbound/outbound/ifindex, `llc` and its frame types, the
// ISO protocols (`iso`, `clnp`, `esis`, `isis`, `l1`, `l2`, `iih`, `lsp`,
// `snp`, `csnp`, `psnp`), DECnet hosts (`decnet src 1.2`), and IPX,
// AppleTalk, AARP, STP, NetBEUI, LAT, SCA and MOP. It also compiles vxlan,
// as libpcap 1.11 does. `gateway` is refused, as libpcap 1.10 built with
// IPv6 refuses it. Keywords of other link types (802.11, ATM, SS7, pf) are
// refused as libpcap refuses them on these. The differential tests
// (diff_test.go, names_diff_linux_test.go, messages_test.go) hold it to that.
package filter
