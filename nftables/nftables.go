package nftables

import (
	"fmt"
	"strings"
	"time"
)

// Ruleset is an nftables ruleset as `nft list ruleset` shows it.
type Ruleset struct {
	Tables []Table `json:"tables"`
}

// Table is one table with its sets, maps and chains.
type Table struct {
	Family  string   `json:"family"` // ip, ip6, inet, arp, bridge, netdev
	Name    string   `json:"name"`
	Comment string   `json:"comment,omitempty"`
	Flags   []string `json:"flags,omitempty"`
	Sets    []Set    `json:"sets,omitempty"` // named sets and maps; anonymous ones appear inline in rules
	Chains  []Chain  `json:"chains"`
}

// Chain is a chain; Hook is empty for a regular (non-base) chain.
type Chain struct {
	Name     string `json:"name"`
	Type     string `json:"type,omitempty"`
	Hook     string `json:"hook,omitempty"`
	Priority *int32 `json:"priority,omitempty"`
	Policy   string `json:"policy,omitempty"`
	Comment  string `json:"comment,omitempty"`
	Rules    []Rule `json:"rules"`
}

// Rule is one rule in nft syntax. Text is what `nft list ruleset` prints
// for it, comment included.
type Rule struct {
	Handle  uint64 `json:"handle"`
	Text    string `json:"text"`
	Comment string `json:"comment,omitempty"`
	// Counter holds the rule's counter when it has one.
	Counter *Counter `json:"counter,omitempty"`
}

// Counter is a packet and byte count.
type Counter struct {
	Packets uint64 `json:"packets"`
	Bytes   uint64 `json:"bytes"`
}

// Set is a named or anonymous set, or a map when DataType is set.
type Set struct {
	Name      string        `json:"name"`
	Map       bool          `json:"map"`
	Anonymous bool          `json:"anonymous,omitempty"`
	KeyType   []string      `json:"keyType"` // concatenation parts: ["ipv4_addr","inet_proto","inet_service"]
	DataType  string        `json:"dataType,omitempty"`
	Flags     []string      `json:"flags,omitempty"`
	Timeout   time.Duration `json:"timeout,omitempty"`
	Comment   string        `json:"comment,omitempty"`
	Elements  []Element     `json:"elements"`

	id             uint32
	keyLen         uint32
	keyTypes       []uint32 // datatype ids of the key parts
	dataTypeID     uint32
	interval       bool
	keyByteOrderLE bool
	raw            []rawElem
}

// Element is one element; Key holds one string per concatenation part.
// Value is the mapped data ("goto CHAIN", "drop", an address…) for maps.
type Element struct {
	Key     []string `json:"key"`
	KeyEnd  []string `json:"keyEnd,omitempty"` // interval end, when the set has ranges
	Value   string   `json:"value,omitempty"`
	Comment string   `json:"comment,omitempty"`
}

// KeyString joins the key like nft does: "10.0.0.1 . tcp . 80".
func (e Element) KeyString() string {
	k := strings.Join(e.Key, " . ")
	if len(e.KeyEnd) > 0 {
		k += "-" + strings.Join(e.KeyEnd, " . ")
	}
	return k
}

// ElementsPerLine is how many elements `nft list ruleset` prints on one
// line of the set's "elements = { … }": five 16-bit values, two 32-bit
// ones, else one (anything longer, a map entry or a concatenation). For a
// set decoded from JSON, which lacks the key's datatype ids, it is one.
func (s *Set) ElementsPerLine() int {
	if !s.Map && len(s.keyTypes) == 1 {
		switch n := typeLen(s.keyTypes[0]); {
		case n <= 2:
			return 5
		case n <= 4:
			return 2
		}
	}
	return 1
}

// typeLen is the storage size of one key part; registers pad parts to 4 bytes.
func typeLen(t uint32) int {
	switch t {
	case 7, 19, 4, 20, 24, 25, 26:
		return 4
	case 8:
		return 16
	case 12, 2, 14, 15, 31, 36:
		return 1
	case 13, 10:
		return 2
	case 9:
		return 6
	case 41:
		return 16
	}
	return 4
}

// DurationString prints a duration as nft writes one: 10800s is "3h",
// 90s "1m30s"; zero is "0s". Rule and set texts use it.
func DurationString(d time.Duration) string {
	ms := d.Milliseconds()
	var b strings.Builder
	for _, u := range []struct {
		n  int64
		sf string
	}{{86400000, "d"}, {3600000, "h"}, {60000, "m"}, {1000, "s"}, {1, "ms"}} {
		if ms >= u.n {
			fmt.Fprintf(&b, "%d%s", ms/u.n, u.sf)
			ms %= u.n
		}
	}
	if b.Len() == 0 {
		return "0s"
	}
	return b.String()
}

// ElementText is e as nft writes it in this set, inline in a rule or in
// the set's "elements = { … }": the key, its comment, and ": value" when
// the set is a map.
func (s *Set) ElementText(e Element) string {
	t := e.KeyString()
	if e.Comment != "" {
		t += fmt.Sprintf(" comment %q", e.Comment)
	}
	if s.Map {
		t += " : " + e.Value
	}
	return t
}

// Table returns the table with that name in any family ("" when name is "").
func (r *Ruleset) Table(family, name string) *Table {
	for i := range r.Tables {
		t := &r.Tables[i]
		if t.Name == name && (family == "" || t.Family == family) {
			return t
		}
	}
	return nil
}

// Chain returns the chain with that name, or nil.
func (t *Table) Chain(name string) *Chain {
	for i := range t.Chains {
		if t.Chains[i].Name == name {
			return &t.Chains[i]
		}
	}
	return nil
}

// Set returns the set or map with that name, or nil.
func (t *Table) Set(name string) *Set {
	for i := range t.Sets {
		if t.Sets[i].Name == name {
			return &t.Sets[i]
		}
	}
	return nil
}

// rawElem is an element before interval ends are paired with their starts.
type rawElem struct {
	key, keyEnd    []byte
	value, comment string
	end            bool
}
