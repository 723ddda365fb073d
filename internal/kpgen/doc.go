// Package kpgen writes kube-proxy's iptables and nftables rules for made-up services, the way kube-proxy writes them, so tests can load them into lab namespaces.
package kpgen
