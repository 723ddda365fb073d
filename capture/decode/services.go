package decode

import (
	"bufio"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
)

var (
	servicesOnce sync.Once
	services     map[string]map[uint16]string
)

// servicesPath is read once, as tcpdump reads it with getservent(3).
var servicesPath = "/etc/services"

// serviceName returns the first /etc/services name for port/proto, as
// tcpdump prints ports without -nn.
func serviceName(proto string, port uint16) string {
	servicesOnce.Do(loadServices)
	return services[proto][port]
}

func loadServices() {
	services = map[string]map[uint16]string{"tcp": {}, "udp": {}}
	f, err := os.Open(servicesPath)
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		portStr, proto, ok := strings.Cut(fields[1], "/")
		if !ok {
			continue
		}
		m := services[proto]
		if m == nil {
			continue
		}
		port, err := strconv.ParseUint(portStr, 10, 16)
		if err != nil {
			continue
		}
		if _, dup := m[uint16(port)]; !dup {
			m[uint16(port)] = fields[0]
		}
	}
}

var (
	protocolsOnce sync.Once
	protocols     map[uint8]string
)

// protocolName returns the /etc/protocols name of an IP protocol number, as
// tcpdump's netdb_protoname (getprotobynumber(3)) does.
func protocolName(proto uint8) string {
	protocolsOnce.Do(func() {
		protocols = map[uint8]string{}
		f, err := os.Open("/etc/protocols")
		if err != nil {
			return
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line := sc.Text()
			if i := strings.IndexByte(line, '#'); i >= 0 {
				line = line[:i]
			}
			fields := strings.Fields(line)
			if len(fields) < 2 {
				continue
			}
			n, err := strconv.ParseUint(fields[1], 10, 8)
			if err != nil {
				continue
			}
			if _, dup := protocols[uint8(n)]; !dup {
				protocols[uint8(n)] = fields[0]
			}
		}
	})
	return protocols[proto]
}

var (
	ethersOnce sync.Once
	ethers     map[[6]byte]string
)

// etherName returns the /etc/ethers name of a MAC address, or "Broadcast".
func etherName(a [6]byte) string {
	ethersOnce.Do(func() {
		ethers = map[[6]byte]string{}
		f, err := os.Open("/etc/ethers")
		if err == nil {
			defer f.Close()
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				line := sc.Text()
				if i := strings.IndexByte(line, '#'); i >= 0 {
					line = line[:i]
				}
				fields := strings.Fields(line)
				if len(fields) < 2 {
					continue
				}
				hw, err := net.ParseMAC(fields[0])
				if err != nil || len(hw) != 6 {
					continue
				}
				if _, dup := ethers[[6]byte(hw)]; !dup {
					ethers[[6]byte(hw)] = fields[1]
				}
			}
		}
		bc := [6]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
		if _, ok := ethers[bc]; !ok {
			ethers[bc] = "Broadcast"
		}
	})
	return ethers[a]
}
