// Package backupagent is what runs in the backup Job's pod and in a
// restoring member's init container, never in the operator: it streams a
// snapshot from etcd to a store, and a stored snapshot into a member's
// data directory, so that no database passes through the operator's memory.
package backupagent

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"syscall"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
)

// A Store keeps snapshot objects by key. Put leaves either the whole
// object or none: a reader that fails midway never leaves a partial
// object under key.
type Store interface {
	// Check fails when nothing could be written (no bucket, no access).
	Check(ctx context.Context) error
	Put(ctx context.Context, key string, r io.Reader) (size int64, err error)
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	Delete(ctx context.Context, key string) error
}

// FileStore keeps objects as files under Root (a mounted claim).
type FileStore struct{ Root string }

// Check makes sure Root is a writable directory.
func (f FileStore) Check(context.Context) error {
	probe := filepath.Join(f.Root, ".etcd-operator-probe")
	if err := os.WriteFile(probe, nil, 0o600); err != nil {
		return err
	}
	return os.Remove(probe)
}

// Put writes key.part, syncs it and renames it into place.
func (f FileStore) Put(_ context.Context, key string, r io.Reader) (int64, error) {
	path := filepath.Join(f.Root, key)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return 0, err
	}
	part := path + ".part"
	out, err := os.OpenFile(part, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(out, r)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(part, path)
	}
	if err != nil {
		_ = os.Remove(part)
		return 0, err
	}
	return n, syncDir(filepath.Dir(path))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer func() { _ = d.Close() }()
	return d.Sync()
}

// Get opens the object's file.
func (f FileStore) Get(_ context.Context, key string) (io.ReadCloser, error) {
	return os.Open(filepath.Join(f.Root, key))
}

// Delete removes the object's file; a missing one is not an error.
func (f FileStore) Delete(_ context.Context, key string) error {
	err := os.Remove(filepath.Join(f.Root, key))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

// S3Store keeps objects in a bucket of an S3-compatible store.
type S3Store struct {
	client *minio.Client
	bucket string
}

// partSize bounds the memory of a streamed upload of unknown size: minio-go
// buffers one part at a time (its default for an unknown size is 512 MiB).
const partSize = 16 << 20

// S3Config is where an S3Store is and how to reach it.
type S3Config struct {
	Endpoint  string // http(s)://host[:port]
	Bucket    string
	Region    string
	PathStyle bool
	// CAFile, when set, is trusted besides the system's roots.
	CAFile          string
	AccessKeyID     string
	SecretAccessKey string
}

// NewS3Store connects nothing yet; the first call does.
func NewS3Store(c S3Config) (*S3Store, error) {
	u, err := url.Parse(c.Endpoint)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("s3 endpoint %q is not a URL with a host", c.Endpoint)
	}
	secure := u.Scheme == "https"
	transport, err := minio.DefaultTransport(secure)
	if err != nil {
		return nil, err
	}
	if c.CAFile != "" {
		pool, err := caPool(c.CAFile)
		if err != nil {
			return nil, err
		}
		transport.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	lookup := minio.BucketLookupDNS
	if c.PathStyle {
		lookup = minio.BucketLookupPath
	}
	region := c.Region
	if region == "" {
		region = "us-east-1"
	}
	client, err := minio.New(u.Host, &minio.Options{
		Creds:        credentials.NewStaticV4(c.AccessKeyID, c.SecretAccessKey, ""),
		Secure:       secure,
		Region:       region,
		BucketLookup: lookup,
		Transport:    transport,
	})
	if err != nil {
		return nil, err
	}
	return &S3Store{client: client, bucket: c.Bucket}, nil
}

func caPool(file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no PEM certificate", file)
	}
	return pool, nil
}

// Check fails with NoSuchBucket or AccessDenied before anything streams.
func (s *S3Store) Check(ctx context.Context) error {
	ok, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return err
	}
	if !ok {
		return minio.ErrorResponse{Code: "NoSuchBucket", Message: "bucket " + s.bucket + " does not exist", BucketName: s.bucket}
	}
	return nil
}

// Put streams r as a multipart upload, which the store makes visible only
// when complete (minio-go aborts it on an error), then checks the stored
// size.
func (s *S3Store) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	info, err := s.client.PutObject(ctx, s.bucket, key, r, -1, minio.PutObjectOptions{
		PartSize: partSize, ContentType: "application/octet-stream",
	})
	if err != nil {
		return 0, err
	}
	stat, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		return 0, fmt.Errorf("verifying the uploaded object: %w", err)
	}
	if stat.Size != info.Size {
		return 0, fmt.Errorf("the store holds %d bytes of %s, %d were uploaded", stat.Size, key, info.Size)
	}
	return stat.Size, nil
}

// Get streams the object.
func (s *S3Store) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if _, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{}); err != nil {
		return nil, err
	}
	return s.client.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
}

// Delete removes the object; a missing one is not an error.
func (s *S3Store) Delete(ctx context.Context, key string) error {
	return s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{})
}

// Reason names what went wrong with a store, as an EtcdBackup reason.
func Reason(err error) string {
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return etcdv1alpha1.ReasonClaimFull
	}
	switch minio.ToErrorResponse(err).Code {
	case "NoSuchBucket":
		return etcdv1alpha1.ReasonBucketNotFound
	case "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken":
		return etcdv1alpha1.ReasonAccessDenied
	}
	return etcdv1alpha1.ReasonStorageFailed
}
