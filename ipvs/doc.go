// Package ipvs reads the IPVS virtual services of a network namespace over generic netlink.
package ipvs
