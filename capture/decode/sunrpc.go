package decode

// ONC RPC (RFC 5531) message framing shared by the NFS printer: tcpdump
// 4.99 prints RPC only for NFS on port 2049; the portmapper on port 111 is
// left to the transport's plain line, as tcpdump does.

const (
	rpcCall  = 0
	rpcReply = 1

	rpcXidMapSize = 64
)

// rpcXidEnt remembers one call so its reply can be decoded: a reply
// carries no procedure number.
type rpcXidEnt struct {
	xid            uint32
	ipver          int
	client, server [16]byte
	proc, vers     uint32
}

// rpcXids is tcpdump's ring of the last 64 calls, searched from where the
// last match was found.
type rpcXids struct {
	ents       [rpcXidMapSize]rpcXidEnt
	next, hint int
}

func ipVer(info ipInfo) int {
	if info.v6 {
		return 6
	}
	return 4
}

// enter records a call from info.src (client) to info.dst (server).
func (x *rpcXids) enter(info ipInfo, xid, proc, vers uint32) {
	e := &x.ents[x.next]
	x.next = (x.next + 1) % rpcXidMapSize
	*e = rpcXidEnt{xid: xid, ipver: ipVer(info), proc: proc, vers: vers}
	copy(e.client[:], info.src)
	copy(e.server[:], info.dst)
}

// find looks up the call a reply from info.src (server) answers.
func (x *rpcXids) find(info ipInfo, xid uint32) (proc, vers uint32, ok bool) {
	var src, dst [16]byte
	copy(src[:], info.src)
	copy(dst[:], info.dst)
	i := x.hint
	for {
		e := &x.ents[i]
		if e.ipver == ipVer(info) && e.xid == xid && e.server == src && e.client == dst {
			x.hint = i
			return e.proc, e.vers, true
		}
		i = (i + 1) % rpcXidMapSize
		if i == x.hint {
			return 0, 0, false
		}
	}
}

var rpcAuthStat = map[uint32]string{
	0: "OK", 1: "Bogus Credentials (seal broken)",
	2: "Rejected Credentials (client should begin new session)",
	3: "Bogus Verifier (seal broken)", 4: "Verifier expired or was replayed",
	5: "Credentials are too weak", 6: "Bogus response verifier", 7: "Unknown failure",
}

var rpcAcceptStat = map[uint32]string{
	1: "PROG_UNAVAIL", 2: "PROG_MISMATCH", 3: "PROC_UNAVAIL", 4: "GARBAGE_ARGS", 5: "SYSTEM_ERR",
}
