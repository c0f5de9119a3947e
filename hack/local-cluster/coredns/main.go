// Command coredns is CoreDNS v1.14.7 linked with only the plugins that the local
// cluster's Corefile uses (bind, cache, errors, health, kubernetes, loop, ready,
// reload, log), instead of the ~60 of the upstream build. The directive order is
// upstream's (core/dnsserver), so the Corefile behaves as with a stock CoreDNS.
package main

import (
	_ "github.com/coredns/coredns/plugin/bind"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/loop"
	_ "github.com/coredns/coredns/plugin/ready"
	_ "github.com/coredns/coredns/plugin/reload"

	"github.com/coredns/coredns/coremain"
)

func main() { coremain.Run() }
