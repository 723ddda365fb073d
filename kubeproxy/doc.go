// Package kubeproxy decodes kube-proxy's iptables, IPVS and nftables state into services and their endpoints.
package kubeproxy
