package show

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/netdiag/netdiag/rtnl"
)

// WriteLinks writes links like `ip link show`.
func WriteLinks(w io.Writer, links []Link) error {
	var b bytes.Buffer
	for _, l := range links {
		writeLinkLines(&b, l)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// WriteAddrs writes links and their addresses like `ip addr show`.
func WriteAddrs(w io.Writer, links []Link) error {
	var b bytes.Buffer
	for _, l := range links {
		writeLinkLines(&b, l)
		for _, a := range l.Addrs {
			fmt.Fprintf(&b, "    %s %s/%d", a.Family, a.Local, a.PrefixLen)
			if a.Broadcast != "" {
				fmt.Fprintf(&b, " brd %s", a.Broadcast)
			}
			fmt.Fprintf(&b, " scope %s", a.Scope)
			if a.Family == "inet" {
				label := a.Label
				if label == "" {
					label = l.Name
				}
				fmt.Fprintf(&b, " %s", label)
			}
			b.WriteByte('\n')
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

func writeLinkLines(b *bytes.Buffer, l Link) {
	name := l.Name
	if l.Peer != "" {
		name += "@" + l.Peer
	}
	fmt.Fprintf(b, "%d: %s: <%s> mtu %d", l.Index, name, strings.Join(l.Flags, ","), l.MTU)
	if l.Master != "" {
		fmt.Fprintf(b, " master %s", l.Master)
	}
	fmt.Fprintf(b, " state %s\n", l.State)
	addr := l.Address
	if addr == "" {
		addr = "00:00:00:00:00:00"
	}
	fmt.Fprintf(b, "    link/%s %s", l.LinkType, addr)
	if l.LinkType == "ether" && slices.Contains(l.Flags, "BROADCAST") {
		b.WriteString(" brd ff:ff:ff:ff:ff:ff")
	}
	b.WriteByte('\n')
}

// WriteRoutes writes routes like `ip route show table all`: a route of a
// table other than main names its table.
func WriteRoutes(w io.Writer, routes []Route) error {
	var b bytes.Buffer
	for _, r := range routes {
		if r.Type != "unicast" {
			b.WriteString(r.Type + " ")
		}
		b.WriteString(r.Dst)
		if r.Gateway != "" {
			b.WriteString(" via " + r.Gateway)
		}
		if r.Dev != "" {
			b.WriteString(" dev " + r.Dev)
		}
		if r.Table != rtnl.TableMain {
			b.WriteString(" table " + tableName(r.Table))
		}
		if r.Protocol != "boot" && r.Protocol != "" {
			b.WriteString(" proto " + r.Protocol)
		}
		if r.Scope != "global" {
			b.WriteString(" scope " + r.Scope)
		}
		if r.Src != "" {
			b.WriteString(" src " + r.Src)
		}
		if r.Metric != 0 {
			b.WriteString(" metric " + strconv.Itoa(r.Metric))
		}
		b.WriteByte('\n')
	}
	_, err := w.Write(b.Bytes())
	return err
}

// WriteNeighbors writes neighbour entries like `ip neigh show`.
func WriteNeighbors(w io.Writer, neighbors []Neigh) error {
	var b bytes.Buffer
	for _, n := range neighbors {
		b.WriteString(n.Dst + " dev " + n.Dev)
		if n.LLAddr != "" {
			b.WriteString(" lladdr " + n.LLAddr)
		}
		if n.Router {
			b.WriteString(" router")
		}
		b.WriteString(" " + strings.Join(n.State, ",") + "\n")
	}
	_, err := w.Write(b.Bytes())
	return err
}
