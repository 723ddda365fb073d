// Package nftables reads the nf_tables ruleset of a network namespace over netlink.
package nftables
