// Package stale finds processes left in a pod after the container runtime lost track of them.
package stale
