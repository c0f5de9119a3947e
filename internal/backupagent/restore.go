package backupagent

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/internal/backup"
)

// RestoreConfig is one member's restore, mostly from the etcd environment
// its pod is started with.
type RestoreConfig struct {
	DataDir        string // ETCD_DATA_DIR
	State          string // ETCD_INITIAL_CLUSTER_STATE
	Name           string // ETCD_NAME
	InitialCluster string // ETCD_INITIAL_CLUSTER
	Token          string // ETCD_INITIAL_CLUSTER_TOKEN
	PeerURLs       string // ETCD_INITIAL_ADVERTISE_PEER_URLS
	// SHA256 the whole object must have, as its backup recorded.
	SHA256       string
	Key          string
	BumpRevision int64
	// Etcdutl is the image's etcdutl, of the version the member runs.
	Etcdutl string
}

// Skip says why a member does not restore, "" when it must: only a
// member of a cluster being bootstrapped, with no data yet, restores. A
// member that joins later, or restarts, keeps what it has.
func Skip(c RestoreConfig) string {
	if c.State != "new" {
		return "the member joins an existing cluster, which sends it the data"
	}
	if _, err := os.Stat(filepath.Join(c.DataDir, "member")); err == nil {
		return "the member already has data"
	}
	return ""
}

// Restore fetches the snapshot, checks its SHA-256, and has etcdutl
// restore it into the member's data directory, which appears whole (a
// rename) or not at all.
func Restore(ctx context.Context, c RestoreConfig, store Store) backup.Result {
	work := filepath.Dir(c.DataDir)
	snapshot := filepath.Join(work, "restore.db")
	if err := fetch(ctx, store, c.Key, c.SHA256, snapshot); err != nil {
		var bad errChecksum
		if errors.As(err, &bad) {
			return backup.Result{Reason: etcdv1alpha1.ReasonRestoreFailed, Message: bad.Error()}
		}
		return failed(Reason(err), "fetching the snapshot failed", err)
	}
	tmp := filepath.Join(work, "restore.tmp")
	if err := os.RemoveAll(tmp); err != nil {
		return failed(etcdv1alpha1.ReasonRestoreFailed, "clearing an earlier attempt failed", err)
	}
	args := []string{"snapshot", "restore", snapshot, "--name", c.Name, "--initial-cluster", c.InitialCluster,
		"--initial-cluster-token", c.Token, "--initial-advertise-peer-urls", c.PeerURLs, "--data-dir", tmp}
	if c.BumpRevision > 0 {
		args = append(args, "--bump-revision", strconv.FormatInt(c.BumpRevision, 10), "--mark-compacted")
	}
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, c.Etcdutl, args...)
	cmd.Stdout, cmd.Stderr = io.MultiWriter(os.Stdout, &out), io.MultiWriter(os.Stderr, &out)
	if err := cmd.Run(); err != nil {
		return backup.Result{Reason: etcdv1alpha1.ReasonRestoreFailed, Message: "etcdutl snapshot restore failed: " + err.Error() + ": " + tail(out.String(), 600)}
	}
	if err := os.RemoveAll(c.DataDir); err != nil {
		return failed(etcdv1alpha1.ReasonRestoreFailed, "clearing the empty data directory failed", err)
	}
	if err := os.Rename(tmp, c.DataDir); err != nil {
		return failed(etcdv1alpha1.ReasonRestoreFailed, "moving the restored data into place failed", err)
	}
	_ = os.Remove(snapshot)
	return backup.Result{SHA256: c.SHA256, Message: "restored " + c.Key}
}

type errChecksum struct{ got, want string }

func (e errChecksum) Error() string {
	return fmt.Sprintf("the snapshot's SHA-256 is %s but its backup recorded %s: the object was changed or corrupted; no member starts on it", e.got, e.want)
}

// fetch copies key to path, hashing it; a mismatch leaves no file.
func fetch(ctx context.Context, store Store, key, want, path string) error {
	in, err := store.Get(ctx, key)
	if err != nil {
		return err
	}
	defer func() { _ = in.Close() }()
	part := path + ".part"
	out, err := os.OpenFile(part, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	hash := sha256.New()
	_, err = io.Copy(io.MultiWriter(out, hash), in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		if got := hex.EncodeToString(hash.Sum(nil)); got != want {
			err = errChecksum{got: got, want: want}
		}
	}
	if err != nil {
		_ = os.Remove(part)
		return err
	}
	return os.Rename(part, path)
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}
