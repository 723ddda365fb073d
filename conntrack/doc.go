// Package conntrack reads and changes the netfilter connection tracking table of a network namespace over ctnetlink.
package conntrack
