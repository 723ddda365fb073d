package capture

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/netdiag/netdiag/capture/filter"
	"github.com/netdiag/netdiag/capture/pcapio"
)

// Sizes from linux/if_packet.h.
const (
	tpacketAlignment = 16
	tpacket3HdrLen   = 48 // sizeof(struct tpacket3_hdr)
	sockaddrLLLen    = 20 // sizeof(struct sockaddr_ll)
	vlanTagLen       = 4
	sllHdrLen        = 16
	sll2HdrLen       = 20
	ethPAll          = 0x0003
	ethP8021Q        = 0x8100
	arphrdEther      = 1
	arphrdLoopback   = 772
	arphrdNone       = 0xfffe
	blockStatusOff   = 8  // tpacket_block_desc.hdr.bh1.block_status
	blockNumPktsOff  = 12 // .num_pkts
	blockFirstPktOff = 16 // .offset_to_first_pkt
)

func tpacketAlign(x int) int { return (x + tpacketAlignment - 1) &^ (tpacketAlignment - 1) }

// Handle is one AF_PACKET socket with a TPACKET_V3 receive ring. Its methods
// are not safe for concurrent use, except Stats which only reads counters.
type Handle struct {
	fd     int
	ring   []byte
	bsize  int
	nblock int
	cur    int  // block being read
	inBlk  bool // cur is owned by user space
	left   int  // packets left in cur
	off    int  // offset in cur of the next packet

	iface    Interface
	linkType pcapio.LinkType
	cooked   bool
	sll1     bool
	snaplen  int
	timeout  time.Duration
	user     []bpf.RawInstruction // user-space filter, nil for none
	stats    Stats
	closed   bool
}

// Open creates an AF_PACKET socket inside ns (nil: the caller's netns), sets
// up a TPACKET_V3 ring, attaches the filter and only then binds the socket to
// the interface, so no packet the filter would reject is ever queued.
func Open(ns Namespace, opts Options) (*Handle, error) {
	if opts.Interface == "" {
		return nil, fmt.Errorf("open capture: no interface given")
	}
	h := &Handle{fd: -1, snaplen: opts.SnapLen, timeout: opts.Timeout, sll1: opts.CookedSLL1}
	if h.snaplen <= 0 || h.snaplen > DefaultSnapLen {
		h.snaplen = DefaultSnapLen
	}
	if h.timeout <= 0 {
		h.timeout = DefaultTimeout
	}
	if err := h.open(ns, opts); err != nil {
		h.Close()
		return nil, fmt.Errorf("open capture on %s: %w", opts.Interface, err)
	}
	return h, nil
}

func socket(ns Namespace, typ int) (int, error) {
	// Protocol 0: the socket receives nothing until bind names a protocol.
	if ns == nil {
		fd, err := unix.Socket(unix.AF_PACKET, typ|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return -1, fmt.Errorf("create packet socket: %w", explainPerm(err))
		}
		return fd, nil
	}
	fd, err := ns.Socket(unix.AF_PACKET, typ, 0)
	if err != nil {
		return -1, explainPerm(err)
	}
	return fd, nil
}

func explainPerm(err error) error {
	if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
		return fmt.Errorf("needs CAP_NET_RAW: run as root: %w", err)
	}
	return err
}

func (h *Handle) open(ns Namespace, opts Options) error {
	fd, err := socket(ns, unix.SOCK_RAW)
	if err != nil {
		return err
	}
	h.fd = fd
	if opts.Interface == AnyInterface {
		h.iface = Interface{Name: AnyInterface}
		h.cooked = true
	} else {
		ifc, err := interfaceInfo(fd, opts.Interface)
		if err != nil {
			return err
		}
		h.iface = ifc
		switch ifc.HWType {
		case arphrdEther, arphrdLoopback:
			h.linkType = pcapio.LinkTypeEthernet
		case arphrdNone:
			h.linkType = pcapio.LinkTypeRaw // tun, wireguard: the packet starts at the IP header
		default:
			h.cooked = true // unknown link layer: let the kernel strip it, as libpcap does
		}
	}
	if h.cooked {
		h.linkType = pcapio.LinkTypeLinuxSLL2
		if h.sll1 {
			h.linkType = pcapio.LinkTypeLinuxSLL
		}
		unix.Close(h.fd)
		h.fd = -1
		if h.fd, err = socket(ns, unix.SOCK_DGRAM); err != nil {
			return err
		}
	}
	if err := unix.SetsockoptInt(h.fd, unix.SOL_PACKET, unix.PACKET_VERSION, unix.TPACKET_V3); err != nil {
		return fmt.Errorf("select TPACKET_V3: %w", err)
	}
	// Room in front of each packet for the cooked header and a VLAN tag, so
	// both are written in place in the ring.
	reserve := vlanTagLen
	if h.cooked {
		reserve += sll2HdrLen
	}
	if err := unix.SetsockoptInt(h.fd, unix.SOL_PACKET, unix.PACKET_RESERVE, reserve); err != nil {
		return fmt.Errorf("reserve ring headroom: %w", err)
	}
	if err := h.setupRing(opts.BufferKiB, reserve); err != nil {
		return err
	}
	if opts.Filter == nil && opts.Compile != nil {
		kernel, user, err := opts.Compile(h.linkType)
		if err != nil {
			return err
		}
		opts.Filter = kernel
		if user != nil {
			opts.UserFilter = user
		}
	}
	if err := h.attachFilter(opts.Filter); err != nil {
		return err
	}
	if opts.UserFilter != nil {
		if err := filter.Validate(opts.UserFilter); err != nil {
			return fmt.Errorf("load user-space filter: %w", err)
		}
		h.user = opts.UserFilter
	}
	if !opts.NoPromisc && h.iface.Index != 0 {
		mreq := unix.PacketMreq{Ifindex: int32(h.iface.Index), Type: unix.PACKET_MR_PROMISC}
		if err := unix.SetsockoptPacketMreq(h.fd, unix.SOL_PACKET, unix.PACKET_ADD_MEMBERSHIP, &mreq); err != nil {
			return fmt.Errorf("enable promiscuous mode: %w", err)
		}
	}
	sa := &unix.SockaddrLinklayer{Protocol: htons(ethPAll), Ifindex: h.iface.Index}
	if err := unix.Bind(h.fd, sa); err != nil {
		if errors.Is(err, unix.ENETDOWN) {
			return fmt.Errorf("bind: %w", ErrInterfaceDown)
		}
		return fmt.Errorf("bind: %w", err)
	}
	if e, err := unix.GetsockoptInt(h.fd, unix.SOL_SOCKET, unix.SO_ERROR); err == nil && e != 0 {
		if unix.Errno(e) == unix.ENETDOWN {
			return fmt.Errorf("bind: %w", ErrInterfaceDown)
		}
		return fmt.Errorf("bind: %w", unix.Errno(e))
	}
	return nil
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// interfaceInfo asks the socket's own netns about an interface, so no setns
// is needed.
func interfaceInfo(fd int, name string) (Interface, error) {
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return Interface{}, fmt.Errorf("interface %q: %w", name, err)
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFINDEX, ifr); err != nil {
		if errors.Is(err, unix.ENODEV) {
			return Interface{}, fmt.Errorf("no interface %q in this netns (list them with `netdiag ip link`): %w", name, err)
		}
		return Interface{}, fmt.Errorf("look up interface %q: %w", name, err)
	}
	ifc := Interface{Name: name, Index: int(ifr.Uint32())}
	ifr, _ = unix.NewIfreq(name)
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFHWADDR, ifr); err != nil {
		return Interface{}, fmt.Errorf("read hardware type of %q: %w", name, err)
	}
	ifc.HWType = ifr.Uint16() // sa_family of ifr_hwaddr
	ifr, _ = unix.NewIfreq(name)
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFMTU, ifr); err == nil {
		ifc.MTU = int(ifr.Uint32())
	}
	return ifc, nil
}

// setupRing sizes the ring like libpcap: the block is the page size doubled
// until it holds one frame of snaplen bytes; the ring is BufferKiB; on ENOMEM
// it retries with 5 % fewer blocks.
func (h *Handle) setupRing(bufKiB, reserve int) error {
	if bufKiB <= 0 {
		bufKiB = DefaultBufferKiB
	}
	frame := tpacketAlign(tpacketAlign(tpacket3HdrLen+sockaddrLLLen) + 16 + reserve + h.snaplen)
	if frame > DefaultSnapLen {
		// libpcap's V3 frame is at most MAXIMUM_SNAPLEN, giving 256 KiB
		// blocks: eight in the default 2 MiB, so the kernel always has free
		// blocks while one is read. Only packets over 256 KiB (BIG TCP)
		// are cut, as with tcpdump.
		frame = DefaultSnapLen
	}
	bsize := unix.Getpagesize()
	for bsize < frame {
		bsize <<= 1
	}
	nblock := bufKiB * 1024 / bsize
	if nblock < 1 {
		nblock = 1
	}
	tov := uint32((h.timeout + time.Millisecond - 1) / time.Millisecond)
	for {
		req := unix.TpacketReq3{
			Block_size:     uint32(bsize),
			Block_nr:       uint32(nblock),
			Frame_size:     uint32(frame),
			Frame_nr:       uint32(nblock * (bsize / frame)),
			Retire_blk_tov: tov,
		}
		err := unix.SetsockoptTpacketReq3(h.fd, unix.SOL_PACKET, unix.PACKET_RX_RING, &req)
		if err == nil {
			break
		}
		if !errors.Is(err, unix.ENOMEM) || nblock == 1 {
			return fmt.Errorf("create %d KiB ring of %d blocks: %w", bsize*nblock/1024, nblock, err)
		}
		nblock = nblock * 95 / 100
		if nblock < 1 {
			nblock = 1
		}
	}
	mem, err := unix.Mmap(h.fd, 0, bsize*nblock, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return fmt.Errorf("map ring: %w", err)
	}
	h.ring, h.bsize, h.nblock = mem, bsize, nblock
	return nil
}

// attachFilter attaches a reject-all program, drains what the socket queued
// meanwhile, then attaches the real one (libpcap's order), so no packet the
// real filter would reject is ever read.
func (h *Handle) attachFilter(prog []bpf.RawInstruction) error {
	if prog == nil {
		if h.snaplen >= DefaultSnapLen {
			return nil
		}
		// Only snap: the kernel then copies no more than snaplen bytes.
		prog = []bpf.RawInstruction{{Op: 0x06, K: uint32(h.snaplen)}} // ret #snaplen
	}
	if len(prog) == 0 || len(prog) > 4096 {
		return fmt.Errorf("attach filter: program has %d instructions (want 1-4096)", len(prog))
	}
	reject := []unix.SockFilter{{Code: 0x06, K: 0}}
	if err := unix.SetsockoptSockFprog(h.fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &unix.SockFprog{Len: 1, Filter: &reject[0]}); err != nil {
		return fmt.Errorf("attach reject-all filter: %w", err)
	}
	var buf [1]byte
	for {
		if _, _, err := unix.Recvfrom(h.fd, buf[:], unix.MSG_DONTWAIT|unix.MSG_TRUNC); err != nil {
			break
		}
	}
	ins := make([]unix.SockFilter, len(prog))
	for i, r := range prog {
		ins[i] = unix.SockFilter{Code: r.Op, Jt: r.Jt, Jf: r.Jf, K: r.K}
	}
	if err := unix.SetsockoptSockFprog(h.fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &unix.SockFprog{Len: uint16(len(ins)), Filter: &ins[0]}); err != nil {
		return fmt.Errorf("attach filter: the kernel rejected the program: %w", err)
	}
	return nil
}

// LinkType is the link-layer header type of the packets this handle returns.
func (h *Handle) LinkType() pcapio.LinkType { return h.linkType }

// Interface describes the interface the handle is bound to.
func (h *Handle) Interface() Interface { return h.iface }

// SnapLen is the snapshot length in effect.
func (h *Handle) SnapLen() int { return h.snaplen }

// Fd is the socket, for poll(2).
func (h *Handle) Fd() int { return h.fd }

// RingSize is the ring's block size and number of blocks.
func (h *Handle) RingSize() (blockSize, blocks int) { return h.bsize, h.nblock }

// Stats reads and accumulates the kernel counters. Reading resets the
// kernel's copy, so only Handle keeps totals; Stats after Close returns the
// final totals.
func (h *Handle) Stats() (Stats, error) {
	if h.closed || h.fd < 0 {
		return h.stats, nil
	}
	st, err := unix.GetsockoptTpacketStatsV3(h.fd, unix.SOL_PACKET, unix.PACKET_STATISTICS)
	if err != nil {
		return h.stats, fmt.Errorf("read packet statistics: %w", err)
	}
	h.stats.Received += uint64(st.Packets)
	h.stats.Dropped += uint64(st.Drops)
	h.stats.FreezeQueue += uint64(st.Freeze_q_cnt)
	return h.stats, nil
}

// Close reads the final statistics and releases the ring and socket.
func (h *Handle) Close() error {
	if h.closed {
		return nil
	}
	if h.fd >= 0 && h.ring != nil {
		_, _ = h.Stats()
	}
	h.closed = true
	var err error
	if h.ring != nil {
		err = unix.Munmap(h.ring)
		h.ring = nil
	}
	if h.fd >= 0 {
		if e := unix.Close(h.fd); e != nil && err == nil {
			err = e
		}
		h.fd = -1
	}
	if err != nil {
		return fmt.Errorf("close capture on %s: %w", h.iface.Name, err)
	}
	return nil
}

func (h *Handle) blockStatus(b int) *uint32 {
	return (*uint32)(unsafe.Pointer(&h.ring[b*h.bsize+blockStatusOff]))
}

// pendingInOpenBlock reports whether the block the kernel is filling holds
// packets, i.e. whether waiting for its retire timeout yields anything.
func (h *Handle) pendingInOpenBlock() bool {
	if h.inBlk {
		return h.left > 0
	}
	base := h.cur * h.bsize
	if atomic.LoadUint32(h.blockStatus(h.cur))&unix.TP_STATUS_USER != 0 {
		return true
	}
	return atomic.LoadUint32((*uint32)(unsafe.Pointer(&h.ring[base+blockNumPktsOff]))) > 0
}

// next returns the next packet already in the ring without blocking; ok is
// false when the ring holds none. data points into the ring and stays valid
// until the following call. The user-space filter, VLAN re-insertion and
// cooked headers are applied here.
// openBlock takes the current block if the kernel has handed it over.
func (h *Handle) openBlock() bool {
	if atomic.LoadUint32(h.blockStatus(h.cur))&unix.TP_STATUS_USER == 0 {
		return false
	}
	base := h.cur * h.bsize
	h.left = int(*(*uint32)(unsafe.Pointer(&h.ring[base+blockNumPktsOff])))
	h.off = int(*(*uint32)(unsafe.Pointer(&h.ring[base+blockFirstPktOff])))
	h.inBlk = true
	return true
}

// releaseBlock hands the current block back to the kernel and moves on.
func (h *Handle) releaseBlock() {
	atomic.StoreUint32(h.blockStatus(h.cur), unix.TP_STATUS_KERNEL)
	h.inBlk, h.left = false, 0
	if h.cur++; h.cur == h.nblock {
		h.cur = 0
	}
}

func (h *Handle) next(pi *PacketInfo) (data []byte, ok bool) {
	for {
		if !h.inBlk && !h.openBlock() {
			return nil, false
		}
		if h.left == 0 {
			// Hand the block back only now: the previous packet's data lived in it.
			h.releaseBlock()
			continue
		}
		base := h.cur*h.bsize + h.off
		if base+tpacket3HdrLen > (h.cur+1)*h.bsize {
			h.left = 0 // a corrupt offset: skip the rest of the block
			continue
		}
		th := (*unix.Tpacket3Hdr)(unsafe.Pointer(&h.ring[base]))
		h.left--
		h.off += int(th.Next_offset)
		if th.Next_offset == 0 {
			h.left = 0
		}
		d, good := h.frame(base, th, pi)
		if !good {
			continue
		}
		if h.user != nil {
			// An error is a loop that ran too long (a libpcap protochain
			// quirk): drop the packet.
			n, err := filter.Run(h.user, d, pi.Length, &filter.Meta{PktType: pi.PacketType, IfIndex: pi.IfIndex})
			if err != nil || n == 0 {
				continue
			}
			if int(n) < len(d) {
				d = d[:n]
				pi.CaptureLen = int(n)
			}
		}
		return d, true
	}
}

// frame turns one ring slot into packet bytes in place.
func (h *Handle) frame(base int, th *unix.Tpacket3Hdr, pi *PacketInfo) ([]byte, bool) {
	mac := base + int(th.Mac)
	snap := int(th.Snaplen)
	end := mac + snap
	if int(th.Mac) < tpacketAlign(tpacket3HdrLen)+sockaddrLLLen || end > len(h.ring) {
		return nil, false
	}
	sll := h.ring[base+tpacketAlign(tpacket3HdrLen):]
	ifindex := int(int32(*(*uint32)(unsafe.Pointer(&sll[4]))))
	pkttype := sll[10]
	wire := int(th.Len)
	start := mac
	vlan := th.Status&unix.TP_STATUS_VLAN_VALID != 0
	tpid := uint16(ethP8021Q)
	if vlan && th.Status&unix.TP_STATUS_VLAN_TPID_VALID != 0 && th.Hv1.Vlan_tpid != 0 {
		tpid = th.Hv1.Vlan_tpid
	}
	if h.cooked {
		// sockaddr_ll: family(2) protocol(2, network order) ifindex(4) hatype(2) pkttype(1) halen(1) addr(8)
		proto0, proto1 := sll[2], sll[3]
		hatype := *(*uint16)(unsafe.Pointer(&sll[8]))
		halen := sll[11]
		var addr [8]byte
		copy(addr[:], sll[12:20])
		if halen > 8 {
			halen = 8
		}
		for i := int(halen); i < 8; i++ {
			addr[i] = 0
		}
		if vlan {
			// The tag goes between the header and the payload, and the
			// header's protocol becomes the TPID, as on the wire.
			start -= vlanTagLen
			tci := uint16(th.Hv1.Vlan_tci)
			h.ring[start], h.ring[start+1] = byte(tci>>8), byte(tci)
			h.ring[start+2], h.ring[start+3] = proto0, proto1
			proto0, proto1 = byte(tpid>>8), byte(tpid)
			wire += vlanTagLen
		}
		if h.sll1 {
			start -= sllHdrLen
			b := h.ring[start : start+sllHdrLen]
			b[0], b[1] = 0, pkttype
			b[2], b[3] = byte(hatype>>8), byte(hatype)
			b[4], b[5] = 0, halen
			copy(b[6:14], addr[:])
			b[14], b[15] = proto0, proto1
			wire += sllHdrLen
		} else {
			start -= sll2HdrLen
			b := h.ring[start : start+sll2HdrLen]
			b[0], b[1] = proto0, proto1
			b[2], b[3] = 0, 0
			b[4], b[5], b[6], b[7] = byte(ifindex>>24), byte(ifindex>>16), byte(ifindex>>8), byte(ifindex)
			b[8], b[9] = byte(hatype>>8), byte(hatype)
			b[10], b[11] = pkttype, halen
			copy(b[12:20], addr[:])
			wire += sll2HdrLen
		}
	} else if vlan && h.linkType == pcapio.LinkTypeEthernet && snap >= 12 {
		// Move the two MAC addresses 4 bytes forward and put the tag after them.
		start -= vlanTagLen
		copy(h.ring[start:start+12], h.ring[mac:mac+12])
		t := h.ring[start+12 : start+16]
		tci := uint16(th.Hv1.Vlan_tci)
		t[0], t[1], t[2], t[3] = byte(tpid>>8), byte(tpid), byte(tci>>8), byte(tci)
		wire += vlanTagLen
	}
	caplen := end - start
	if caplen > h.snaplen {
		caplen = h.snaplen
	}
	pi.Timestamp = time.Unix(int64(th.Sec), int64(th.Nsec))
	pi.sec, pi.nsec, pi.raw = th.Sec, th.Nsec, true
	pi.CaptureLen = caplen
	pi.Length = wire
	pi.IfIndex = ifindex
	pi.PacketType = pkttype
	return h.ring[start : start+caplen], true
}

// sockError returns why poll reported POLLERR: the interface went down or
// disappeared.
func (h *Handle) sockError() error {
	e, err := unix.GetsockoptInt(h.fd, unix.SOL_SOCKET, unix.SO_ERROR)
	if err != nil {
		return fmt.Errorf("read socket error on %s: %w", h.iface.Name, err)
	}
	if e == 0 {
		return nil
	}
	if unix.Errno(e) == unix.ENETDOWN {
		// Deleting an interface takes it down first: give the unregister a
		// moment so the message says which of the two happened.
		for i := 0; i < 5 && h.iface.Index != 0; i++ {
			if !h.interfaceExists() {
				return fmt.Errorf("%s: %w", h.iface.Name, ErrInterfaceGone)
			}
			time.Sleep(20 * time.Millisecond)
		}
		return fmt.Errorf("%s: %w", h.iface.Name, ErrInterfaceDown)
	}
	return fmt.Errorf("capture on %s: %w", h.iface.Name, unix.Errno(e))
}

func (h *Handle) interfaceExists() bool {
	ifr, err := unix.NewIfreq("")
	if err != nil {
		return false
	}
	ifr.SetUint32(uint32(h.iface.Index))
	err = unix.IoctlIfreq(h.fd, unix.SIOCGIFNAME, ifr)
	return err == nil && ifr.Name() == h.iface.Name
}
