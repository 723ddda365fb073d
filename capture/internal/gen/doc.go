// Package gen sends bounded streams of UDP-in-Ethernet frames from an
// AF_PACKET socket, for capture tests and benchmarks on lab veths.
package gen
