// Package show prints what netdiag reads the way the standard tools print
// it: links, addresses, routes and neighbours as iproute2 does, the
// ruleset as `nft list ruleset`, the IPVS table as `ipvsadm -Ln` and
// connections as `conntrack -L` and `conntrack -E`. The cli and a bundle's
// text files use it; the reader packages do not print.
package show
