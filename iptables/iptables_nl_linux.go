package iptables

import (
	"errors"
	"fmt"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/netdiag/netdiag/internal/nfnl"
	"github.com/netdiag/netdiag/nsutil"
)

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

// Read reads the tables iptables-nft (ip6 false) or
// ip6tables-nft (ip6 true) made in ns (nil: the caller's netns) over
// netlink and translates every rule into iptables-save text. Equivalent to
// `iptables-nft-save -c` (`ip6tables-nft-save -c`) without the binary: its
// WriteSave output is that of v1.8.9 except for the comment lines.
//
// A rule the translator does not know with certainty gives an error wrapping
// ErrUntranslatable; run the binary then. Rules are dumped one chain
// at a time: the kernel resumes a table-wide dump by skipping every rule it
// already sent, which is quadratic in the number of rules.
func Read(ns *nsutil.NetNS, ip6 bool) (*Ruleset, error) {
	fam := uint8(unix.NFPROTO_IPV4)
	if ip6 {
		fam = unix.NFPROTO_IPV6
	}
	s, err := nfnl.Open(ns)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	// The ruleset may change between the dumps (kube-proxy resyncs); read
	// again when the generation moved, as iptables-nft does.
	for try := 0; ; try++ {
		gen, err := s.GenID()
		if err != nil {
			return nil, fmt.Errorf("read nf_tables generation: %w", nfnl.Explain(err))
		}
		rs, err := readIPTables(s, ns, fam)
		if err != nil {
			return nil, err
		}
		gen2, err := s.GenID()
		if err != nil {
			return nil, fmt.Errorf("read nf_tables generation: %w", nfnl.Explain(err))
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

func readIPTables(s *nfnl.Sock, ns *nsutil.NetNS, fam uint8) (*Ruleset, error) {
	present := map[string]bool{}
	err := s.Dump(unix.NFT_MSG_GETTABLE, fam, nil, func(m []byte) error {
		a := nfnl.Attrs{B: m}
		for a.Next() {
			if a.Type == unix.NFTA_TABLE_NAME {
				present[nfnl.String(a.Val)] = true
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list nf_tables tables: %w", nfnl.Explain(err))
	}
	rs := &Ruleset{Backend: NFT, Tables: []Table{}}
	if len(present) == 0 {
		return rs, nil
	}
	chains := map[string][]nlChain{}
	err = s.Dump(unix.NFT_MSG_GETCHAIN, fam, nil, func(m []byte) error {
		table, c := parseNLChain(m)
		if present[table] {
			chains[table] = append(chains[table], c)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list nf_tables chains: %w", nfnl.Explain(err))
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
		t := Table{Name: tdef.name}
		var user []nlChain
		byName := map[string]nlChain{}
		for _, c := range chains[tdef.name] {
			if c.unexpectedAttrs {
				return nil, fmt.Errorf("%w: table %s chain %s: attributes iptables-nft does not set", ErrUntranslatable, tdef.name, c.name)
			}
			if !c.base {
				if !iptSafeWord(c.name) {
					return nil, fmt.Errorf("%w: table %s: chain name %q", ErrUntranslatable, tdef.name, c.name)
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
				return nil, fmt.Errorf("%w: table %s: base chain %s (hook %d, priority %d, type %s) is not one iptables-nft makes", ErrUntranslatable, tdef.name, c.name, c.hook, c.prio, c.typ)
			}
			byName[c.name] = c
		}
		for _, b := range tdef.chains {
			ch := Chain{Name: b.name, Policy: "ACCEPT", Rules: []Rule{}}
			if c, ok := byName[b.name]; ok {
				switch c.policy {
				case 1:
				case 0:
					ch.Policy = "DROP"
				default:
					return nil, fmt.Errorf("%w: table %s chain %s: policy %d", ErrUntranslatable, tdef.name, c.name, c.policy)
				}
				ch.Packets, ch.Bytes = c.packets, c.bytes
				jobs = append(jobs, job{tdef.name, b.name, len(rs.Tables), len(t.Chains)})
			}
			t.Chains = append(t.Chains, ch)
		}
		sort.Slice(user, func(i, j int) bool { return user[i].name < user[j].name })
		for _, c := range user {
			jobs = append(jobs, job{tdef.name, c.name, len(rs.Tables), len(t.Chains)})
			t.Chains = append(t.Chains, Chain{Name: c.name, Policy: "-", Rules: []Rule{}})
		}
		rs.Tables = append(rs.Tables, t)
	}
	// The chains' rules, read by a few sockets at once: most of the time is
	// the kernel filling one dump per chain, which runs in the reading
	// thread.
	workers := min(runtime.GOMAXPROCS(0), 4, 1+len(jobs)/500)
	socks := []*nfnl.Sock{s}
	for len(socks) < workers {
		extra, err := nfnl.Open(ns)
		if err != nil {
			break // the first socket does it all
		}
		defer extra.Close()
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
				if c.Rules, exprs, err = readRules(sock, fam, j.table, j.chain, exprs); err != nil {
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
	a := nfnl.Attrs{B: m}
	for a.Next() {
		switch a.Type {
		case unix.NFTA_CHAIN_TABLE:
			table = nfnl.String(a.Val)
		case unix.NFTA_CHAIN_NAME:
			c.name = nfnl.String(a.Val)
		case unix.NFTA_CHAIN_TYPE:
			c.typ = nfnl.String(a.Val)
		case unix.NFTA_CHAIN_POLICY:
			v, ok := nfnl.BE32(a.Val)
			c.policy, c.hasPolicy = v, ok
			c.unexpectedAttrs = c.unexpectedAttrs || !ok
		case unix.NFTA_CHAIN_HOOK:
			c.base = true
			h := nfnl.Attrs{B: a.Val}
			for h.Next() {
				switch h.Type {
				case unix.NFTA_HOOK_HOOKNUM:
					c.hook, _ = nfnl.BE32(h.Val)
				case unix.NFTA_HOOK_PRIORITY:
					p, _ := nfnl.BE32(h.Val)
					c.prio = int32(p)
				case unix.NFTA_HOOK_DEV, 4: // NFTA_HOOK_DEVS
					c.unexpectedAttrs = true
				}
			}
		case unix.NFTA_CHAIN_COUNTERS:
			n := nfnl.Attrs{B: a.Val}
			for n.Next() {
				switch n.Type {
				case unix.NFTA_COUNTER_PACKETS:
					c.packets, _ = nfnl.BE64(n.Val)
				case unix.NFTA_COUNTER_BYTES:
					c.bytes, _ = nfnl.BE64(n.Val)
				}
			}
		}
	}
	c.unexpectedAttrs = c.unexpectedAttrs || a.Bad
	return table, c
}

// readRules dumps one chain's rules and translates them. exprs is scratch
// space handed back for reuse.
func readRules(s *nfnl.Sock, fam uint8, table, chain string, exprs []nlExpr) ([]Rule, []nlExpr, error) {
	req := nfnl.AppendAttr(s.Scratch[:0], unix.NFTA_RULE_TABLE, table)
	req = nfnl.AppendAttr(req, unix.NFTA_RULE_CHAIN, chain)
	s.Scratch = req
	rules := []Rule{}
	err := s.Dump(unix.NFT_MSG_GETRULE, fam, req, func(m []byte) error {
		var handle uint64
		var list []byte
		var rchain string
		a := nfnl.Attrs{B: m}
		for a.Next() {
			switch a.Type {
			case unix.NFTA_RULE_CHAIN:
				rchain = nfnl.String(a.Val)
			case unix.NFTA_RULE_HANDLE:
				handle, _ = nfnl.BE64(a.Val)
			case unix.NFTA_RULE_EXPRESSIONS:
				list = a.Val
			case unix.NFTA_RULE_USERDATA:
				if len(a.Val) > 0 {
					// iptables-nft-save turns a comment in user data into
					// an extra -m comment; nothing iptables-nft 1.8.9
					// writes has user data.
					return untranslatable(chain, handle, "userdata", "rule user data")
				}
			}
		}
		if a.Bad {
			return fmt.Errorf("decode rule of chain %s: malformed attributes", chain)
		}
		if rchain != chain {
			return nil
		}
		exprs = exprs[:0]
		l := nfnl.Attrs{B: list}
		for l.Next() {
			if l.Type != unix.NFTA_LIST_ELEM {
				continue
			}
			exprs = append(exprs, nlExpr{})
			decodeNLExpr(l.Val, &exprs[len(exprs)-1])
		}
		if l.Bad {
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
		if errors.Is(err, ErrUntranslatable) {
			return nil, exprs, fmt.Errorf("table %s: %w", table, err)
		}
		return nil, exprs, fmt.Errorf("list rules of chain %s in table %s: %w", chain, table, nfnl.Explain(err))
	}
	return rules, exprs, nil
}
