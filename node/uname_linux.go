package node

import "golang.org/x/sys/unix"

// KernelRelease is uname(2)'s release, as `uname -r` prints it
// ("6.8.0-45-generic"); "" when uname fails.
func KernelRelease() string {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return ""
	}
	return unix.ByteSliceToString(u.Release[:])
}
