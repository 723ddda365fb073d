package decode

import (
	"encoding/binary"
	"strconv"
)

// NFS v2/v3 (RFC 1094, RFC 1813) over ONC RPC, printed as tcpdump 4.99's
// print-nfs.c does: calls with their procedure and arguments, replies
// decoded by the procedure of the call with the same xid.

// Generic procedure numbers (NFSv3's, plus NQNFS's nop); NFSv2's are
// mapped to them.
const (
	nfsNull = iota
	nfsGetattr
	nfsSetattr
	nfsLookup
	nfsAccess
	nfsReadlink
	nfsRead
	nfsWrite
	nfsCreate
	nfsMkdir
	nfsSymlink
	nfsMknod
	nfsRemove
	nfsRmdir
	nfsRename
	nfsLink
	nfsReaddir
	nfsReaddirplus
	nfsFsstat
	nfsFsinfo
	nfsPathconf
	nfsCommit
	// 22-24 are NQNFS's lease procedures, which tcpdump does not name.
	nfsNoop = 25
)

var nfsV2Procs = [26]uint32{nfsNull, nfsGetattr, nfsSetattr, nfsNoop, nfsLookup, nfsReadlink,
	nfsRead, nfsNoop, nfsWrite, nfsCreate, nfsRemove, nfsRename, nfsLink, nfsSymlink, nfsMkdir,
	nfsRmdir, nfsReaddir, nfsFsstat, nfsNoop, nfsNoop, nfsNoop, nfsNoop, nfsNoop, nfsNoop,
	nfsNoop, nfsNoop}

var nfsProcNames = [...]string{"null", "getattr", "setattr", "lookup", "access", "readlink",
	"read", "write", "create", "mkdir", "symlink", "mknod", "remove", "rmdir", "rename", "link",
	"readdir", "readdirplus", "fsstat", "fsinfo", "pathconf", "commit"}

var nfsStatus = map[uint32]string{
	1: "Operation not permitted", 2: "No such file or directory", 5: "Input/output error",
	6: "Device not configured", 11: "Resource deadlock avoided", 12: "Cannot allocate memory",
	13: "Permission denied", 17: "File exists", 18: "Cross-device link",
	19: "Operation not supported by device", 20: "Not a directory", 21: "Is a directory",
	22: "Invalid argument", 26: "Text file busy", 27: "File too large",
	28: "No space left on device", 30: "Read-only file system", 31: "Too many links",
	45: "Operation not supported", 62: "Too many levels of symbolic links",
	63: "File name too long", 66: "Directory not empty", 69: "Disc quota exceeded",
	70: "Stale NFS file handle", 71: "Too many levels of remote in path",
	99: "Write cache flushed to disk", 10001: "Illegal NFS file handle",
	10002: "Update synchronization mismatch", 10003: "READDIR/READDIRPLUS cookie is stale",
	10004: "Operation not supported", 10005: "Buffer or request is too small",
	10006: "Unspecified error on server", 10007: "Object of that type not supported",
	10008: "Request couldn't be completed in time",
}

var nfsTypes = map[uint32]string{0: "NON", 1: "REG", 2: "DIR", 3: "BLK", 4: "CHR", 5: "LNK", 7: "FIFO"}

var nfsWriteModes = map[uint32]string{0: "unstable", 1: "datasync", 2: "filesync"}

// nfsWriteMode is tok2str without a default format: "#%d" of the value.
func nfsWriteMode(m uint32) string {
	return tokStr(nfsWriteModes, m, "#"+strconv.Itoa(int(int32(m))))
}

func nfsProcName(proc uint32) string {
	if proc < uint32(len(nfsProcNames)) {
		return nfsProcNames[proc]
	}
	if proc == nfsNoop {
		return "nop"
	}
	return "proc-" + strconv.FormatUint(uint64(proc), 10)
}

// nfsTrunc is print-nfs.c's "goto trunc": " [|nfs]" ends the line without
// tcpdump's longjmp (the -x dump stays the usual one).
func (p *Printer) nfsTrunc() {
	p.s(" [|nfs]")
	panic(stopLine{})
}

func (p *Printer) hexPad(v uint64, w int) {
	h := strconv.FormatUint(v, 16)
	for i := len(h); i < w; i++ {
		p.c('0')
	}
	p.s(h)
}

// nfsTime prints tcpdump's "%u.%06u".
func (p *Printer) nfsTime(b []byte, off int) {
	p.u(uint64(p.be32(b, off)))
	p.c('.')
	p.hexless06(uint64(p.be32(b, off+4)))
}

func (p *Printer) hexless06(v uint64) {
	s := strconv.FormatUint(v, 10)
	for i := len(s); i < 6; i++ {
		p.c('0')
	}
	p.s(s)
}

func (p *Printer) be64(b []byte, off int) uint64 {
	return uint64(p.be32(b, off))<<32 | uint64(p.be32(b, off+4))
}

// nfsUDP prints an RPC message on UDP port 2049 and reports whether it was
// one (a call to 2049 or a reply from it).
func (p *Printer) nfsUDP(b []byte, length int, sport, dport uint16, info ipInfo) bool {
	if len(b) < 8 {
		return false
	}
	dir := binary.BigEndian.Uint32(b[4:])
	switch {
	case dport == 2049 && dir == rpcCall:
		p.s("NFS request xid ")
		p.u(uint64(binary.BigEndian.Uint32(b[0:])))
		p.c(' ')
		p.nfsRequest(b, length, info)
	case sport == 2049 && dir == rpcReply:
		p.s("NFS reply xid ")
		p.u(uint64(binary.BigEndian.Uint32(b[0:])))
		p.c(' ')
		p.nfsReply(b, length, info)
	default:
		return false
	}
	return true
}

// nfsReqStart is parsereq: the offset of the call's arguments past the
// credentials and verifier, or a truncation.
func (p *Printer) nfsReqStart(b []byte, length int) int {
	off := 24 // xid, direction, rpcvers, prog, vers, proc
	// tcpdump measures the credentials against the whole message length,
	// not what is left after the call header.
	if length < 8 {
		p.nfsTrunc()
	}
	n := int(p.be32(b, off+4))
	r := (n + 3) &^ 3
	if n < 0 || r < 0 || len(b) < off+8+r {
		p.nfsTrunc()
	}
	rest := length
	if 8+r > rest {
		p.nfsTrunc()
	}
	off += 8 + r
	rest -= 8 + r
	if rest < 8 {
		p.nfsTrunc()
	}
	n = int(p.be32(b, off+4))
	r = (n + 3) &^ 3
	if n < 0 || r < 0 || len(b) < off+8+r {
		p.nfsTrunc()
	}
	if 8+r >= rest {
		p.nfsTrunc()
	}
	return off + 8 + r
}

// nfsFH is parsefh: prints the handle and returns the offset past it.
func (p *Printer) nfsFH(b []byte, off int, v3 bool) int {
	words := 8
	if v3 {
		words = int(p.be32(b, off) / 4)
		off += 4
	}
	if words < 0 || len(b)-off < words*4 {
		p.nfsTrunc()
	}
	p.nfsPrintFH(b[off : off+words*4])
	return off + words*4
}

// nfsPrintFH is nfs_printfh with Parse_fh's guess of the server's handle
// layout; tcpdump names the file system by device numbers when it
// recognises the layout, and prints the handle in hex when it does not.
func (p *Printer) nfsPrintFH(fh []byte) {
	var f [32]byte
	copy(f[:], fh)
	major, minor, ino, kind := nfsParseFH(f, len(fh)/4)
	if kind == "ucx" {
		// The file system is named by the string after the first byte.
		name := fh[1:]
		if w := len(fh) / 4; w < len(name) {
			name = name[:w]
		}
		for i, c := range name {
			if c == 0 || c == ' ' {
				name = name[:i]
				break
			}
		}
		p.s(" fh ")
		p.s(string(name))
		p.c('/')
		p.u(uint64(ino))
		return
	}
	if kind == "" {
		name := "Unknown"
		if w := len(fh) / 4; w < len(name) {
			name = name[:w]
		}
		p.s(" fh ")
		p.s(name)
		p.c('/')
		const digits = "0123456789ABCDEF"
		n := len(fh)
		if n > 32 {
			n = 32
		}
		for _, c := range fh[:n] {
			p.c(digits[c>>4])
			p.c(digits[c&15])
		}
		return
	}
	p.s(" fh ")
	p.u(uint64(major))
	p.c(',')
	p.u(uint64(minor))
	p.c('/')
	p.u(uint64(ino))
}

// word is tcpdump's make_uint32: four bytes, the first most significant, in
// the order a handle layout stores them.
func word(a, b, c, d byte) uint32 { return uint32(a)<<24 | uint32(b)<<16 | uint32(c)<<8 | uint32(d) }

// nfsParseFH is Parse_fh's decision tree over the first bytes of a handle;
// kind "" is its FHT_UNKNOWN.
func nfsParseFH(f [32]byte, words int) (major, minor, ino uint32, kind string) {
	switch {
	case words < 4:
		return 0, 0, 0, ""
	case f[0] == 0 && f[1] == 0:
		switch {
		case f[2] == 0 && f[3] == 0:
			return uint32(f[6]), uint32(f[7]), word(f[12], f[13], f[14], f[15]), "auspex"
		case f[4] != 0 && f[5] == 0 && f[8] == 12 && f[9] == 0:
			return decOSF(f)
		case f[4] == 0 && f[5] == 8 && f[6] == 0 && f[7] == 0:
			return uint32(f[2]), uint32(f[3]), word(f[8], f[9], f[10], f[11]), "irix4"
		default:
			return uint32(f[2]), uint32(f[3]), word(f[12], f[13], f[14], f[15]), "sunos4"
		}
	case f[2] == 0 && f[3] == 0:
		switch {
		case f[6] == 0 && f[7] == 0:
			return uint32(f[1]), uint32(f[0]), word(f[15], f[14], f[13], f[12]), "bsd44"
		case words >= 6 && f[21] == 0 && f[23] == 0:
			return uint32(f[1]), uint32(f[0]), word(f[7], f[6], f[5], f[4]), "ultrix"
		case f[9] == 10:
			return sunOS5(f)
		}
		return 0, 0, 0, ""
	case f[8] == 12 && f[9] == 0:
		return decOSF(f)
	case f[8] == 0 && f[9] == 10:
		if f[4] == 0 && f[5] == 0 && f[6] == 0 && f[7] == 0 {
			return uint32(f[0]), word(0, f[1], f[2], f[3]), word(f[12], f[13], f[14], f[15]), "hpux9"
		}
		return sunOS5(f)
	}
	if words >= 7 && nfsIsUCX(f) {
		return 0, 0, word(f[26], f[27], f[23], f[22]), "ucx"
	}
	return 0, 0, 0, ""
}

func decOSF(f [32]byte) (major, minor, ino uint32, kind string) {
	t := word(f[3], f[2], f[1], f[0])
	return (t >> 20) & 0xfff, t & 0xfffff, word(f[15], f[14], f[13], f[12]), "decosf"
}

func sunOS5(f [32]byte) (major, minor, ino uint32, kind string) {
	major = (uint32(f[0])<<8 | uint32(f[1])) >> 2 & 0x3fff
	minor = word(0, f[1], f[2], f[3]) & 0x3ffff
	return major, minor, word(f[12], f[13], f[14], f[15]), "sunos5"
}

func nfsIsUCX(f [32]byte) bool {
	seenNull := false
	for _, c := range f[1:14] {
		switch {
		case c >= 0x20 && c < 0x7f:
			if seenNull {
				return false
			}
		case c == 0:
			seenNull = true
		default:
			return false
		}
	}
	return true
}

// nfsFN is parsefn: a quoted XDR string.
func (p *Printer) nfsFN(b []byte, off int) int {
	n := p.be32(b, off)
	off += 4
	if n > 0xffffffff-3 {
		p.s("[cannot pad to 32-bit boundaries] (invalid)")
		p.nfsTrunc()
	}
	r := int((n + 3) &^ 3)
	if len(b)-off < r {
		p.nfsTrunc()
	}
	p.c('"')
	p.printn(b[off : off+int(n)])
	p.c('"')
	return off + r
}

func (p *Printer) nfsFHN(b []byte, off int, v3 bool) int {
	off = p.nfsFH(b, off, v3)
	p.c(' ')
	return p.nfsFN(b, off)
}

var nfsAccessBits = []struct {
	bit  uint32
	name string
}{{1, "NFS_ACCESS_READ"}, {2, "NFS_ACCESS_LOOKUP"}, {4, "NFS_ACCESS_MODIFY"},
	{8, "NFS_ACCESS_EXTEND"}, {0x10, "NFS_ACCESS_DELETE"}, {0x20, "NFS_ACCESS_EXECUTE"}}

// nfsRequest is nfsreq_noaddr_print.
func (p *Printer) nfsRequest(b []byte, length int, info ipInfo) {
	p.proto = "nfs"
	p.u(uint64(length))
	if len(b) < 24 {
		p.nfsTrunc()
	}
	vers := binary.BigEndian.Uint32(b[16:])
	proc := binary.BigEndian.Uint32(b[20:])
	if p.rpcXids == nil {
		p.rpcXids = new(rpcXids)
	}
	p.rpcXids.enter(info, binary.BigEndian.Uint32(b[0:]), proc, vers)
	v3 := vers == 3
	if !v3 && proc < uint32(len(nfsV2Procs)) {
		proc = nfsV2Procs[proc]
	}
	p.c(' ')
	p.s(nfsProcName(proc))
	switch proc {
	case nfsGetattr, nfsSetattr, nfsReadlink, nfsFsstat, nfsFsinfo, nfsPathconf:
		p.nfsFH(b, p.nfsReqStart(b, length), v3)
	case nfsLookup, nfsCreate, nfsMkdir, nfsRemove, nfsRmdir:
		p.nfsFHN(b, p.nfsReqStart(b, length), v3)
	case nfsAccess:
		off := p.nfsFH(b, p.nfsReqStart(b, length), v3)
		a := p.be32(b, off)
		switch {
		case a&^0x3f != 0:
			p.c(' ')
			p.hexPad(uint64(a), 4)
		case a == 0x3f:
			p.s(" NFS_ACCESS_FULL")
		default:
			sep := byte(' ')
			for _, f := range nfsAccessBits {
				if a&f.bit != 0 {
					p.c(sep)
					p.s(f.name)
					sep = '|'
				}
			}
		}
	case nfsRead:
		off := p.nfsFH(b, p.nfsReqStart(b, length), v3)
		if v3 {
			p.need(b, off+12)
		}
		p.need(b, off+8)
		p.c(' ')
		if v3 {
			p.u(uint64(p.be32(b, off+8)))
			p.s(" bytes @ ")
			p.u(p.be64(b, off))
		} else {
			p.u(uint64(p.be32(b, off+4)))
			p.s(" bytes @ ")
			p.u(uint64(p.be32(b, off)))
		}
	case nfsWrite:
		off := p.nfsFH(b, p.nfsReqStart(b, length), v3)
		if v3 {
			p.need(b, off+20)
		}
		p.need(b, off+16)
		p.c(' ')
		if v3 {
			p.u(uint64(p.be32(b, off+16)))
			p.s(" (")
			p.u(uint64(p.be32(b, off+8)))
			p.s(") bytes @ ")
			p.u(p.be64(b, off))
			if p.opts.Verbose > 0 {
				p.s(" <")
				p.s(nfsWriteMode(p.be32(b, off+12)))
				p.c('>')
			}
		} else {
			p.u(uint64(p.be32(b, off+12)))
			p.s(" (")
			p.u(uint64(p.be32(b, off+8)))
			p.s(") bytes @ ")
			p.u(uint64(p.be32(b, off+4)))
			p.s(" (")
			p.u(uint64(p.be32(b, off)))
			p.c(')')
		}
	case nfsSymlink:
		off := p.nfsFHN(b, p.nfsReqStart(b, length), v3)
		p.s(" ->")
		attrs := func() {}
		if v3 {
			off, attrs = p.nfsSattr3(b, off)
		}
		p.nfsFN(b, off)
		if v3 && p.opts.Verbose > 0 {
			attrs()
		}
	case nfsMknod:
		off := p.nfsFHN(b, p.nfsReqStart(b, length), v3)
		t := p.be32(b, off)
		off, attrs := p.nfsSattr3(b, off+4)
		p.c(' ')
		p.s(tokStr(nfsTypes, t, "unk-ft "+strconv.FormatUint(uint64(t), 10)))
		if p.opts.Verbose > 0 && (t == 4 || t == 3) {
			p.need(b, off+8)
			p.c(' ')
			p.u(uint64(p.be32(b, off)))
			p.c('/')
			p.u(uint64(p.be32(b, off+4)))
		}
		if p.opts.Verbose > 0 {
			attrs()
		}
	case nfsRename:
		off := p.nfsFHN(b, p.nfsReqStart(b, length), v3)
		p.s(" ->")
		p.nfsFHN(b, off, v3)
	case nfsLink:
		off := p.nfsFH(b, p.nfsReqStart(b, length), v3)
		p.s(" ->")
		p.nfsFHN(b, off, v3)
	case nfsReaddir:
		off := p.nfsFH(b, p.nfsReqStart(b, length), v3)
		p.need(b, off+8)
		if v3 {
			p.need(b, off+20)
		}
		p.c(' ')
		if v3 {
			p.u(uint64(p.be32(b, off+16)))
			p.s(" bytes @ ")
			p.i(int(int64(p.be64(b, off))))
			if p.opts.Verbose > 0 {
				p.need(b, off+16)
				p.s(" verf ")
				p.hexw(uint64(p.be32(b, off+8)), 8)
				p.hexw(uint64(p.be32(b, off+12)), 8)
			}
		} else {
			p.u(uint64(p.be32(b, off+4)))
			p.s(" bytes @ ")
			p.u(uint64(p.be32(b, off)))
		}
	case nfsReaddirplus:
		off := p.nfsFH(b, p.nfsReqStart(b, length), v3)
		p.need(b, off+20)
		p.c(' ')
		p.u(uint64(p.be32(b, off+16)))
		p.s(" bytes @ ")
		p.i(int(int64(p.be64(b, off))))
		if p.opts.Verbose > 0 {
			p.need(b, off+24)
			p.s(" max ")
			p.u(uint64(p.be32(b, off+20)))
			p.s(" verf ")
			p.hexw(uint64(p.be32(b, off+8)), 8)
			p.hexw(uint64(p.be32(b, off+12)), 8)
		}
	case nfsCommit:
		off := p.nfsFH(b, p.nfsReqStart(b, length), v3)
		p.need(b, off+12)
		p.c(' ')
		p.u(uint64(p.be32(b, off+8)))
		p.s(" bytes @ ")
		p.u(p.be64(b, off))
	}
}

// nfsReply is nfsreply_noaddr_print.
func (p *Printer) nfsReply(b []byte, length int, info ipInfo) {
	p.proto = "nfs"
	if len(b) < 12 {
		p.nfsTrunc()
	}
	switch stat := binary.BigEndian.Uint32(b[8:]); stat {
	case 0:
		p.s("reply ok ")
		p.u(uint64(length))
		if p.rpcXids == nil {
			return
		}
		if proc, vers, ok := p.rpcXids.find(info, binary.BigEndian.Uint32(b[0:])); ok {
			p.nfsInterpReply(b, length, proc, vers)
		}
	case 1:
		p.s("reply ERR ")
		p.u(uint64(length))
		p.s(": ")
		if len(b) < 16 {
			p.nfsTrunc()
		}
		switch r := binary.BigEndian.Uint32(b[12:]); r {
		case 0:
			if len(b) < 24 {
				p.nfsTrunc()
			}
			p.s("RPC Version mismatch (")
			p.u(uint64(binary.BigEndian.Uint32(b[16:])))
			p.c('-')
			p.u(uint64(binary.BigEndian.Uint32(b[20:])))
			p.c(')')
		case 1:
			if len(b) < 20 {
				p.nfsTrunc()
			}
			w := binary.BigEndian.Uint32(b[16:])
			p.s("Auth ")
			p.s(tokStr(rpcAuthStat, w, "Invalid failure code "+strconv.FormatUint(uint64(w), 10)))
		default:
			p.s("Unknown reason for rejecting rpc message ")
			p.u(uint64(r))
		}
	default:
		p.s("reply Unknown rpc response code=")
		p.u(uint64(stat))
		p.c(' ')
		p.u(uint64(length))
	}
}

// nfsRep is parserep: the offset of the results past the verifier, -1
// when the call was not accepted (printed) or is cut (not printed).
func (p *Printer) nfsRep(b []byte, length int, nfserr *bool) int {
	n := p.be32(b, 16)
	if uint64(n) >= uint64(length) {
		return -1
	}
	off := 12 + int((n+11)/4)*4
	if a := p.be32(b, off); a != 0 {
		p.c(' ')
		p.s(tokStr(rpcAcceptStat, a, "ar_stat "+strconv.FormatUint(uint64(a), 10)))
		*nfserr = true
		return -1
	}
	return off + 4
}

// nfsStatus is parsestatus.
func (p *Printer) nfsStatus(b []byte, off int, nfserr *bool) (int, uint32) {
	e := p.be32(b, off)
	if e != 0 {
		p.s(" ERROR: ")
		p.s(tokStr(nfsStatus, e, "unk "+strconv.FormatUint(uint64(e), 10)))
		*nfserr = true
	}
	return off + 4, e
}

// nfsFattr is parsefattr; -1 when cut.
func (p *Printer) nfsFattr(b []byte, off int, verbose int, v3 bool) int {
	if len(b) < off+20 {
		return -1
	}
	if verbose > 0 {
		p.need(b, off+20)
		t := p.be32(b, off)
		p.c(' ')
		p.s(tokStr(nfsTypes, t, "unk-ft "+strconv.FormatUint(uint64(t), 10)+" "))
		p.c(' ')
		p.out = strconv.AppendUint(p.out, uint64(p.be32(b, off+4)), 8)
		p.s(" ids ")
		p.i(int(int32(p.be32(b, off+12))))
		p.c('/')
		p.i(int(int32(p.be32(b, off+16))))
		var sz uint64
		if v3 {
			sz = p.be64(b, off+20)
		} else {
			sz = uint64(p.be32(b, off+20))
		}
		p.s(" sz ")
		p.u(sz)
	}
	if verbose > 1 {
		if v3 {
			if len(b) < off+84 {
				return -1
			}
			p.need(b, off+44)
			p.s(" nlink ")
			p.u(uint64(p.be32(b, off+8)))
			p.s(" rdev ")
			p.u(uint64(p.be32(b, off+36)))
			p.c('/')
			p.u(uint64(p.be32(b, off+40)))
			p.s(" fsid ")
			p.hex(p.be64(b, off+44))
			p.s(" fileid ")
			p.hex(p.be64(b, off+52))
			p.s(" a/m/ctime ")
			p.nfsTime(b, off+60)
			p.c(' ')
			p.nfsTime(b, off+68)
			p.c(' ')
			p.nfsTime(b, off+76)
		} else {
			if len(b) < off+68 {
				return -1
			}
			p.need(b, off+44)
			p.s(" nlink ")
			p.u(uint64(p.be32(b, off+8)))
			p.s(" rdev 0x")
			p.hex(uint64(p.be32(b, off+28)))
			p.s(" fsid 0x")
			p.hex(uint64(p.be32(b, off+36)))
			p.s(" nodeid 0x")
			p.hex(uint64(p.be32(b, off+40)))
			p.s(" a/m/ctime ")
			p.nfsTime(b, off+44)
			p.c(' ')
			p.nfsTime(b, off+52)
			p.c(' ')
			p.nfsTime(b, off+60)
		}
	}
	if v3 {
		return off + 84
	}
	return off + 68
}

func (p *Printer) nfsAttrStat(b []byte, off int, verbose int, v3 bool, nfserr *bool) bool {
	off, e := p.nfsStatus(b, off, nfserr)
	if e != 0 {
		return true
	}
	return p.nfsFattr(b, off, verbose, v3) >= 0
}

// nfsPostOp is parse_post_op_attr.
func (p *Printer) nfsPostOp(b []byte, off int, verbose int) int {
	if p.be32(b, off) == 0 {
		return off + 4
	}
	off += 4
	if verbose > 0 {
		return p.nfsFattr(b, off, verbose, true)
	}
	return off + 84
}

// nfsPreOp is parse_pre_op_attr.
func (p *Printer) nfsPreOp(b []byte, off int, verbose int) int {
	if p.be32(b, off) == 0 {
		return off + 4
	}
	off += 4
	if len(b) < off+24 {
		return -1
	}
	if verbose > 1 {
		p.s(" sz ")
		p.u(p.be64(b, off))
		p.need(b, off+24)
		p.s(" mtime ")
		p.nfsTime(b, off+8)
		p.s(" ctime ")
		p.nfsTime(b, off+16)
	}
	return off + 24
}

// nfsWcc is parse_wcc_data.
func (p *Printer) nfsWcc(b []byte, off int, verbose int) int {
	if verbose > 1 {
		p.s(" PRE:")
	}
	if off = p.nfsPreOp(b, off, verbose); off < 0 {
		return -1
	}
	if verbose > 0 {
		p.s(" POST:")
	}
	return p.nfsPostOp(b, off, verbose)
}

// nfsInterpReply is interp_reply: the results of the call's procedure.
func (p *Printer) nfsInterpReply(b []byte, length int, proc, vers uint32) {
	v3 := vers == 3
	if !v3 && proc < uint32(len(nfsV2Procs)) {
		proc = nfsV2Procs[proc]
	}
	p.c(' ')
	p.s(nfsProcName(proc))
	v := p.opts.Verbose
	nfserr := false
	ok := func() bool {
		if proc > nfsCommit || proc == nfsNull {
			return true
		}
		off := p.nfsRep(b, length, &nfserr)
		if off < 0 {
			return false
		}
		switch proc {
		case nfsGetattr:
			return p.nfsAttrStat(b, off, 1, v3, &nfserr)
		case nfsSetattr:
			if !v3 {
				return p.nfsAttrStat(b, off, 1, false, &nfserr)
			}
			off, _ = p.nfsStatus(b, off, &nfserr)
			return p.nfsWcc(b, off, v) >= 0
		case nfsRemove, nfsRmdir:
			off, _ = p.nfsStatus(b, off, &nfserr)
			if !v3 {
				return true
			}
			return p.nfsWcc(b, off, v) >= 0
		case nfsLookup:
			if !v3 {
				return p.nfsDirOpRes(b, off, &nfserr)
			}
			off, e := p.nfsStatus(b, off, &nfserr)
			if e == 0 {
				off = p.nfsFH(b, off, true)
				if off = p.nfsPostOp(b, off, v); off < 0 {
					return false
				}
			}
			if v > 1 {
				p.s(" post dattr:")
				return p.nfsPostOp(b, off, v) >= 0
			}
			return true
		case nfsAccess:
			off, e := p.nfsStatus(b, off, &nfserr)
			if v > 0 {
				p.s(" attr:")
			}
			if off = p.nfsPostOp(b, off, v); off < 0 {
				return false
			}
			if e == 0 {
				c := p.be32(b, off)
				p.s(" c ")
				p.hexPad(uint64(c), 4)
			}
			return true
		case nfsRead:
			if !v3 {
				return p.nfsAttrStat(b, off, v, false, &nfserr)
			}
			off, e := p.nfsStatus(b, off, &nfserr)
			if off = p.nfsPostOp(b, off, v); off < 0 {
				return false
			}
			if e == 0 && v > 0 {
				n := p.be32(b, off)
				p.c(' ')
				p.u(uint64(n))
				p.s(" bytes")
				if p.be32(b, off+4) != 0 {
					p.s(" EOF")
				}
			}
			return true
		case nfsWrite:
			if !v3 {
				return p.nfsAttrStat(b, off, v, false, &nfserr)
			}
			off, e := p.nfsStatus(b, off, &nfserr)
			if off = p.nfsWcc(b, off, v); off < 0 {
				return false
			}
			if e == 0 && v > 0 {
				n := p.be32(b, off)
				p.c(' ')
				p.u(uint64(n))
				p.s(" bytes")
				if v > 1 {
					m := p.be32(b, off+4)
					p.s(" <")
					p.s(nfsWriteMode(m))
					p.c('>')
					verf := p.be64(b, off+8)
					p.s(" verf ")
					p.hex(verf)
				}
			}
			return true
		case nfsCreate, nfsMkdir, nfsSymlink, nfsMknod:
			if !v3 && proc == nfsSymlink {
				p.nfsStatus(b, off, &nfserr)
				return true
			}
			if !v3 && proc != nfsMknod {
				return p.nfsDirOpRes(b, off, &nfserr)
			}
			return p.nfsCreateOpRes(b, off, &nfserr)
		case nfsReadlink:
			off, e := p.nfsStatus(b, off, &nfserr)
			if e != 0 {
				return true
			}
			if v3 {
				if off = p.nfsPostOp(b, off, v); off < 0 {
					return false
				}
			}
			p.c(' ')
			p.nfsFN(b, off)
			return true
		case nfsRename:
			off, _ = p.nfsStatus(b, off, &nfserr)
			if v3 && v > 0 {
				p.s(" from:")
				if off = p.nfsWcc(b, off, v); off < 0 {
					return false
				}
				p.s(" to:")
				return p.nfsWcc(b, off, v) >= 0
			}
			return true
		case nfsLink:
			off, _ = p.nfsStatus(b, off, &nfserr)
			if v3 && v > 0 {
				p.s(" file POST:")
				if off = p.nfsPostOp(b, off, v); off < 0 {
					return false
				}
				p.s(" dir:")
				return p.nfsWcc(b, off, v) >= 0
			}
			return true
		case nfsReaddir, nfsReaddirplus:
			if !v3 && proc == nfsReaddir {
				off, e := p.nfsStatus(b, off, &nfserr)
				if e != 0 {
					return true
				}
				a, n := p.be32(b, off), p.be32(b, off+4)
				p.s(" offset 0x")
				p.hex(uint64(a))
				p.s(" size ")
				p.u(uint64(n))
				p.c(' ')
				if p.be32(b, off+8) != 0 {
					p.s(" eof")
				}
				return true
			}
			off, e := p.nfsStatus(b, off, &nfserr)
			if v > 0 {
				p.s(" POST:")
			}
			if off = p.nfsPostOp(b, off, v); off < 0 {
				return false
			}
			if e == 0 && v > 0 {
				p.need(b, off+8)
				p.s(" verf ")
				p.hexw(uint64(p.be32(b, off)), 8)
				p.hexw(uint64(p.be32(b, off+4)), 8)
			}
			return true
		case nfsFsstat:
			off, e := p.nfsStatus(b, off, &nfserr)
			if !v3 {
				if e != 0 {
					return true
				}
				if len(b) < off+20 {
					return false
				}
				for i, n := range []string{" tsize ", " bsize ", " blocks ", " bfree ", " bavail "} {
					p.s(n)
					p.u(uint64(p.be32(b, off+4*i)))
				}
				return true
			}
			if v > 0 {
				p.s(" POST:")
			}
			if off = p.nfsPostOp(b, off, v); off < 0 || len(b) < off+52 {
				return false
			}
			p.need(b, off+24)
			p.s(" tbytes ")
			p.u(p.be64(b, off))
			p.s(" fbytes ")
			p.u(p.be64(b, off+8))
			p.s(" abytes ")
			p.u(p.be64(b, off+16))
			if v > 0 {
				p.need(b, off+52)
				p.s(" tfiles ")
				p.u(p.be64(b, off+24))
				p.s(" ffiles ")
				p.u(p.be64(b, off+32))
				p.s(" afiles ")
				p.u(p.be64(b, off+40))
				p.s(" invar ")
				p.u(uint64(p.be32(b, off+48)))
			}
			return true
		case nfsFsinfo:
			off, e := p.nfsStatus(b, off, &nfserr)
			if v > 0 {
				p.s(" POST:")
			}
			if off = p.nfsPostOp(b, off, v); off < 0 {
				return false
			}
			if e != 0 {
				return true
			}
			if len(b) < off+48 {
				return false
			}
			// fsinfo3: rtmax rtpref rtmult wtmax wtpref wtmult dtpref ...
			for _, f := range []struct {
				name string
				off  int
			}{{" rtmax ", 0}, {" rtpref ", 4}, {" wtmax ", 12}, {" wtpref ", 16}, {" dtpref ", 24}} {
				p.s(f.name)
				p.u(uint64(p.be32(b, off+f.off)))
			}
			if v > 0 {
				p.need(b, off+36)
				p.s(" rtmult ")
				p.u(uint64(p.be32(b, off+8)))
				p.s(" wtmult ")
				p.u(uint64(p.be32(b, off+20)))
				p.s(" maxfsz ")
				p.u(p.be64(b, off+28))
				p.need(b, off+44)
				p.s(" delta ")
				p.nfsTime(b, off+36)
				p.c(' ')
			}
			return true
		case nfsPathconf:
			off, e := p.nfsStatus(b, off, &nfserr)
			if v > 0 {
				p.s(" POST:")
			}
			if off = p.nfsPostOp(b, off, v); off < 0 {
				return false
			}
			if e != 0 {
				return true
			}
			if len(b) < off+24 {
				return false
			}
			p.need(b, off+24)
			p.s(" linkmax ")
			p.u(uint64(p.be32(b, off)))
			p.s(" namemax ")
			p.u(uint64(p.be32(b, off+4)))
			for i, n := range []string{"notrunc", "chownres", "igncase", "keepcase"} {
				p.c(' ')
				if p.be32(b, off+8+4*i) != 0 {
					p.s(n)
				}
			}
			return true
		case nfsCommit:
			off, _ = p.nfsStatus(b, off, &nfserr)
			if off = p.nfsWcc(b, off, v); off < 0 {
				return false
			}
			if v > 1 {
				verf := p.be64(b, off)
				p.s(" verf ")
				p.hex(verf)
			}
			return true
		}
		return true
	}()
	if !ok && !nfserr {
		p.nfsTrunc()
	}
}

// nfsTCP prints an RPC message after TCP's record mark (RFC 5531 section
// 11); tcpdump takes the first fragment's length, capped by the segment.
func (p *Printer) nfsTCP(b []byte, length int, sport, dport uint16, info ipInfo) {
	if length < 4 || len(b) < 4 {
		return
	}
	frag := int(binary.BigEndian.Uint32(b[0:]) & 0x7fffffff)
	if frag > length-4 {
		frag = length - 4
	}
	rp := b[4:]
	if len(rp) < 8 {
		return
	}
	switch dir := binary.BigEndian.Uint32(rp[4:]); {
	case dport == 2049 && dir == rpcCall:
		p.s(": NFS request xid ")
		p.u(uint64(binary.BigEndian.Uint32(rp[0:])))
		p.c(' ')
		p.nfsRequest(rp, frag, info)
	case sport == 2049 && dir == rpcReply:
		p.s(": NFS reply xid ")
		p.u(uint64(binary.BigEndian.Uint32(rp[0:])))
		p.c(' ')
		p.nfsReply(rp, frag, info)
	}
}

// nfsDirOpRes is parsediropres (NFSv2): status, handle and attributes.
func (p *Printer) nfsDirOpRes(b []byte, off int, nfserr *bool) bool {
	off, e := p.nfsStatus(b, off, nfserr)
	if e != 0 {
		return true
	}
	off = p.nfsFH(b, off, false)
	return p.nfsFattr(b, off, p.opts.Verbose, false) >= 0
}

// nfsCreateOpRes is parsecreateopres (NFSv3).
func (p *Printer) nfsCreateOpRes(b []byte, off int, nfserr *bool) bool {
	v := p.opts.Verbose
	off, e := p.nfsStatus(b, off, nfserr)
	if e != 0 {
		return p.nfsWcc(b, off, v) >= 0
	}
	if p.be32(b, off) == 0 {
		return true
	}
	off = p.nfsFH(b, off+4, true)
	if v > 0 {
		if off = p.nfsPostOp(b, off, v); off < 0 {
			return false
		}
		if v > 1 {
			p.s(" dir attr:")
			return p.nfsWcc(b, off, v) >= 0
		}
	}
	return true
}

// nfsSattr3 is parse_sattr3 then, at -v, print_sattr3. Like tcpdump it
// reads the size as one word.
func (p *Printer) nfsSattr3(b []byte, off int) (int, func()) {
	var out []func()
	v := p.opts.Verbose
	field := func(name string, octal bool) {
		if p.be32(b, off) != 0 {
			val := p.be32(b, off+4)
			off += 4
			if name != "" {
				out = append(out, func() {
					p.s(name)
					if octal {
						p.out = strconv.AppendUint(p.out, uint64(val), 8)
					} else {
						p.u(uint64(val))
					}
				})
			}
		}
		off += 4
	}
	field(" mode ", true)
	field(" uid ", false)
	field(" gid ", false)
	field("", false)
	for _, name := range []string{" atime ", " mtime "} {
		t := p.be32(b, off)
		off += 4
		if t == 2 {
			sec, nsec := p.be32(b, off), p.be32(b, off+4)
			off += 8
			if v > 1 {
				name := name
				out = append(out, func() {
					p.s(name)
					p.u(uint64(sec))
					p.c('.')
					p.hexless06(uint64(nsec))
				})
			}
		}
	}
	return off, func() {
		for _, f := range out {
			f()
		}
	}
}
