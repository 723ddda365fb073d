// Package sockdiag lists the sockets of a network namespace over sock_diag(7) netlink.
package sockdiag
