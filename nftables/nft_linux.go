package nftables

import (
	"errors"
	"fmt"
	"sync"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/netdiag/netdiag/internal/nfexpr"
	"github.com/netdiag/netdiag/internal/nfnl"
	"github.com/netdiag/netdiag/nsutil"
)

// Dump reads the nftables ruleset of the netns ns (nil: the caller's).
// family and table restrict it to one table ("" matches any). Equivalent to
// `nft list ruleset`, or `nft list table FAMILY TABLE`.
func Dump(ns *nsutil.NetNS, family, table string) (*Ruleset, error) {
	conn, err := dialNetfilter(ns)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	rs, err := nftDump(ns, conn, family, table)
	if err != nil {
		return nil, fmt.Errorf("read nftables ruleset: %w", nfnl.Explain(err))
	}
	if table != "" && len(rs.Tables) == 0 {
		return nil, fmt.Errorf("read nftables table %q: %w", table, ErrTableNotFound)
	}
	return rs, nil
}

// dialNetfilter opens a NETLINK_NETFILTER socket inside ns; the socket keeps
// that netns from then on.
func dialNetfilter(ns *nsutil.NetNS) (*netlink.Conn, error) {
	var conn *netlink.Conn
	dial := func() error {
		var err error
		conn, err = netlink.Dial(unix.NETLINK_NETFILTER, nil)
		return err
	}
	var err error
	if ns == nil {
		err = dial()
	} else {
		err = ns.Do(dial)
	}
	if err != nil {
		return nil, fmt.Errorf("open netfilter netlink socket: %w", nfnl.Explain(err))
	}
	return conn, nil
}

func nftRequest(conn *netlink.Conn, msgType uint16, family uint8, attrs []netlink.Attribute) ([]netlink.Message, error) {
	var data []byte
	if len(attrs) > 0 {
		ae := netlink.NewAttributeEncoder()
		for _, a := range attrs {
			ae.Bytes(a.Type, a.Data)
		}
		b, err := ae.Encode()
		if err != nil {
			return nil, err
		}
		data = b
	}
	req := netlink.Message{
		Header: netlink.Header{
			Type:  netlink.HeaderType(unix.NFNL_SUBSYS_NFTABLES<<8 | msgType),
			Flags: netlink.Request | netlink.Dump,
		},
		Data: append([]byte{family, unix.NFNETLINK_V0, 0, 0}, data...),
	}
	return conn.Execute(req)
}

func cstr(s string) []byte { return append([]byte(s), 0) }

func nftDump(ns *nsutil.NetNS, conn *netlink.Conn, family, table string) (*Ruleset, error) {
	msgs, err := nftRequest(conn, unix.NFT_MSG_GETTABLE, unix.NFPROTO_UNSPEC, nil)
	if err != nil {
		if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.EOPNOTSUPP) {
			return nil, fmt.Errorf("%w: %w", ErrNotLoaded, err)
		}
		return nil, fmt.Errorf("list tables: %w", err)
	}
	rs := &Ruleset{}
	type key struct {
		fam  uint8
		name string
	}
	index := map[key]int{}
	var fams []uint8
	for _, m := range msgs {
		t, fam, err := parseNFTTable(m.Data)
		if err != nil {
			return nil, fmt.Errorf("decode table: %w", err)
		}
		if (family != "" && t.Family != family) || (table != "" && t.Name != table) {
			continue
		}
		index[key{fam, t.Name}] = len(rs.Tables)
		rs.Tables = append(rs.Tables, t)
		fams = append(fams, fam)
	}
	if len(rs.Tables) == 0 {
		return rs, nil
	}
	msgs, err = nftRequest(conn, unix.NFT_MSG_GETCHAIN, unix.NFPROTO_UNSPEC, nil)
	if err != nil {
		return nil, fmt.Errorf("list chains: %w", err)
	}
	for _, m := range msgs {
		c, fam, tname, err := parseNFTChain(m.Data)
		if err != nil {
			return nil, fmt.Errorf("decode chain: %w", err)
		}
		if i, ok := index[key{fam, tname}]; ok {
			rs.Tables[i].Chains = append(rs.Tables[i].Chains, c)
		}
	}
	for i := range rs.Tables {
		if err := nftFillTable(ns, conn, fams[i], &rs.Tables[i]); err != nil {
			return nil, err
		}
	}
	return rs, nil
}

func nftFillTable(ns *nsutil.NetNS, conn *netlink.Conn, fam uint8, t *Table) error {
	tattr := []netlink.Attribute{{Type: unix.NFTA_SET_TABLE, Data: cstr(t.Name)}}
	msgs, err := nftRequest(conn, unix.NFT_MSG_GETSET, fam, tattr)
	if err != nil && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("list sets of table %s %s: %w", t.Family, t.Name, err)
	}
	sets := map[string]*Set{}
	var all []*Set
	for _, m := range msgs {
		s, _, err := parseNFTSet(m.Data)
		if err != nil {
			return fmt.Errorf("decode set: %w", err)
		}
		sp := &s
		all = append(all, sp)
		sets[s.Name] = sp
	}
	// One dump per set: kube-proxy's table has an anonymous map per service.
	err = nfnl.OnSockets(ns, len(all), func(sock *nfnl.Sock, i int, attrs []byte) ([]byte, error) {
		s := all[i]
		attrs = nfnl.AppendAttr(nfnl.AppendAttr(attrs[:0], unix.NFTA_SET_ELEM_LIST_TABLE, t.Name), unix.NFTA_SET_ELEM_LIST_SET, s.Name)
		err := sock.Dump(unix.NFT_MSG_GETSETELEM, fam, attrs, func(m []byte) error {
			if err := parseNFTElementsAttrs(m, s); err != nil {
				return fmt.Errorf("decode elements of set %s: %w", s.Name, err)
			}
			return nil
		})
		if err != nil && !errors.Is(err, unix.ENOENT) {
			return attrs, fmt.Errorf("list elements of set %s: %w", s.Name, err)
		}
		s.finish()
		return attrs, nil
	})
	if err != nil {
		return err
	}
	for _, s := range all {
		if !s.Anonymous {
			t.Sets = append(t.Sets, *s)
		}
	}
	if err := nftRules(ns, fam, t, sets); err != nil {
		return fmt.Errorf("list rules of table %s %s: %w", t.Family, t.Name, err)
	}
	for i := range t.Chains {
		if t.Chains[i].Rules == nil {
			t.Chains[i].Rules = []Rule{}
		}
	}
	return nil
}

// exprPool holds scratch space for the expressions of one rule.
var exprPool = sync.Pool{New: func() any { return new([]nfexpr.Expr) }}

// nftRules reads the rules of every chain of t: one dump per chain, as the
// kernel resumes a table-wide dump by skipping every rule it already sent
// (quadratic: seconds of system time for 100,000 rules).
func nftRules(ns *nsutil.NetNS, fam uint8, t *Table, sets map[string]*Set) error {
	return nfnl.OnSockets(ns, len(t.Chains), func(sock *nfnl.Sock, i int, attrs []byte) ([]byte, error) {
		c := &t.Chains[i]
		attrs = nfnl.AppendAttr(nfnl.AppendAttr(attrs[:0], unix.NFTA_RULE_TABLE, t.Name), unix.NFTA_RULE_CHAIN, c.Name)
		exprs := exprPool.Get().(*[]nfexpr.Expr)
		defer exprPool.Put(exprs)
		err := sock.Dump(unix.NFT_MSG_GETRULE, fam, attrs, func(m []byte) error {
			raw, err := parseNFTRuleAttrs(m, *exprs)
			*exprs = raw.exprs
			if err != nil {
				return fmt.Errorf("decode rule: %w", err)
			}
			if raw.chain == c.Name {
				c.Rules = append(c.Rules, renderNFTRule(t.Family, sets, raw))
			}
			return nil
		})
		if err != nil && !errors.Is(err, unix.ENOENT) {
			return attrs, fmt.Errorf("chain %s: %w", c.Name, err)
		}
		return attrs, nil
	})
}
