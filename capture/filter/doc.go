// Package filter compiles pcap-filter(7) expressions to classic BPF without libpcap, and runs classic BPF (with Linux ancillary loads) in user space.
package filter
