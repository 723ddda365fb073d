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

// protocolName returns the name tcpdump prints for an IP protocol it does not
// decode when run without -n (its built-in IANA keyword table).
func protocolName(proto uint8) string { return ipProtoKeywords[proto] }

var (
	ethersOnce sync.Once
	ethers     map[[6]byte]string
)

// etherName returns the /etc/ethers name of a MAC address, or "Broadcast",
// as tcpdump's ether_ntohost(3) lookup and built-in names do.
func etherName(a [6]byte) string {
	ethersOnce.Do(func() {
		ethers = map[[6]byte]string{}
		if f, err := os.Open("/etc/ethers"); err == nil {
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
