package integration

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/internal/backupagent"
	"github.com/etcd-operator/etcd-operator/test/etcdtest"
)

// The backup agent against a real embedded etcd and the real etcdutl of
// the product's version: a snapshot saved to a directory, restored by
// etcdutl into a new data directory, and served by a new etcd with every
// key and a revision bumped past the snapshot's; a changed object refused.
var _ = Describe("Backup agent", Label("backup"), Ordered, func() {
	var (
		src   *etcdtest.Cluster
		cli   *clientv3.Client
		store backupagent.FileStore
		ctx   = context.Background()
	)
	BeforeAll(func() {
		Expect(os.Getenv("ETCDUTL")).NotTo(BeEmpty(), "ETCDUTL must name etcdutl (make test-integration sets it)")
		src = etcdtest.NewCluster("agent-src")
		Expect(src.Start(func(string) string { u, err := etcdtest.PeerURL(); Expect(err).NotTo(HaveOccurred()); return u }, "src-0")).To(Succeed())
		DeferCleanup(src.Close)
		var err error
		cli, err = clientv3.New(clientv3.Config{Endpoints: src.ClientURLs(), DialTimeout: 5 * time.Second})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(cli.Close)
		for i := range 500 {
			_, err := cli.Put(ctx, fmt.Sprintf("k/%04d", i), strings.Repeat("v", 1000))
			Expect(err).NotTo(HaveOccurred())
		}
		store = backupagent.FileStore{Root: GinkgoT().TempDir()}
	})

	It("saves a snapshot, and etcdutl restores it into a member that serves every key at a bumped revision", func() {
		res := backupagent.Save(ctx, cli, src.ClientURLs()[0], store, "ns/c/b.db")
		Expect(res.Reason).To(BeEmpty(), res.Message)
		Expect(res.SizeBytes).To(BeNumerically(">", 500*1000))
		Expect(res.SHA256).To(HaveLen(64))
		Expect(res.Revision).To(BeNumerically(">=", 501))
		Expect(filepath.Join(store.Root, "ns/c/b.db.part")).NotTo(BeAnExistingFile())
		_, err := cli.Put(ctx, "after-backup", "x")
		Expect(err).NotTo(HaveOccurred())

		peer, err := etcdtest.PeerURL()
		Expect(err).NotTo(HaveOccurred())
		dataDir := filepath.Join(GinkgoT().TempDir(), "data")
		cfg := backupagent.RestoreConfig{
			DataDir: dataDir, State: "new", Name: "r-0", InitialCluster: "r-0=" + peer,
			Token: "restored", PeerURLs: peer, SHA256: res.SHA256, Key: "ns/c/b.db",
			BumpRevision: etcdv1alpha1.DefaultBumpRevision, Etcdutl: os.Getenv("ETCDUTL"),
		}
		Expect(backupagent.Skip(cfg)).To(BeEmpty())
		out := backupagent.Restore(ctx, cfg, store)
		Expect(out.Reason).To(BeEmpty(), out.Message)
		Expect(backupagent.Skip(cfg)).To(ContainSubstring("already has data"), "a restarted member keeps its data")

		restored := startOn(dataDir, "r-0", peer)
		rcli, err := clientv3.New(clientv3.Config{Endpoints: []string{restored}, DialTimeout: 5 * time.Second})
		Expect(err).NotTo(HaveOccurred())
		defer func() { _ = rcli.Close() }()
		got, err := rcli.Get(ctx, "k/", clientv3.WithPrefix(), clientv3.WithCountOnly())
		Expect(err).NotTo(HaveOccurred())
		Expect(got.Count).To(BeEquivalentTo(500))
		Expect(got.Header.Revision).To(BeNumerically(">=", res.Revision+etcdv1alpha1.DefaultBumpRevision))
		after, err := rcli.Get(ctx, "after-backup")
		Expect(err).NotTo(HaveOccurred())
		Expect(after.Kvs).To(BeEmpty(), "a write made after the backup is not in it")
	})

	It("refuses an object whose bytes changed, and leaves no data directory", func() {
		res := backupagent.Save(ctx, cli, src.ClientURLs()[0], store, "ns/c/flipped.db")
		Expect(res.Reason).To(BeEmpty(), res.Message)
		path := filepath.Join(store.Root, "ns/c/flipped.db")
		data, err := os.ReadFile(path)
		Expect(err).NotTo(HaveOccurred())
		data[len(data)/2] ^= 0xff
		Expect(os.WriteFile(path, data, 0o600)).To(Succeed())
		dataDir := filepath.Join(GinkgoT().TempDir(), "data")
		out := backupagent.Restore(ctx, backupagent.RestoreConfig{
			DataDir: dataDir, State: "new", Name: "r-0", InitialCluster: "r-0=http://127.0.0.1:1", Token: "t",
			PeerURLs: "http://127.0.0.1:1", SHA256: res.SHA256, Key: "ns/c/flipped.db", Etcdutl: os.Getenv("ETCDUTL"),
		}, store)
		Expect(out.Reason).To(Equal(etcdv1alpha1.ReasonRestoreFailed))
		Expect(out.Message).To(ContainSubstring("changed or corrupted"))
		Expect(dataDir).NotTo(BeADirectory())
	})

	It("reports a full destination as ClaimFull and a member without quorum as EtcdUnavailable", func() {
		Expect(backupagent.Reason(fmt.Errorf("write: %w", syscall.ENOSPC))).To(Equal(etcdv1alpha1.ReasonClaimFull))
		short, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		res := backupagent.Save(short, cli, "http://127.0.0.1:1", store, "ns/c/none.db")
		Expect(res.Reason).To(Equal(etcdv1alpha1.ReasonEtcdUnavailable))
		Expect(filepath.Join(store.Root, "ns/c/none.db")).NotTo(BeAnExistingFile())
	})
})

// startOn serves dataDir with an embedded etcd and returns its client URL.
func startOn(dataDir, name, peer string) string {
	cfg := embed.NewConfig()
	cfg.Name, cfg.Dir = name, dataDir
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
	p, err := url.Parse(peer)
	Expect(err).NotTo(HaveOccurred())
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{*p}, []url.URL{*p}
	client, err := etcdtest.PeerURL() // any free loopback port
	Expect(err).NotTo(HaveOccurred())
	c, err := url.Parse(client)
	Expect(err).NotTo(HaveOccurred())
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{*c}, []url.URL{*c}
	cfg.InitialCluster = name + "=" + peer
	e, err := embed.StartEtcd(cfg)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(e.Close)
	Eventually(e.Server.ReadyNotify()).WithTimeout(30 * time.Second).Should(BeClosed())
	return client
}
