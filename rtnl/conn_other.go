//go:build !linux

package rtnl

import (
	"fmt"
	"runtime"

	"github.com/netdiag/netdiag/nsutil"
)

// rtnetlink is a Linux interface: elsewhere Dial returns an error wrapping
// ErrNotSupported, and the types and parsers still build.

func errNotSupported() error {
	return fmt.Errorf("%w: rtnetlink is not implemented on %s", ErrNotSupported, runtime.GOOS)
}

// Conn is not implemented on this GOOS.
type Conn struct{}

// Dial is not implemented on this GOOS.
func Dial(ns *nsutil.NetNS) (*Conn, error) { return nil, errNotSupported() }

// Close is not implemented on this GOOS.
func (c *Conn) Close() error { return errNotSupported() }

// Links is not implemented on this GOOS.
func (c *Conn) Links() ([]Link, error) { return nil, errNotSupported() }

// LinkByName is not implemented on this GOOS.
func (c *Conn) LinkByName(name string) (Link, error) { return Link{}, errNotSupported() }

// LinkByIndex is not implemented on this GOOS.
func (c *Conn) LinkByIndex(index int) (Link, error) { return Link{}, errNotSupported() }

// Addrs is not implemented on this GOOS.
func (c *Conn) Addrs(family, index int) ([]Address, error) { return nil, errNotSupported() }

// Routes is not implemented on this GOOS.
func (c *Conn) Routes(family, table int) ([]Route, error) { return nil, errNotSupported() }

// Neighbors is not implemented on this GOOS.
func (c *Conn) Neighbors(family int) ([]Neighbor, error) { return nil, errNotSupported() }

// NetNSID is not implemented on this GOOS.
func (c *Conn) NetNSID(fd int) (int, error) { return -1, errNotSupported() }
