package probe

import "strings"

// status is the outcome of querying one name, in the terms of glibc's
// h_errno that decide whether the search list goes on.
type status int

const (
	stOK          status = iota // NOERROR with answers
	stNXDomain                  // HOST_NOT_FOUND: go on
	stNoData                    // NO_DATA: go on
	stServFail                  // TRY_AGAIN from SERVFAIL: go on
	stTimeout                   // TRY_AGAIN, nothing answered: stop searching
	stUnreachable               // TRY_AGAIN, only ICMP errors came back: stop searching
	stFailed                    // REFUSED, NOTIMP, FORMERR…: stop searching
	stConnRefused               // every server's port was closed: give up at once
)

// search runs glibc's res_nsearch over name (glibc 2.36,
// resolv/res_query.c): a name with at least ndots dots, or a trailing dot,
// is tried as-is first (and only as-is with a trailing dot); then each search
// domain in order while the answers are NXDOMAIN, NODATA or SERVFAIL; then
// the name as-is if it was not tried yet and the search list has no root
// domain (and, with no-tld-query, the name has a dot). query is called with
// each fully qualified name in turn; search returns the final status and
// the name that decided it.
func search(c *ResolvConf, name string, noSearch bool, query func(fqdn string) status) (status, string) {
	dots := strings.Count(name, ".")
	trailing := strings.HasSuffix(name, ".")
	if noSearch || name == "" {
		trailing = true
	}
	saved, savedName := status(-1), ""
	triedAsIs := false
	if dots >= c.Ndots || trailing {
		st := query(fqdn(name, ""))
		if st == stOK || trailing {
			return st, fqdn(name, "")
		}
		saved, savedName, triedAsIs = st, fqdn(name, ""), true
	}
	searched, rootOnList := false, false
	gotNoData, gotServFail := false, false
	last, lastName := stNXDomain, ""
	if !trailing {
		for _, d := range c.Search {
			searched = true
			// glibc drops one leading dot, so "." and "" both mean the root.
			d = strings.TrimPrefix(d, ".")
			if d == "" {
				rootOnList = true
			}
			n := fqdn(name, d)
			st := query(n)
			last, lastName = st, n
			done := false
			switch st {
			case stOK:
				return st, n
			case stConnRefused:
				return st, n
			case stNoData:
				gotNoData = true
			case stNXDomain:
			case stServFail:
				gotServFail = true
			default:
				done = true
			}
			if done {
				break
			}
		}
	}
	if (dots > 0 || !searched || !c.NoTLDQuery) && !triedAsIs && !rootOnList {
		n := fqdn(name, "")
		st := query(n)
		if st == stOK {
			return st, n
		}
		last, lastName = st, n
	}
	switch {
	case saved >= 0:
		return saved, savedName
	case gotNoData:
		return stNoData, lastName
	case gotServFail:
		return stServFail, lastName
	}
	return last, lastName
}

// fqdn joins name and a search domain into an absolute name ("" for as-is).
func fqdn(name, domain string) string {
	name = strings.TrimSuffix(name, ".")
	if domain != "" {
		name += "." + strings.TrimSuffix(domain, ".")
	}
	return name + "."
}

// Candidates returns the names glibc's resolver queries, in order, for a
// lookup of name when every one of them is NXDOMAIN: the longest sequence
// a lookup under conf can send (per query type; getaddrinfo sends A and
// AAAA for each).
func Candidates(c *ResolvConf, name string) []string {
	var out []string
	search(c, name, false, func(n string) status {
		out = append(out, n)
		return stNXDomain
	})
	return out
}
