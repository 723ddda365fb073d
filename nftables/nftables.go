package nftables

import (
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
