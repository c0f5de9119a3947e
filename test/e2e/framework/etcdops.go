//go:build e2e || olm

package framework

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/onsi/gomega"
	clientv3 "go.etcd.io/etcd/client/v3"
)

const (
	// PollInterval is the pause between two checks while a suite measures.
	PollInterval = 150 * time.Millisecond
	// HealthyBound bounds the wait for a cluster already seen healthy.
	HealthyBound = 30 * time.Second
)

// PutKeys writes n keys under prefix through all endpoints and returns
// them with the revision of the last write.
func (d Dialer) PutKeys(ctx context.Context, endpoints []string, prefix string, n int) (map[string]string, int64) {
	c, err := d.New(endpoints...)
	gomega.Expect(err).NotTo(gomega.HaveOccurred())
	defer func() { _ = c.Close() }()
	kvs := map[string]string{}
	var rev int64
	for i := range n {
		k, v := fmt.Sprintf("/e2e/%s/%d", prefix, i), fmt.Sprintf("value-%d-%d", i, time.Now().UnixNano())
		gomega.Eventually(ctx, func() error {
			cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			resp, err := c.Put(cctx, k, v)
			if err == nil {
				rev = resp.Header.Revision
			}
			return err
		}).WithTimeout(20*time.Second).WithPolling(200*time.Millisecond).Should(gomega.Succeed(), "put %s", k)
		kvs[k] = v
	}
	return kvs, rev
}

// LocalValues reads keys from the member at endpoint alone (a serializable
// get: that member's own data, not the leader's).
func (d Dialer) LocalValues(ctx context.Context, endpoint string, keys map[string]string) (map[string]string, error) {
	c, err := d.New(endpoint)
	if err != nil {
		return nil, err
	}
	defer func() { _ = c.Close() }()
	out := map[string]string{}
	for k := range keys {
		cctx, cancel := context.WithTimeout(ctx, time.Second)
		resp, err := c.Get(cctx, k, clientv3.WithSerializable())
		cancel()
		if err != nil {
			return nil, err
		}
		if len(resp.Kvs) == 1 {
			out[k] = string(resp.Kvs[0].Value)
		}
	}
	return out, nil
}

// HashKV is the member's hash of its key-value store at rev.
func (d Dialer) HashKV(ctx context.Context, endpoint string, rev int64) (uint32, error) {
	c, err := d.New(endpoint)
	if err != nil {
		return 0, err
	}
	defer func() { _ = c.Close() }()
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	resp, err := c.HashKV(cctx, endpoint, rev)
	if err != nil {
		return 0, err
	}
	return resp.Hash, nil
}

// HashesAt groups the members by their HashKV at rev: one group when they
// all hold the same data.
func (d Dialer) HashesAt(ctx context.Context, st ClusterState, rev int64) (map[uint32][]string, error) {
	out := map[uint32][]string{}
	for _, m := range st.Members {
		h, err := d.HashKV(ctx, m.Endpoint(), rev)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", m.Pod, err)
		}
		out[h] = append(out[h], m.Pod)
	}
	return out, nil
}

// AllSilent is nil when none of the members in st answers a Status call.
func (d Dialer) AllSilent(ctx context.Context, st ClusterState) error {
	var errs []error
	for _, m := range st.Members {
		if _, err := d.Status(ctx, m.IP); err == nil {
			errs = append(errs, fmt.Errorf("%s at %s still answers", m.Pod, m.IP))
		}
	}
	return errors.Join(errs...)
}

// ExpectHealthy waits (at most HealthyBound) until t's members are all
// healthy and returns what they said.
func (f *Framework) ExpectHealthy(ctx context.Context, t Target) ClusterState {
	var st ClusterState
	gomega.Eventually(ctx, func() error {
		var err error
		if st, err = f.Observe(ctx, t); err != nil {
			return err
		}
		return st.Healthy(t.Size)
	}).WithTimeout(HealthyBound).WithPolling(PollInterval).Should(gomega.Succeed(), "%s/%s: %d healthy members", t.Namespace, t.Instance, t.Size)
	return st
}

// ExpectData checks that the member at endpoint holds kvs itself.
func (d Dialer) ExpectData(ctx context.Context, endpoint string, kvs map[string]string) {
	gomega.Eventually(ctx, func() (map[string]string, error) {
		return d.LocalValues(ctx, endpoint, kvs)
	}).WithTimeout(30*time.Second).WithPolling(200*time.Millisecond).Should(gomega.Equal(kvs), "data of the member at %s", endpoint)
}
