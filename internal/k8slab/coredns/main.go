// Command coredns is CoreDNS with only the plugins the lab's Corefile uses.
package main

import (
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/forward"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loadbalance"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/ready"

	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"
)

// The plugin order of CoreDNS's plugin.cfg, restricted to what is imported.
var directives = []string{"errors", "log", "health", "ready", "kubernetes", "loadbalance", "cache", "forward"}

func init() { dnsserver.Directives = directives }

func main() { coremain.Run() }
