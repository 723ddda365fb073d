// Package node finds the pods, containers and processes on this node and the
// network namespaces they live in, merged from CRI, the Docker API, kubelet's
// files, cgroups and a scan of every netns, and resolves a pod selector to a Pod.
package node
