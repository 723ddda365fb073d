// Package iptables reads iptables rules: iptables-save text, and iptables-nft's nf_tables tables over netlink.
package iptables
