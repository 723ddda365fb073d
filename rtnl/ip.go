package rtnl

import ()

// State is what iproute2 shows of one netns: interfaces with their
// addresses, routes and neighbours, in the JSON of netdiag's ip commands.
type State struct {
	Links     []Link  `json:"links"`
	Routes    []Route `json:"routes"`
	Neighbors []Neigh `json:"neighbors"`
	// Errors lists the parts that could not be read.
	Errors []string `json:"errors,omitempty"`
}

// Link is one interface with its addresses.
type Link struct {
	Index int    `json:"index"`
	Name  string `json:"name"`
	// Peer is the peer's name, or "ifN" for a peer in another netns.
	Peer     string   `json:"peer,omitempty"`
	Flags    []string `json:"flags"`
	MTU      int      `json:"mtu"`
	Master   string   `json:"master,omitempty"`
	State    string   `json:"state"`
	Kind     string   `json:"kind"`
	LinkType string   `json:"linkType"`
	Address  string   `json:"address"`
	Addrs    []Addr   `json:"addrs,omitempty"`
}

// Addr is one address of an interface.
type Addr struct {
	Family    string `json:"family"`
	Local     string `json:"local"`
	PrefixLen int    `json:"prefixLen"`
	Broadcast string `json:"broadcast,omitempty"`
	Scope     string `json:"scope"`
	Label     string `json:"label,omitempty"`
}

// Route is one route.
type Route struct {
	Type     string `json:"type"`
	Dst      string `json:"dst"`
	Gateway  string `json:"gateway,omitempty"`
	Dev      string `json:"dev,omitempty"`
	Protocol string `json:"protocol"`
	Scope    string `json:"scope"`
	Src      string `json:"prefsrc,omitempty"`
	Metric   int    `json:"metric,omitempty"`
	Table    int    `json:"table"`
	Family   string `json:"family"`
}

// Neigh is one neighbour (ARP/NDP) entry.
type Neigh struct {
	Dst    string   `json:"dst"`
	Dev    string   `json:"dev"`
	LLAddr string   `json:"lladdr,omitempty"`
	State  []string `json:"state"`
	Router bool     `json:"router,omitempty"`
	Family string   `json:"family"`
}

// Options says what Read reads besides the links, which it always reads.
// The zero value reads links only.
type Options struct {
	Addrs     bool // addresses of every link
	Routes    bool
	Neighbors bool
	// Family limits addresses, routes and neighbours to netlink.FAMILY_V4 or
	// FAMILY_V6; zero (FAMILY_ALL) reads both.
	Family int
	// AllTables reads the routes of every table, not only main's.
	AllTables bool
	// AllStates keeps the NOARP and NONE neighbour entries that `ip neigh`
	// shows only with `nud all`.
	AllStates bool
}
