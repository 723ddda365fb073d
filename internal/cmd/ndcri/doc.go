// Command ndcri is a small CRI client for netdiag's real-node tests: it runs
// and removes pods and containers through containerd's CRI socket, lists them
// as JSON, and builds the busybox OCI image the test node uses.
package main
