//go:build e2e || olm

package framework

import (
	"context"
	"fmt"
	"time"

	"github.com/onsi/gomega"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// LostWrites reads every key under the writer's prefix back through
// endpoints (linearizable reads, retried) and returns the acknowledged
// writes that are missing or hold another value.
func (d Dialer) LostWrites(ctx context.Context, endpoints []string, r WriteReport) ([]string, error) {
	c, err := d.NewApp(endpoints...)
	if err != nil {
		return nil, err
	}
	defer func() { _ = c.Close() }()
	var stored map[string]string
	err = gomega.InterceptGomegaFailure(func() {
		gomega.Eventually(ctx, func() error {
			var err error
			stored, err = readPrefix(ctx, c, r.Prefix)
			return err
		}).WithTimeout(verifyBound).WithPolling(500 * time.Millisecond).Should(gomega.Succeed())
	})
	if err != nil {
		return nil, fmt.Errorf("reading %s back: %w", r.Prefix, err)
	}
	var lost []string
	for _, a := range r.Acks {
		if got, ok := stored[a.Key]; !ok {
			lost = append(lost, a.Key+" missing")
		} else if got != a.Value {
			lost = append(lost, fmt.Sprintf("%s holds %q, acknowledged %q", a.Key, got, a.Value))
		}
	}
	return lost, nil
}

// readPrefix reads every key under prefix, a page at a time, all pages at
// the first page's revision.
func readPrefix(ctx context.Context, c *clientv3.Client, prefix string) (map[string]string, error) {
	out := map[string]string{}
	end := clientv3.GetPrefixRangeEnd(prefix)
	from, rev := prefix, int64(0)
	for {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		opts := []clientv3.OpOption{clientv3.WithRange(end), clientv3.WithLimit(2000), clientv3.WithSort(clientv3.SortByKey, clientv3.SortAscend)}
		if rev != 0 {
			opts = append(opts, clientv3.WithRev(rev))
		}
		resp, err := c.Get(cctx, from, opts...)
		cancel()
		if err != nil {
			return nil, err
		}
		if rev == 0 {
			rev = resp.Header.Revision
		}
		for _, kv := range resp.Kvs {
			out[string(kv.Key)] = string(kv.Value)
		}
		if !resp.More || len(resp.Kvs) == 0 {
			return out, nil
		}
		from = string(resp.Kvs[len(resp.Kvs)-1].Key) + "\x00"
	}
}
