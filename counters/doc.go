// Package counters reads the protocol counters of a network namespace from /proc/net/snmp, snmp6 and netstat.
package counters
