// Package decode prints packets as one line of text each, exactly as
// tcpdump 4.99 does for the protocols netdiag knows.
package decode
