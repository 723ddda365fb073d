package ipvs

import (
	"fmt"

	"github.com/mdlayher/genetlink"

	"github.com/netdiag/netdiag/nsutil"
)

// Dump reads the IPVS table of ns (nil: the caller's netns). Equivalent
// to `ipvsadm -Ln`. Without IPVS it returns ErrNotLoaded.
func Dump(ns *nsutil.NetNS) (*State, error) {
	var c *genetlink.Conn
	dial := func() error {
		var err error
		c, err = genetlink.Dial(nil)
		return err
	}
	var err error
	if ns == nil {
		err = dial()
	} else {
		err = ns.Do(dial)
	}
	if err != nil {
		return nil, fmt.Errorf("open generic netlink socket: %w", explainNetlink(err))
	}
	defer c.Close()
	return DumpConn(c)
}
