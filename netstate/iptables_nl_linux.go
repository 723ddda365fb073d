package netstate

import (
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/netdiag/netdiag/nsutil"
)

// IPTablesSourceNetlink is IPTablesBackendStatus.Source when the nf_tables
// tables of iptables-nft were read over netlink instead of by a binary.
const IPTablesSourceNetlink = "netlink"

// iptBuiltin is a base chain iptables-nft creates: its hook number, priority
// and chain type (nft.c, xtables_ipv4/xtables_ipv6).
type iptBuiltin struct {
	name string
	hook uint32
	prio int32
	typ  string
}

// iptTables lists the tables in the order iptables-nft-save prints them
// (enum nft_table_type: mangle, security, raw, filter, nat) with their base
// chains in the order it prints those.
var iptTables = []struct {
	name   string
	chains []iptBuiltin
}{
	{"mangle", []iptBuiltin{{"PREROUTING", 0, -150, "filter"}, {"INPUT", 1, -150, "filter"}, {"FORWARD", 2, -150, "filter"}, {"OUTPUT", 3, -150, "route"}, {"POSTROUTING", 4, -150, "filter"}}},
	{"security", []iptBuiltin{{"INPUT", 1, 150, "filter"}, {"FORWARD", 2, 150, "filter"}, {"OUTPUT", 3, 150, "filter"}}},
	{"raw", []iptBuiltin{{"PREROUTING", 0, -300, "filter"}, {"OUTPUT", 3, -300, "filter"}}},
	{"filter", []iptBuiltin{{"INPUT", 1, 0, "filter"}, {"FORWARD", 2, 0, "filter"}, {"OUTPUT", 3, 0, "filter"}}},
	{"nat", []iptBuiltin{{"PREROUTING", 0, -100, "nat"}, {"INPUT", 1, 100, "nat"}, {"OUTPUT", 3, -100, "nat"}, {"POSTROUTING", 4, 100, "nat"}}},
}

// IPTablesNFTRead reads the tables iptables-nft (ip6 false) or
// ip6tables-nft (ip6 true) made in ns (nil: the caller's netns) over
// netlink and translates every rule into iptables-save text. Equivalent to
// `iptables-nft-save -c` (`ip6tables-nft-save -c`) without the binary: its
// WriteSave output is that of v1.8.9 except for the comment lines.
//
// A rule the translator does not know with certainty gives an error wrapping
// ErrIPTablesUntranslatable; run the binary then. Rules are dumped one chain
// at a time: the kernel resumes a table-wide dump by skipping every rule it
// already sent, which is quadratic in the number of rules.
func IPTablesNFTRead(ns *nsutil.NetNS, ip6 bool) (*IPTablesRuleset, error) {
	fam := uint8(unix.NFPROTO_IPV4)
	if ip6 {
		fam = unix.NFPROTO_IPV6
	}
	s, err := openNFSock(ns)
	if err != nil {
		return nil, err
	}
	defer s.close()
	// The ruleset may change between the dumps (kube-proxy resyncs); read
	// again when the generation moved, as iptables-nft does.
	for try := 0; ; try++ {
		gen, err := s.genID()
		if err != nil {
			return nil, fmt.Errorf("read nf_tables generation: %w", explainNetlink(err))
		}
		rs, err := s.readIPTables(ns, fam)
		if err != nil {
			return nil, err
		}
		gen2, err := s.genID()
		if err != nil {
			return nil, fmt.Errorf("read nf_tables generation: %w", explainNetlink(err))
		}
		if gen2 == gen {
			return rs, nil
		}
		if try == 4 {
			return nil, fmt.Errorf("read iptables-nft rules: the ruleset changed during each of %d reads", try+1)
		}
	}
}

// nlChain is a chain as the kernel reports it.
type nlChain struct {
	name            string
	base            bool
	hook            uint32
	prio            int32
	typ             string
	policy          uint32
	packets, bytes  uint64
	hasPolicy       bool
	unexpectedAttrs bool
}

func (s *nfSock) readIPTables(ns *nsutil.NetNS, fam uint8) (*IPTablesRuleset, error) {
	present := map[string]bool{}
	err := s.dump(unix.NFT_MSG_GETTABLE, fam, nil, func(m []byte) error {
		a := nlAttrs{b: m}
		for a.next() {
			if a.typ == unix.NFTA_TABLE_NAME {
				present[nlString(a.val)] = true
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list nf_tables tables: %w", explainNetlink(err))
	}
	rs := &IPTablesRuleset{Backend: IPTablesNFT, Tables: []IPTablesTable{}}
	if len(present) == 0 {
		return rs, nil
	}
	chains := map[string][]nlChain{}
	err = s.dump(unix.NFT_MSG_GETCHAIN, fam, nil, func(m []byte) error {
		table, c := parseNLChain(m)
		if present[table] {
			chains[table] = append(chains[table], c)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list nf_tables chains: %w", explainNetlink(err))
	}
	type job struct {
		table, chain string
		ti, ci       int // where the rules go: rs.Tables[ti].Chains[ci]
	}
	var jobs []job
	for _, tdef := range iptTables {
		if !present[tdef.name] {
			continue
		}
		t := IPTablesTable{Name: tdef.name}
		var user []nlChain
		byName := map[string]nlChain{}
		for _, c := range chains[tdef.name] {
			if c.unexpectedAttrs {
				return nil, fmt.Errorf("%w: table %s chain %s: attributes iptables-nft does not set", ErrIPTablesUntranslatable, tdef.name, c.name)
			}
			if !c.base {
				if !iptSafeWord(c.name) {
					return nil, fmt.Errorf("%w: table %s: chain name %q", ErrIPTablesUntranslatable, tdef.name, c.name)
				}
				user = append(user, c)
				continue
			}
			ok := false
			for _, b := range tdef.chains {
				if b.name == c.name && b.hook == c.hook && b.prio == c.prio && b.typ == c.typ && c.hasPolicy {
					ok = true
				}
			}
			if !ok {
				// iptables-nft-save says the table is incompatible.
				return nil, fmt.Errorf("%w: table %s: base chain %s (hook %d, priority %d, type %s) is not one iptables-nft makes", ErrIPTablesUntranslatable, tdef.name, c.name, c.hook, c.prio, c.typ)
			}
			byName[c.name] = c
		}
		for _, b := range tdef.chains {
			ch := IPTablesChain{Name: b.name, Policy: "ACCEPT", Rules: []IPTablesRule{}}
			if c, ok := byName[b.name]; ok {
				switch c.policy {
				case 1:
				case 0:
					ch.Policy = "DROP"
				default:
					return nil, fmt.Errorf("%w: table %s chain %s: policy %d", ErrIPTablesUntranslatable, tdef.name, c.name, c.policy)
				}
				ch.Packets, ch.Bytes = c.packets, c.bytes
				jobs = append(jobs, job{tdef.name, b.name, len(rs.Tables), len(t.Chains)})
			}
			t.Chains = append(t.Chains, ch)
		}
		sort.Slice(user, func(i, j int) bool { return user[i].name < user[j].name })
		for _, c := range user {
			jobs = append(jobs, job{tdef.name, c.name, len(rs.Tables), len(t.Chains)})
			t.Chains = append(t.Chains, IPTablesChain{Name: c.name, Policy: "-", Rules: []IPTablesRule{}})
		}
		rs.Tables = append(rs.Tables, t)
	}
	// The chains' rules, read by a few sockets at once: most of the time is
	// the kernel filling one dump per chain, which runs in the reading
	// thread.
	workers := min(runtime.GOMAXPROCS(0), 4, 1+len(jobs)/500)
	socks := []*nfSock{s}
	for len(socks) < workers {
		extra, err := openNFSock(ns)
		if err != nil {
			break // the first socket does it all
		}
		defer extra.close()
		socks = append(socks, extra)
	}
	var next atomic.Int64
	errs := make([]error, len(socks))
	var wg sync.WaitGroup
	for w, sock := range socks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			exprs := make([]nlExpr, 0, 16)
			for {
				i := int(next.Add(1) - 1)
				if i >= len(jobs) {
					return
				}
				var err error
				j := jobs[i]
				c := &rs.Tables[j.ti].Chains[j.ci]
				if c.Rules, exprs, err = sock.readRules(fam, j.table, j.chain, exprs); err != nil {
					errs[w] = err
					next.Store(int64(len(jobs)))
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return rs, nil
}

// parseNLChain reads one NFT_MSG_NEWCHAIN message.
func parseNLChain(m []byte) (string, nlChain) {
	var c nlChain
	var table string
	a := nlAttrs{b: m}
	for a.next() {
		switch a.typ {
		case unix.NFTA_CHAIN_TABLE:
			table = nlString(a.val)
		case unix.NFTA_CHAIN_NAME:
			c.name = nlString(a.val)
		case unix.NFTA_CHAIN_TYPE:
			c.typ = nlString(a.val)
		case unix.NFTA_CHAIN_POLICY:
			v, ok := be32(a.val)
			c.policy, c.hasPolicy = v, ok
			c.unexpectedAttrs = c.unexpectedAttrs || !ok
		case unix.NFTA_CHAIN_HOOK:
			c.base = true
			h := nlAttrs{b: a.val}
			for h.next() {
				switch h.typ {
				case unix.NFTA_HOOK_HOOKNUM:
					c.hook, _ = be32(h.val)
				case unix.NFTA_HOOK_PRIORITY:
					p, _ := be32(h.val)
					c.prio = int32(p)
				case unix.NFTA_HOOK_DEV, 4: // NFTA_HOOK_DEVS
					c.unexpectedAttrs = true
				}
			}
		case unix.NFTA_CHAIN_COUNTERS:
			n := nlAttrs{b: a.val}
			for n.next() {
				switch n.typ {
				case unix.NFTA_COUNTER_PACKETS:
					c.packets, _ = be64(n.val)
				case unix.NFTA_COUNTER_BYTES:
					c.bytes, _ = be64(n.val)
				}
			}
		}
	}
	c.unexpectedAttrs = c.unexpectedAttrs || a.bad
	return table, c
}

// readRules dumps one chain's rules and translates them. exprs is scratch
// space handed back for reuse.
func (s *nfSock) readRules(fam uint8, table, chain string, exprs []nlExpr) ([]IPTablesRule, []nlExpr, error) {
	req := appendAttr(s.att[:0], unix.NFTA_RULE_TABLE, table)
	req = appendAttr(req, unix.NFTA_RULE_CHAIN, chain)
	s.att = req
	rules := []IPTablesRule{}
	err := s.dump(unix.NFT_MSG_GETRULE, fam, req, func(m []byte) error {
		var handle uint64
		var list []byte
		var rchain string
		a := nlAttrs{b: m}
		for a.next() {
			switch a.typ {
			case unix.NFTA_RULE_CHAIN:
				rchain = nlString(a.val)
			case unix.NFTA_RULE_HANDLE:
				handle, _ = be64(a.val)
			case unix.NFTA_RULE_EXPRESSIONS:
				list = a.val
			case unix.NFTA_RULE_USERDATA:
				if len(a.val) > 0 {
					// iptables-nft-save turns a comment in user data into
					// an extra -m comment; nothing iptables-nft 1.8.9
					// writes has user data.
					return untranslatable(chain, handle, "userdata", "rule user data")
				}
			}
		}
		if a.bad {
			return fmt.Errorf("decode rule of chain %s: malformed attributes", chain)
		}
		if rchain != chain {
			return nil
		}
		exprs = exprs[:0]
		l := nlAttrs{b: list}
		for l.next() {
			if l.typ != unix.NFTA_LIST_ELEM {
				continue
			}
			exprs = append(exprs, nlExpr{})
			decodeNLExpr(l.val, &exprs[len(exprs)-1])
		}
		if l.bad {
			return fmt.Errorf("decode rule %d of chain %s: malformed expressions", handle, chain)
		}
		r, err := translateRule(fam, chain, handle, exprs)
		if err != nil {
			return err
		}
		rules = append(rules, r)
		return nil
	})
	if err != nil {
		if errors.Is(err, ErrIPTablesUntranslatable) {
			return nil, exprs, fmt.Errorf("table %s: %w", table, err)
		}
		return nil, exprs, fmt.Errorf("list rules of chain %s in table %s: %w", chain, table, explainNetlink(err))
	}
	return rules, exprs, nil
}

// appendAttr appends a NUL-terminated string attribute.
func appendAttr(b []byte, typ uint16, val string) []byte {
	var h [4]byte
	binary.NativeEndian.PutUint16(h[:], uint16(4+len(val)+1))
	binary.NativeEndian.PutUint16(h[2:], typ)
	b = append(b, h[:]...)
	b = append(b, val...)
	b = append(b, 0)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// nfSock is a raw NETLINK_NETFILTER socket that parses replies in place in
// one reused buffer; mdlayher/netlink copies every message, which dominated
// the time of large dumps.
type nfSock struct {
	fd  int
	seq uint32
	buf []byte
	req []byte // last request, reused
	att []byte // request attributes, reused
}

func openNFSock(ns *nsutil.NetNS) (*nfSock, error) {
	var fd int
	var err error
	if ns == nil {
		fd, err = unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_NETFILTER)
	} else {
		fd, err = ns.Socket(unix.AF_NETLINK, unix.SOCK_RAW, unix.NETLINK_NETFILTER)
	}
	if err != nil {
		return nil, fmt.Errorf("open netfilter netlink socket: %w", explainNetlink(err))
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("bind netfilter netlink socket: %w", err)
	}
	return &nfSock{fd: fd, buf: make([]byte, 1<<16)}, nil
}

func (s *nfSock) close() { unix.Close(s.fd) }

func (s *nfSock) send(msgType uint16, flags uint16, fam uint8, attrs []byte) error {
	s.seq++
	req := append(s.req[:0], make([]byte, unix.NLMSG_HDRLEN+4)...)
	req = append(req, attrs...)
	s.req = req
	binary.NativeEndian.PutUint32(req, uint32(len(req)))
	binary.NativeEndian.PutUint16(req[4:], unix.NFNL_SUBSYS_NFTABLES<<8|msgType)
	binary.NativeEndian.PutUint16(req[6:], flags)
	binary.NativeEndian.PutUint32(req[8:], s.seq)
	req[16] = fam
	req[17] = unix.NFNETLINK_V0
	// An unconnected netlink socket writes to the kernel.
	_, err := unix.Write(s.fd, req)
	return err
}

// recv reads replies to the last request and calls fn with the payload
// (after the nfgenmsg header) of each message until NLMSG_DONE, or, for a
// request without NLM_F_DUMP, the first message.
func (s *nfSock) recv(dump bool, fn func([]byte) error) error {
	var ferr error
	for {
		// read(2), not recvfrom: no source address to allocate.
		n, err := unix.Read(s.fd, s.buf)
		if err != nil {
			if err == unix.EINTR {
				continue
			}
			return err
		}
		b := s.buf[:n]
		for len(b) >= unix.NLMSG_HDRLEN {
			l := int(binary.NativeEndian.Uint32(b))
			typ := binary.NativeEndian.Uint16(b[4:])
			flags := binary.NativeEndian.Uint16(b[6:])
			seq := binary.NativeEndian.Uint32(b[8:])
			if l < unix.NLMSG_HDRLEN || l > len(b) {
				return errors.New("malformed netlink message")
			}
			body := b[unix.NLMSG_HDRLEN:l]
			adv := (l + 3) &^ 3
			if adv > len(b) {
				adv = len(b)
			}
			b = b[adv:]
			if seq != s.seq {
				continue
			}
			switch typ {
			case unix.NLMSG_DONE:
				if len(body) >= 4 {
					if e := int32(binary.NativeEndian.Uint32(body)); e < 0 {
						return unix.Errno(-e)
					}
				}
				return ferr
			case unix.NLMSG_ERROR:
				if len(body) < 4 {
					return errors.New("short netlink error")
				}
				if e := int32(binary.NativeEndian.Uint32(body)); e < 0 {
					return unix.Errno(-e)
				}
				return ferr
			}
			if flags&unix.NLM_F_DUMP_INTR != 0 {
				return errors.New("dump interrupted by a ruleset change: try again")
			}
			if len(body) < 4 {
				return errors.New("short nfgenmsg")
			}
			if ferr == nil {
				ferr = fn(body[4:])
			}
			if !dump {
				return ferr
			}
		}
	}
}

func (s *nfSock) dump(msgType uint16, fam uint8, attrs []byte, fn func([]byte) error) error {
	if err := s.send(msgType, unix.NLM_F_REQUEST|unix.NLM_F_DUMP, fam, attrs); err != nil {
		return err
	}
	return s.recv(true, fn)
}

// genID returns the ruleset generation, which changes with every commit.
func (s *nfSock) genID() (uint32, error) {
	if err := s.send(unix.NFT_MSG_GETGEN, unix.NLM_F_REQUEST, unix.NFPROTO_UNSPEC, nil); err != nil {
		return 0, err
	}
	var id uint32
	found := false
	err := s.recv(false, func(m []byte) error {
		a := nlAttrs{b: m}
		for a.next() {
			if a.typ == unix.NFTA_GEN_ID {
				id, found = be32(a.val)
			}
		}
		return nil
	})
	if err == nil && !found {
		err = errors.New("no generation id in the reply")
	}
	return id, err
}
