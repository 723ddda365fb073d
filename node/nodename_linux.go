package node

import "golang.org/x/sys/unix"

// unameNodename is uname(2)'s nodename: the hostname of our UTS namespace.
func unameNodename() (string, bool) {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return "", false
	}
	return unix.ByteSliceToString(u.Nodename[:]), true
}
