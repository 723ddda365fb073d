package iptables

// Values of BackendStatus.Source besides a binary's path.
const (
	// SourceNetlink is BackendStatus.Source when the nf_tables
	// tables of iptables-nft were read over netlink instead of by a binary.
	SourceNetlink = "netlink"
	// SourceNoTables is BackendStatus.Source for the legacy
	// backend when the netns's /proc/net/ip_tables_names lists no table: no
	// legacy rules exist, and no binary was run to say so.
	SourceNoTables = "/proc/net/ip_tables_names"
)
