// Package ipshow shows links, addresses, routes and neighbours as iproute2 does: the JSON and text of netdiag's ip commands and of a bundle's ip-*.txt.
package ipshow
