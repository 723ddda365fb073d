package probe

import (
	"errors"
	"fmt"
	"net/netip"
	"syscall"
	"time"
)

// Kind classifies one probe attempt.
type Kind string

// Kinds of outcome. Only KindConnected and KindAnswered are successes.
const (
	// KindConnected: the TCP handshake completed.
	KindConnected Kind = "connected"
	// KindAnswered: the UDP probe got a datagram back.
	KindAnswered Kind = "answered"
	// KindRefused: the target answered the SYN with a RST (nothing listens).
	KindRefused Kind = "refused"
	// KindPortUnreachable: an ICMP port unreachable came back (UDP to a closed
	// port, or a firewall REJECT with icmp-port-unreachable).
	KindPortUnreachable Kind = "port-unreachable"
	// KindTimeout: TCP got no SYN-ACK, RST or ICMP error in time (a DROP rule,
	// a black hole, a host that is down beyond a router that says nothing).
	KindTimeout Kind = "timeout"
	// KindNoAnswer: the UDP probe got neither a reply nor an error in time:
	// the port is open but silent to this payload, or filtered.
	KindNoAnswer Kind = "no-answer"
	// KindNoRoute: the pod netns has no route to the address; nothing was sent.
	KindNoRoute Kind = "no-route"
	// KindNetUnreachable: ICMP network unreachable from a router.
	KindNetUnreachable Kind = "net-unreachable"
	// KindHostUnreachable: ICMP host unreachable (from a router whose ARP or
	// neighbour discovery for the address failed, e.g. a deleted pod's IP),
	// or a local "unreachable" route.
	KindHostUnreachable Kind = "host-unreachable"
	// KindAdminProhibited: ICMP communication administratively prohibited
	// (a REJECT rule with icmp-admin-prohibited / -host-prohibited /
	// -net-prohibited), or a local "prohibit" route.
	KindAdminProhibited Kind = "admin-prohibited"
	// KindProtoUnreachable: ICMP protocol unreachable.
	KindProtoUnreachable Kind = "proto-unreachable"
	// KindFragNeeded: ICMP fragmentation needed / packet too big (MTU in ICMP.Info).
	KindFragNeeded Kind = "frag-needed"
	// KindTTLExceeded: ICMP time exceeded: a routing loop.
	KindTTLExceeded Kind = "ttl-exceeded"
	// KindBlocked: a netfilter rule in the pod netns itself dropped the packet
	// on output (EPERM from connect or send).
	KindBlocked Kind = "blocked-locally"
	// KindError: anything else; Outcome.Err says what.
	KindError Kind = "error"
)

// OK reports whether the attempt reached a listening peer.
func (k Kind) OK() bool { return k == KindConnected || k == KindAnswered }

// Outcome is the result of one TCP connect or UDP probe.
type Outcome struct {
	Kind Kind
	// RTT is the time from connect (TCP) or send (UDP) to the answer or
	// error; the whole timeout for KindTimeout and KindNoAnswer.
	RTT time.Duration
	// From is who sent the ICMP error, when one came: a router, the target,
	// or this netns's own address for errors the kernel raised locally
	// (neighbour resolution failed). Invalid otherwise.
	From netip.Addr
	// ICMP is the queued error in full, nil when none came.
	ICMP *ICMP
	// Local is the address and port the probe used.
	Local netip.AddrPort
	// Bytes is the size of the UDP reply.
	Bytes int
	// Err is the errno or timeout behind a failed attempt; nil on success.
	Err error
}

// String says what happened in a few words, e.g.
// "port unreachable from 198.18.0.12 (ICMP 3/3)".
func (o Outcome) String() string {
	s := string(o.Kind)
	switch o.Kind {
	case KindConnected:
		return "connected in " + fmtDur(o.RTT)
	case KindAnswered:
		return fmt.Sprintf("answered with %d bytes in %s", o.Bytes, fmtDur(o.RTT))
	case KindRefused:
		return "refused (RST) in " + fmtDur(o.RTT)
	case KindTimeout:
		return "timeout: no answer in " + fmtDur(o.RTT)
	case KindNoAnswer:
		return "no answer in " + fmtDur(o.RTT) + " (open and silent, or filtered)"
	case KindNoRoute:
		return "no route to host in this netns"
	}
	switch {
	case o.From.IsValid() && o.From == o.Local.Addr():
		// The kernel sends itself an ICMP error when neighbour resolution fails.
		s += " from this netns (no ARP/ND reply from the next hop)"
	case o.From.IsValid():
		s += " from " + o.From.String()
	}
	if o.ICMP != nil && o.ICMP.Origin != "local" {
		s += fmt.Sprintf(" (%s %d/%d)", o.ICMP.Origin, o.ICMP.Type, o.ICMP.Code)
		if o.Kind == KindFragNeeded && o.ICMP.Info > 0 {
			s += fmt.Sprintf(" mtu %d", o.ICMP.Info)
		}
	} else if o.Err != nil {
		s += " (" + o.Err.Error() + ")"
	}
	return s + " in " + fmtDur(o.RTT)
}

func fmtDur(d time.Duration) string {
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond).String()
	}
	return d.Round(time.Microsecond).String()
}

// classify sets o.Kind, o.From and o.Err from the error of a failed attempt
// and the queued ICMP error, if any.
func classify(o *Outcome, err error, tcp bool) {
	o.Err = err
	if errors.Is(err, errTimeout) {
		o.Err = ErrTimeout
	}
	if e := o.ICMP; e != nil && e.Origin != "local" {
		o.From = e.From
		o.Kind = icmpKind(e)
		return
	}
	var en syscall.Errno
	if !errors.As(err, &en) {
		if errors.Is(err, errTimeout) {
			o.Kind = KindTimeout
			if !tcp {
				o.Kind = KindNoAnswer
			}
			return
		}
		o.Kind = KindError
		return
	}
	switch en {
	case syscall.ECONNREFUSED:
		o.Kind = KindRefused
		if !tcp {
			o.Kind = KindPortUnreachable
		}
	case syscall.ENETUNREACH, syscall.EINVAL:
		// EINVAL: a blackhole route.
		o.Kind = KindNoRoute
	case syscall.EHOSTUNREACH, syscall.EHOSTDOWN:
		o.Kind = KindHostUnreachable
	case syscall.EACCES:
		o.Kind = KindAdminProhibited
	case syscall.EPERM:
		o.Kind = KindBlocked
	case syscall.ETIMEDOUT:
		o.Kind = KindTimeout
	case syscall.EMSGSIZE:
		o.Kind = KindFragNeeded
	case syscall.EPROTO:
		o.Kind = KindProtoUnreachable
	default:
		o.Kind = KindError
	}
}

// icmpKind maps an ICMP or ICMPv6 type and code (RFC 792, 1812, 4443).
func icmpKind(e *ICMP) Kind {
	if e.Origin == "icmp6" {
		switch e.Type {
		case 1: // destination unreachable
			switch e.Code {
			case 0:
				return KindNetUnreachable
			case 1, 5, 6:
				return KindAdminProhibited
			case 4:
				return KindPortUnreachable
			}
			return KindHostUnreachable
		case 2:
			return KindFragNeeded
		case 3:
			return KindTTLExceeded
		}
		return KindError
	}
	switch e.Type {
	case 3: // destination unreachable
		switch e.Code {
		case 0, 6, 11:
			return KindNetUnreachable
		case 2:
			return KindProtoUnreachable
		case 3:
			return KindPortUnreachable
		case 4:
			return KindFragNeeded
		case 9, 10, 13, 14, 15:
			return KindAdminProhibited
		}
		return KindHostUnreachable
	case 11:
		return KindTTLExceeded
	}
	return KindError
}

// errTimeout is what waitFD returns when the deadline passes.
var errTimeout = errors.New("timeout")

// ICMP is an error the kernel queued on a socket (struct sock_extended_err):
// an ICMP or ICMPv6 message from a router or the target, or a local error.
type ICMP struct {
	// Origin is "icmp", "icmp6" or "local".
	Origin string `json:"origin"`
	// Type and Code of the ICMP message (0 for local errors).
	Type uint8 `json:"type"`
	Code uint8 `json:"code"`
	// Errno is the error the kernel derived from the message.
	Errno syscall.Errno `json:"-"`
	// From is the address that sent the ICMP message (SO_EE_OFFENDER);
	// invalid when the kernel did not say.
	From netip.Addr `json:"from"`
	// Info is the next-hop MTU of "fragmentation needed" / "packet too big".
	Info uint32 `json:"info,omitempty"`
}
