package backupagent

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/internal/backup"
)

// Commands are the manager binary's subcommands that run the agent.
var Commands = map[string]func(args []string) int{
	"backup":        runBackup,
	"restore":       runRestore,
	"delete-backup": runDelete,
	"install-agent": runInstall,
}

// storeFlags select a Store: a directory, or an S3 bucket whose
// credentials come from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.
type storeFlags struct {
	root string
	s3   S3Config
	key  string
	// report is where the result goes: the container's termination message.
	report string
}

func (s *storeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&s.root, "file-root", "", "Directory the objects are files under (a mounted claim).")
	fs.StringVar(&s.s3.Endpoint, "s3-endpoint", "", "S3 endpoint URL.")
	fs.StringVar(&s.s3.Bucket, "s3-bucket", "", "S3 bucket.")
	fs.StringVar(&s.s3.Region, "s3-region", "", "S3 region.")
	fs.BoolVar(&s.s3.PathStyle, "s3-path-style", true, "Path-style bucket addressing.")
	fs.StringVar(&s.s3.CAFile, "s3-ca-file", "", "PEM CA bundle trusted for the endpoint, besides the system roots.")
	fs.StringVar(&s.key, "key", "", "Object key (a path under --file-root).")
	fs.StringVar(&s.report, "report", "/dev/termination-log", "Where the JSON result is written.")
}

func (s *storeFlags) store() (Store, error) {
	switch {
	case s.root != "" && s.s3.Endpoint == "":
		return FileStore{Root: s.root}, nil
	case s.root == "" && s.s3.Endpoint != "":
		s.s3.AccessKeyID = os.Getenv("AWS_ACCESS_KEY_ID")
		s.s3.SecretAccessKey = os.Getenv("AWS_SECRET_ACCESS_KEY")
		return NewS3Store(s.s3)
	}
	return nil, errors.New("exactly one of --file-root and --s3-endpoint is needed")
}

// finish writes r where the kubelet reads the termination message and
// gives the exit code: 0 only without a reason.
func (s *storeFlags) finish(r backup.Result) int {
	if err := os.WriteFile(s.report, r.Encode(), 0o600); err != nil {
		fmt.Fprintln(os.Stderr, "writing the report:", err)
	}
	if r.Reason != "" {
		fmt.Fprintf(os.Stderr, "%s: %s\n", r.Reason, r.Message)
		return 1
	}
	_, _ = fmt.Fprintln(os.Stdout, string(r.Encode()))
	return 0
}

func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
}

func runBackup(args []string) int {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	var sf storeFlags
	sf.register(fs)
	endpoint := fs.String("endpoint", "", "Client URL of the member to snapshot.")
	member := fs.String("member", "", "Name of that member, for the report.")
	var tlsInfo transport.TLSInfo
	fs.StringVar(&tlsInfo.TrustedCAFile, "cacert", "", "CA bundle the member's certificate is checked against.")
	fs.StringVar(&tlsInfo.CertFile, "cert", "", "Client certificate.")
	fs.StringVar(&tlsInfo.KeyFile, "key-file", "", "Client certificate's key.")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	store, err := sf.store()
	if err != nil {
		return sf.finish(failed(etcdv1alpha1.ReasonStorageFailed, "bad destination", err))
	}
	cfg := clientv3.Config{Endpoints: []string{*endpoint}, DialTimeout: 10 * time.Second}
	if tlsInfo.CertFile != "" {
		if cfg.TLS, err = tlsInfo.ClientConfig(); err != nil {
			return sf.finish(failed(etcdv1alpha1.ReasonEtcdUnavailable, "loading the client certificate failed", err))
		}
	}
	cli, err := clientv3.New(cfg)
	if err != nil {
		return sf.finish(failed(etcdv1alpha1.ReasonEtcdUnavailable, "connecting to the member failed", err))
	}
	defer func() { _ = cli.Close() }()
	ctx, cancel := signalContext()
	defer cancel()
	r := Save(ctx, cli, *endpoint, store, sf.key)
	r.Member = *member
	return sf.finish(r)
}

func runRestore(args []string) int {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	var sf storeFlags
	sf.register(fs)
	c := RestoreConfig{
		DataDir: os.Getenv("ETCD_DATA_DIR"), State: os.Getenv("ETCD_INITIAL_CLUSTER_STATE"),
		Name: os.Getenv("ETCD_NAME"), InitialCluster: os.Getenv("ETCD_INITIAL_CLUSTER"),
		Token: os.Getenv("ETCD_INITIAL_CLUSTER_TOKEN"), PeerURLs: os.Getenv("ETCD_INITIAL_ADVERTISE_PEER_URLS"),
	}
	fs.StringVar(&c.SHA256, "sha256", "", "SHA-256 the object must have.")
	fs.Int64Var(&c.BumpRevision, "bump-revision", 0, "Revisions to add, marked compacted.")
	fs.StringVar(&c.Etcdutl, "etcdutl", "/usr/local/bin/etcdutl", "The etcdutl of the member's version.")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	c.Key = sf.key
	if why := Skip(c); why != "" {
		fmt.Println("no restore:", why)
		return 0
	}
	store, err := sf.store()
	if err != nil {
		return sf.finish(failed(etcdv1alpha1.ReasonRestoreFailed, "bad backup location", err))
	}
	ctx, cancel := signalContext()
	defer cancel()
	return sf.finish(Restore(ctx, c, store))
}

func runDelete(args []string) int {
	fs := flag.NewFlagSet("delete-backup", flag.ContinueOnError)
	var sf storeFlags
	sf.register(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	store, err := sf.store()
	if err == nil {
		ctx, cancel := signalContext()
		defer cancel()
		err = store.Delete(ctx, sf.key)
	}
	if err != nil {
		return sf.finish(failed(Reason(err), "deleting the backup object failed", err))
	}
	return sf.finish(backup.Result{Message: "deleted " + sf.key})
}

// runInstall copies this binary to args[0]: the restore runs it inside
// the etcd image, next to that image's own etcdutl.
func runInstall(args []string) int {
	if len(args) != 1 {
		fmt.Fprintln(os.Stderr, "usage: install-agent DESTINATION")
		return 2
	}
	if err := copySelf(args[0]); err != nil {
		fmt.Fprintln(os.Stderr, "install-agent:", err)
		return 1
	}
	return 0
}

func copySelf(dest string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	in, err := os.Open(self)
	if err != nil {
		return err
	}
	defer func() { _ = in.Close() }()
	out, err := os.OpenFile(dest, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close()
		return err
	}
	return out.Close()
}
