// Command dnscheck asks one DNS server for the A records of a name, retrying until it
// answers (with the expected address, if given) or the timeout passes. up.sh uses it to
// wait for the local cluster's CoreDNS without depending on the host's resolver.
//
//	dnscheck -server 10.0.0.10:53 -name kubernetes.default.svc.cluster.local -expect 10.0.0.1
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"slices"
	"time"
)

func main() {
	server := flag.String("server", "10.0.0.10:53", "DNS server host:port")
	host := flag.String("name", "kubernetes.default.svc.cluster.local", "name to resolve")
	expect := flag.String("expect", "", "address that must be among the answers (optional)")
	timeout := flag.Duration("timeout", 60*time.Second, "give up after this long")
	tcp := flag.Bool("tcp", false, "query over TCP instead of UDP")
	flag.Parse()

	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		if *tcp {
			network = "tcp"
		}
		var d net.Dialer
		return d.DialContext(ctx, network, *server)
	}}
	deadline := time.Now().Add(*timeout)
	var last error
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		addrs, err := r.LookupHost(ctx, *host)
		cancel()
		if err == nil && (*expect == "" || slices.Contains(addrs, *expect)) {
			fmt.Printf("%s -> %v (server %s)\n", *host, addrs, *server)
			return
		}
		if err == nil {
			err = fmt.Errorf("answers %v do not include %s", addrs, *expect)
		}
		last = err
		if time.Now().After(deadline) {
			fmt.Fprintf(os.Stderr, "dnscheck: %s via %s: %v\n", *host, *server, last)
			os.Exit(1)
		}
		time.Sleep(250 * time.Millisecond)
	}
}
