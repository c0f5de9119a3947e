package backupagent

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/internal/backup"
)

// quorumProbeKey is read linearizably before the snapshot: a member cut
// off from its quorum still streams its local database, which may be
// stale, so the backup refuses it.
const quorumProbeKey = "\x00etcd-operator/backup-quorum-probe"

// Save streams a snapshot of the member at endpoint to key in store,
// hashing it on the way. It reports either a complete object or a reason.
func Save(ctx context.Context, cli *clientv3.Client, endpoint string, store Store, key string) backup.Result {
	if err := store.Check(ctx); err != nil {
		return failed(Reason(err), "the destination cannot be written", err)
	}
	status, err := call(ctx, func(ctx context.Context) (*clientv3.StatusResponse, error) { return cli.Status(ctx, endpoint) })
	if err != nil {
		return failed(etcdv1alpha1.ReasonEtcdUnavailable, "the member did not answer", err)
	}
	if _, err := call(ctx, func(ctx context.Context) (*clientv3.GetResponse, error) {
		return cli.Get(ctx, quorumProbeKey, clientv3.WithCountOnly())
	}); err != nil {
		return failed(etcdv1alpha1.ReasonEtcdUnavailable, "the member has no quorum (a linearizable read failed), so its data may be stale", err)
	}
	stream, err := cli.Snapshot(ctx)
	if err != nil {
		return failed(etcdv1alpha1.ReasonEtcdUnavailable, "the member refused a snapshot", err)
	}
	defer func() { _ = stream.Close() }()
	hash := sha256.New()
	size, err := store.Put(ctx, key, io.TeeReader(stream, hash))
	if err != nil {
		// A broken stream surfaces here too: the store then has no object.
		return failed(Reason(err), "streaming the snapshot to the destination failed; no object was left", err)
	}
	return backup.Result{
		SizeBytes: size,
		SHA256:    hex.EncodeToString(hash.Sum(nil)),
		Revision:  status.Header.Revision,
		Version:   status.Version,
		ClusterID: fmt.Sprintf("%x", status.Header.ClusterId),
	}
}

// callTimeout bounds a single request; the stream is bounded by ctx only.
const callTimeout = 10 * time.Second

func call[T any](ctx context.Context, f func(context.Context) (T, error)) (T, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	return f(ctx)
}

func failed(reason, what string, err error) backup.Result {
	return backup.Result{Reason: reason, Message: what + ": " + err.Error()}
}
