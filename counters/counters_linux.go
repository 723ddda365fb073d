package counters

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/netdiag/netdiag/internal/hostfile"
	"github.com/netdiag/netdiag/nsutil"
)

// Read reads /proc/net/snmp, snmp6 and netstat of netns ns. It reads
// them through /proc/thread-self/net from a thread inside ns: /proc/self/net
// would show the netns of the process's main thread instead.
// Equivalent to: `ip netns exec NS nstat -az`, without nstat's history.
func Read(ns *nsutil.NetNS) (List, error) {
	var out List
	err := ns.Do(func() error {
		var err error
		out, err = ReadDir("/proc/thread-self/net")
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read counters of netns %s: %w", ns.Path(), err)
	}
	return out, nil
}

// ReadDir reads the counter files in dir, a /proc/PID/net directory
// or a copy of one.
func ReadDir(dir string) (List, error) {
	var out List
	for _, f := range counterFiles {
		b, err := hostfile.ReadFile(dir+"/"+f.name, maxProcTable)
		if err != nil {
			if f.optional && errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return nil, fmt.Errorf("read %s: %w", f.name, err)
		}
		var cs List
		if f.name == "snmp6" {
			cs, err = ParseList(b)
		} else {
			cs, err = ParseTable(b)
		}
		if err != nil {
			return nil, fmt.Errorf("parse %s/%s: %w", dir, f.name, err)
		}
		out = append(out, cs...)
	}
	return out, nil
}

// counterFiles are read in nstat's order; snmp6 is absent when IPv6 is disabled.
var counterFiles = []struct {
	name     string
	optional bool
}{{"snmp", false}, {"snmp6", true}, {"netstat", false}}

// maxProcTable bounds what is read of one /proc/net table.
const maxProcTable = 16 << 20

// maxSoftnet bounds /proc/net/softnet_stat: 8192 CPUs of 15 columns.
const maxSoftnet = 8192 * 15 * 9

// ReadSoftnet reads /proc/net/softnet_stat from inside ns, as Read does.
// Its counters are per CPU and kernel-wide: every netns shows the same.
// Equivalent to: `cat /proc/net/softnet_stat`, parsed.
func ReadSoftnet(ns *nsutil.NetNS) ([]Softnet, error) {
	var out []Softnet
	err := ns.Do(func() error {
		b, err := hostfile.ReadFile("/proc/thread-self/net/softnet_stat", maxSoftnet)
		if err != nil {
			return err
		}
		out, err = ParseSoftnet(b)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read softnet_stat of netns %s: %w", ns.Path(), err)
	}
	return out, nil
}
