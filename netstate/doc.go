// Package netstate reads snapshots of kernel network state inside one network namespace.
package netstate
