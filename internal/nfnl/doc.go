// Package nfnl speaks NETLINK_NETFILTER for the nftables and iptables
// readers: a socket that parses replies in place, and an attribute walker.
package nfnl
