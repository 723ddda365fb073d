// Package socklab builds two network namespaces joined by a veth and opens
// sockets in them, for the tests of packages that read socket and
// connection state.
//
// The lab needs Linux network namespaces: it builds only on Linux, and the
// tests that use it are _linux_test.go files.
package socklab
