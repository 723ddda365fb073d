// Package pcapio reads and writes pcap and pcapng capture files as libpcap and
// Wireshark do, without cgo.
package pcapio
