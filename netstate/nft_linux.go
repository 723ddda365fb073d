package netstate

import (
	"errors"
	"fmt"

	"github.com/mdlayher/netlink"
	"github.com/netdiag/netdiag/nsutil"
	"golang.org/x/sys/unix"
)

// ErrNFTNotSupported means the kernel has no nf_tables.
var ErrNFTNotSupported = errors.New("nf_tables is not available in this kernel (module nf_tables not loaded)")

// NFTDump reads the nftables ruleset of the netns ns (nil: the caller's).
// family and table restrict it to one table ("" matches any). Equivalent to
// `nft list ruleset`, or `nft list table FAMILY TABLE`.
func NFTDump(ns *nsutil.NetNS, family, table string) (*NFTRuleset, error) {
	conn, err := dialNetfilter(ns)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	rs, err := nftDump(conn, family, table)
	if err != nil {
		return nil, fmt.Errorf("read nftables ruleset: %w", explainNetlink(err))
	}
	if table != "" && len(rs.Tables) == 0 {
		return nil, fmt.Errorf("read nftables table %q: %w", table, ErrNFTTableNotFound)
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
		return nil, fmt.Errorf("open netfilter netlink socket: %w", explainNetlink(err))
	}
	return conn, nil
}

func explainNetlink(err error) error {
	switch {
	case errors.Is(err, unix.EPERM), errors.Is(err, unix.EACCES):
		return fmt.Errorf("needs CAP_NET_ADMIN: run as root: %w", err)
	case errors.Is(err, unix.EPROTONOSUPPORT), errors.Is(err, unix.EAFNOSUPPORT):
		return fmt.Errorf("%w: %w", ErrNFTNotSupported, err)
	}
	return err
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

func nftDump(conn *netlink.Conn, family, table string) (*NFTRuleset, error) {
	msgs, err := nftRequest(conn, unix.NFT_MSG_GETTABLE, unix.NFPROTO_UNSPEC, nil)
	if err != nil {
		if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.EOPNOTSUPP) {
			return nil, fmt.Errorf("%w: %w", ErrNFTNotSupported, err)
		}
		return nil, fmt.Errorf("list tables: %w", err)
	}
	rs := &NFTRuleset{}
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
		if err := nftFillTable(conn, fams[i], &rs.Tables[i]); err != nil {
			return nil, err
		}
	}
	return rs, nil
}

func nftFillTable(conn *netlink.Conn, fam uint8, t *NFTTable) error {
	tattr := []netlink.Attribute{{Type: unix.NFTA_SET_TABLE, Data: cstr(t.Name)}}
	msgs, err := nftRequest(conn, unix.NFT_MSG_GETSET, fam, tattr)
	if err != nil && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("list sets of table %s %s: %w", t.Family, t.Name, err)
	}
	sets := map[string]*NFTSet{}
	var all []*NFTSet
	for _, m := range msgs {
		s, _, err := parseNFTSet(m.Data)
		if err != nil {
			return fmt.Errorf("decode set: %w", err)
		}
		sp := &s
		all = append(all, sp)
		sets[s.Name] = sp
	}
	for _, s := range all {
		em, err := nftRequest(conn, unix.NFT_MSG_GETSETELEM, fam, []netlink.Attribute{
			{Type: unix.NFTA_SET_ELEM_LIST_TABLE, Data: cstr(t.Name)},
			{Type: unix.NFTA_SET_ELEM_LIST_SET, Data: cstr(s.Name)},
		})
		if err != nil && !errors.Is(err, unix.ENOENT) {
			return fmt.Errorf("list elements of set %s: %w", s.Name, err)
		}
		for _, m := range em {
			if err := parseNFTElements(m.Data, s); err != nil {
				return fmt.Errorf("decode elements of set %s: %w", s.Name, err)
			}
		}
		s.finish()
		if !s.Anonymous {
			t.Sets = append(t.Sets, *s)
		}
	}
	// One dump per chain: the kernel resumes a dump by skipping every rule
	// it already sent, so one dump of a table with 100,000 rules costs
	// seconds of system time where per-chain dumps cost milliseconds.
	for i := range t.Chains {
		c := &t.Chains[i]
		rm, err := nftRequest(conn, unix.NFT_MSG_GETRULE, fam, []netlink.Attribute{
			{Type: unix.NFTA_RULE_TABLE, Data: cstr(t.Name)},
			{Type: unix.NFTA_RULE_CHAIN, Data: cstr(c.Name)},
		})
		if err != nil && !errors.Is(err, unix.ENOENT) {
			return fmt.Errorf("list rules of chain %s in table %s %s: %w", c.Name, t.Family, t.Name, err)
		}
		for _, m := range rm {
			raw, err := parseNFTRule(m.Data)
			if err != nil {
				return fmt.Errorf("decode rule: %w", err)
			}
			if raw.chain == c.Name {
				c.Rules = append(c.Rules, renderNFTRule(t.Family, sets, raw))
			}
		}
	}
	for i := range t.Chains {
		if t.Chains[i].Rules == nil {
			t.Chains[i].Rules = []NFTRule{}
		}
	}
	return nil
}
