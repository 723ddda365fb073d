// Package nfexpr decodes nf_tables rule expressions in place, for the
// readers of nf_tables rules: package nftables (nft text) and package
// iptables (iptables-nft-save text). It also names verdicts.
package nfexpr
