package iptables

import "errors"

// Errors of package iptables; test with errors.Is.
var (
	// ErrSyntax marks iptables-save text that cannot be parsed.
	ErrSyntax = errors.New("malformed iptables-save output")
	// ErrNoBinary means neither the node (under the host root) nor this
	// system has the iptables-save binary of a backend. Legacy x_tables rules can
	// only be read through that binary; there is no pure-Go reader.
	ErrNoBinary = errors.New("no iptables-save binary found")
	// ErrUntranslatable means a rule holds an expression the netlink
	// reader cannot turn into iptables-save text with certainty; run the
	// iptables-nft-save binary instead.
	ErrUntranslatable = errors.New("iptables-nft rule not translatable from netlink")
	// ErrNotSupported means this system has no such kernel interface:
	// the reader needs Linux.
	ErrNotSupported = errors.New("not supported on this system")
)
