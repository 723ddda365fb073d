// Package rtnl reads links, addresses, routes and neighbours of a network namespace over rtnetlink(7).
package rtnl
