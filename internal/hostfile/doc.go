// Package hostfile reads the node's files (anything under the host root, and
// /proc and /sys files read by path) without trusting them: only regular
// files, never more than a limit, and never an open that could block (a
// FIFO) or act on a device (a symlink to /dev/urandom, /dev/watchdog).
package hostfile
