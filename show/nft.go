package show

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/netdiag/netdiag/nftables"
)

// WriteNFT prints the ruleset in the layout of `nft list ruleset`: tables,
// then sets and maps, then chains, with set elements wrapped as nft wraps
// them. Rules are their Text.
//
// Equivalent to: `nft list ruleset`.
func WriteNFT(w io.Writer, r *nftables.Ruleset) error {
	var b strings.Builder
	for i, t := range r.Tables {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "table %s %s {\n", t.Family, t.Name)
		if len(t.Flags) > 0 {
			fmt.Fprintf(&b, "\tflags %s\n", strings.Join(t.Flags, ","))
		}
		if t.Comment != "" {
			fmt.Fprintf(&b, "\tcomment %q\n", t.Comment)
		}
		n := 0
		for j := range t.Sets {
			if n > 0 {
				b.WriteString("\n")
			}
			n++
			writeNFTSet(&b, &t.Sets[j])
		}
		for _, c := range t.Chains {
			if n > 0 {
				b.WriteString("\n")
			}
			n++
			fmt.Fprintf(&b, "\tchain %s {\n", c.Name)
			if c.Comment != "" {
				fmt.Fprintf(&b, "\t\tcomment %q\n", c.Comment)
			}
			if c.Hook != "" {
				pol := c.Policy
				if pol == "" {
					pol = "accept"
				}
				prio := int32(0)
				if c.Priority != nil {
					prio = *c.Priority
				}
				fmt.Fprintf(&b, "\t\ttype %s hook %s priority %s; policy %s;\n", c.Type, c.Hook, nftPriority(t.Family, c.Hook, prio), pol)
			}
			for _, r := range c.Rules {
				fmt.Fprintf(&b, "\t\t%s\n", r.Text)
			}
			b.WriteString("\t}\n")
		}
		b.WriteString("}\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeNFTSet(b *strings.Builder, s *nftables.Set) {
	kind := "set"
	if s.Map {
		kind = "map"
	}
	fmt.Fprintf(b, "\t%s %s {\n", kind, s.Name)
	typ := strings.Join(s.KeyType, " . ")
	if s.Map {
		typ += " : " + s.DataType
	}
	fmt.Fprintf(b, "\t\ttype %s\n", typ)
	if len(s.Flags) > 0 {
		fmt.Fprintf(b, "\t\tflags %s\n", strings.Join(s.Flags, ","))
	}
	if s.Timeout > 0 {
		fmt.Fprintf(b, "\t\ttimeout %s\n", nftables.DurationString(s.Timeout))
	}
	if s.Comment != "" {
		fmt.Fprintf(b, "\t\tcomment %q\n", s.Comment)
	}
	if len(s.Elements) > 0 {
		perLine := s.ElementsPerLine()
		b.WriteString("\t\telements = { ")
		for i, e := range s.Elements {
			if i > 0 {
				if i%perLine == 0 {
					b.WriteString(",\n\t\t\t     ")
				} else {
					b.WriteString(", ")
				}
			}
			b.WriteString(s.ElementText(e))
		}
		b.WriteString(" }\n")
	}
	b.WriteString("\t}\n")
}

// nftPriority prints a base chain priority the way nft 1.0.x does:
// a standard name (with an offset of at most 10) where the family and hook
// allow one, else the number.
func nftPriority(family, hook string, prio int32) string {
	type std struct {
		name  string
		val   int32
		hooks string // "" = any hook
	}
	var stds []std
	switch family {
	case "ip", "ip6", "inet":
		stds = []std{{"raw", -300, ""}, {"mangle", -150, ""}, {"dstnat", -100, "prerouting"}, {"filter", 0, ""}, {"security", 50, ""}, {"srcnat", 100, "postrouting"}}
	case "bridge":
		stds = []std{{"dstnat", -300, "prerouting"}, {"filter", -200, ""}, {"out", 100, "output"}, {"srcnat", 300, "postrouting"}}
	case "arp", "netdev":
		stds = []std{{"filter", 0, ""}}
	}
	for _, s := range stds {
		if s.hooks != "" && s.hooks != hook {
			continue
		}
		off := prio - s.val
		switch {
		case off == 0:
			return s.name
		case off > 0 && off <= 10:
			return fmt.Sprintf("%s + %d", s.name, off)
		case off < 0 && off >= -10:
			return fmt.Sprintf("%s - %d", s.name, -off)
		}
	}
	return strconv.Itoa(int(prio))
}
