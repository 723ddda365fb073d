// Package nftrace follows packets through nf_tables with nftrace: a
// temporary table of its own marks matching packets (meta nftrace set 1)
// at the earliest hooks, and the kernel then reports every rule, return
// and policy each marked packet meets in every nf_tables table of the
// netns (iptables-nft's included) as NFT_MSG_TRACE messages on the
// NFNLGRP_NFTRACE group, like `nft monitor trace`.
//
// The table is created with NFT_TABLE_F_OWNER (Linux 5.12+): the kernel
// deletes it when the netlink socket that made it closes, so it goes away
// however netdiag ends, SIGKILL included. A kernel without owner tables is
// refused rather than left with a table nobody removes. iptables-legacy
// rules (x_tables) are not nf_tables and cannot be traced this way.
package nftrace
