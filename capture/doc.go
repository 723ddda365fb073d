// Package capture captures packets with AF_PACKET TPACKET_V3 rings inside any
// network namespace and writes them to pcap, pcapng or rotating files.
package capture
