package integration

import (
	"context"
	"fmt"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/internal/controller"
	"github.com/etcd-operator/etcd-operator/test/etcdtest"
)

// startMembers runs real etcd members for ec's pods name-0..name-(n-1).
func startMembers(ec *etcdv1alpha1.EtcdCluster, n int) {
	c := etcdtest.NewCluster(ec.Namespace + "-" + ec.Name)
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("%s-%d", ec.Name, i)
	}
	Expect(c.Start(func(pod string) string { return members.peerURL(ec, pod) }, names...)).To(Succeed())
	members.set(client.ObjectKeyFromObject(ec), c)
	DeferCleanup(c.Close)
}

// runningCluster creates an EtcdCluster of size n with n real members and
// waits for phase Running.
func runningCluster(ctx context.Context, name string, n int32) *etcdv1alpha1.EtcdCluster {
	ns := newNamespace(ctx)
	ec := newCluster(ns, name, n)
	startMembers(ec, int(n))
	Expect(k8sClient.Create(ctx, ec)).To(Succeed())
	markPodsReady(ctx, ns, name)
	Eventually(func() etcdv1alpha1.Phase { return fetch(ctx, ec).Status.Phase }, timeout, interval).Should(Equal(etcdv1alpha1.PhaseRunning))
	return fetch(ctx, ec)
}

var _ = Describe("Creating an EtcdCluster", func() {
	It("renders the chart's StatefulSet, Services and ConfigMap, owned by the EtcdCluster", func(ctx SpecContext) {
		ns := newNamespace(ctx)
		ec := newCluster(ns, "owned", 3)
		Expect(k8sClient.Create(ctx, ec)).To(Succeed())
		ec = fetch(ctx, ec)
		for _, o := range []struct {
			obj  client.Object
			name string
		}{
			{&appsv1.StatefulSet{}, "owned"},
			{&corev1.Service{}, "owned-peer"},
			{&corev1.Service{}, "owned-client"},
			{&corev1.ConfigMap{}, "owned-config"},
		} {
			Eventually(func() error { return get(ctx, ns, o.name, o.obj) }, timeout, interval).Should(Succeed(), o.name)
			ref := metav1.GetControllerOf(o.obj)
			Expect(ref).NotTo(BeNil(), o.name)
			Expect(ref.UID).To(Equal(ec.UID), o.name)
			Expect(ref.Kind).To(Equal("EtcdCluster"))
			Expect(o.obj.GetLabels()).To(HaveKeyWithValue("app.kubernetes.io/managed-by", "etcd-operator"), o.name)
		}
		sts := &appsv1.StatefulSet{}
		Expect(get(ctx, ns, "owned", sts)).To(Succeed())
		Expect(*sts.Spec.Replicas).To(Equal(int32(3)))
		Expect(sts.Spec.Template.Spec.Containers[0].Image).To(Equal("quay.io/coreos/etcd:v3.7.3"))
		cm := &corev1.ConfigMap{}
		Expect(get(ctx, ns, "owned-config", cm)).To(Succeed())
		Expect(cm.Data).To(HaveKeyWithValue("ETCD_INITIAL_CLUSTER_STATE", "new"))
		Expect(strings.Count(cm.Data["ETCD_INITIAL_CLUSTER"], "=")).To(Equal(3))
		Expect(fetch(ctx, ec).Finalizers).To(ContainElement(controller.Finalizer))
	})

	It("gets the documented defaults from the API server", Label("crd"), func(ctx SpecContext) {
		ns := newNamespace(ctx)
		ec := &etcdv1alpha1.EtcdCluster{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "defaults"}}
		Expect(k8sClient.Create(ctx, ec)).To(Succeed())
		got := fetch(ctx, ec)
		Expect(got.Spec.Size).To(Equal(int32(3)))
		Expect(got.Spec.Version).To(Equal("3.7.3"))
		Expect(got.Spec.Repository).To(Equal("quay.io/coreos/etcd"))
		Expect(got.Spec.Storage.Type).To(Equal(etcdv1alpha1.StoragePersistentVolume))
		Expect(got.Spec.Storage.Size.String()).To(Equal("1Gi"))
		Expect(got.Spec.Storage.ReclaimPolicy).To(Equal(etcdv1alpha1.ReclaimDelete))
		Expect(got.Spec.Tuning.HeartbeatIntervalMillis).To(Equal(int32(100)))
		Expect(got.Spec.Tuning.ElectionTimeoutMillis).To(Equal(int32(1000)))
		Expect(got.Spec.Tuning.QuotaBackendBytes.String()).To(Equal("2Gi"))
		Expect(got.Spec.Maintenance.Defragmentation.Mode).To(Equal(etcdv1alpha1.MaintenanceAuto))
		Expect(got.Spec.Maintenance.Defragmentation.MinDBSize.String()).To(Equal("100Mi"))
		Expect(got.Spec.Maintenance.Defragmentation.MinFreePercent).To(Equal(int32(45)))
		Expect(got.Spec.Maintenance.NoSpaceRecovery).To(Equal(etcdv1alpha1.MaintenanceAuto))
	})

	It("stays Creating while etcd does not answer, and says why", func(ctx SpecContext) {
		ns := newNamespace(ctx)
		ec := newCluster(ns, "waiting", 3)
		Expect(k8sClient.Create(ctx, ec)).To(Succeed())
		Eventually(func() etcdv1alpha1.Phase { return fetch(ctx, ec).Status.Phase }, timeout, interval).Should(Equal(etcdv1alpha1.PhaseCreating))
		Consistently(func() etcdv1alpha1.Phase { return fetch(ctx, ec).Status.Phase }, 3*time.Second, 200*time.Millisecond).Should(Equal(etcdv1alpha1.PhaseCreating))
		got := fetch(ctx, ec)
		Expect(reasonOf(got, etcdv1alpha1.ConditionProgressing)).To(Equal("Creating"))
		Expect(condition(got, etcdv1alpha1.ConditionAvailable).Status).To(Equal(metav1.ConditionFalse))
		Expect(got.Status.ObservedGeneration).To(Equal(got.Generation))
		Expect(got.Status.ClientEndpoint).To(Equal("http://waiting-client." + ns + ".svc.cluster.local:2379"))
	})

	It("goes Running with etcd's real member list, leader, IDs and version in status", func(ctx SpecContext) {
		ec := runningCluster(ctx, "truth", 3)
		st := ec.Status
		Expect(st.ReadyMembers).To(Equal(int32(3)))
		Expect(st.ClusterID).NotTo(BeEmpty())
		Expect(st.CurrentVersion).To(Equal("3.7.3"))
		Expect(st.Members).To(HaveLen(3))
		leaders := 0
		for i, m := range st.Members {
			Expect(m.Name).To(Equal(fmt.Sprintf("truth-%d", i)))
			Expect(m.ID).NotTo(BeEmpty())
			Expect(m.Healthy).To(BeTrue(), m.Name)
			Expect(m.DBSizeBytes).To(BeNumerically(">", 0))
			if m.Leader {
				leaders++
			}
		}
		Expect(leaders).To(Equal(1))
		Expect(condition(ec, etcdv1alpha1.ConditionAvailable).Status).To(Equal(metav1.ConditionTrue))
		Expect(condition(ec, etcdv1alpha1.ConditionDegraded).Status).To(Equal(metav1.ConditionFalse))
		Expect(condition(ec, etcdv1alpha1.ConditionProgressing).Status).To(Equal(metav1.ConditionFalse))
		Eventually(func() []string { return eventReasons(ctx, ec) }, timeout, interval).Should(ContainElements("Creating", "Running"))
	})

	It("does not write to the API server when nothing changed, and holds no etcd connection once settled", func(ctx SpecContext) {
		ec := runningCluster(ctx, "noop", 1)
		owned := map[string]client.Object{"noop": &appsv1.StatefulSet{}, "noop-client": &corev1.Service{}, "noop-peer": &corev1.Service{}, "noop-config": &corev1.ConfigMap{}}
		versions := map[string]string{}
		Eventually(func() bool { return fetch(ctx, ec).Status.ReadyMembers == 1 }, timeout, interval).Should(BeTrue())
		for name, obj := range owned {
			Expect(get(ctx, ec.Namespace, name, obj)).To(Succeed())
			versions[name] = obj.GetResourceVersion()
		}
		// An annotation change triggers reconciles without changing the spec.
		for i := range 3 {
			got := fetch(ctx, ec)
			patch := client.MergeFrom(got.DeepCopy())
			got.Annotations = map[string]string{"test/poke": fmt.Sprint(i)}
			Expect(k8sClient.Patch(ctx, got, patch)).To(Succeed())
			time.Sleep(time.Second)
		}
		after := fetch(ctx, ec)
		Expect(after.Annotations["test/poke"]).To(Equal("2"))
		Consistently(func() string { return fetch(ctx, ec).ResourceVersion }, 2*time.Second, 200*time.Millisecond).Should(Equal(after.ResourceVersion))
		for name, obj := range owned {
			Expect(get(ctx, ec.Namespace, name, obj)).To(Succeed())
			Expect(obj.GetResourceVersion()).To(Equal(versions[name]), name)
		}
		// Settled: its etcd client is closed between polls, not held.
		Eventually(func() bool { return pool.Has(client.ObjectKeyFromObject(ec)) }, timeout, interval).Should(BeFalse())
	})
})

var _ = Describe("Bad input", Label("crd"), func() {
	DescribeTable("is refused at admission with a message that says what to change",
		func(ctx SpecContext, mutate func(*etcdv1alpha1.EtcdCluster), wantMsg string) {
			ns := newNamespace(ctx)
			ec := newCluster(ns, "bad", 3)
			mutate(ec)
			err := create(ctx, ec)
			Expect(err).To(HaveOccurred())
			Expect(apierrors.IsInvalid(err)).To(BeTrue(), err.Error())
			Expect(err.Error()).To(ContainSubstring(wantMsg))
		},
		Entry("size 0", func(ec *etcdv1alpha1.EtcdCluster) { ec.Spec.Size = 0; forceSize(ec) }, "size must be from 1 to 9 members"),
		Entry("size 10", func(ec *etcdv1alpha1.EtcdCluster) { ec.Spec.Size = 10 }, "size must be from 1 to 9 members"),
		Entry("size -1", func(ec *etcdv1alpha1.EtcdCluster) { ec.Spec.Size = -1 }, "size must be from 1 to 9 members"),
		Entry("a version that is not one", func(ec *etcdv1alpha1.EtcdCluster) { ec.Spec.Version = "latest" }, "is not a supported etcd release"),
		Entry("an unsupported old version", func(ec *etcdv1alpha1.EtcdCluster) { ec.Spec.Version = "3.4.30" }, "is not a supported etcd release"),
		Entry("a version with a v prefix", func(ec *etcdv1alpha1.EtcdCluster) { ec.Spec.Version = "v3.7.3" }, "use 3.5.x, 3.6.x or 3.7.x"),
		Entry("election timeout below 5 x heartbeat", func(ec *etcdv1alpha1.EtcdCluster) {
			ec.Spec.Tuning = etcdv1alpha1.TuningSpec{HeartbeatIntervalMillis: 100, ElectionTimeoutMillis: 400}
		}, "must be at least 5 x tuning.heartbeatIntervalMillis"),
		Entry("a heartbeat below 10ms", func(ec *etcdv1alpha1.EtcdCluster) {
			ec.Spec.Tuning = etcdv1alpha1.TuningSpec{HeartbeatIntervalMillis: 5, ElectionTimeoutMillis: 1000}
		}, "heartbeatIntervalMillis"),
		Entry("a negative quota", func(ec *etcdv1alpha1.EtcdCluster) { ec.Spec.Tuning.QuotaBackendBytes = new(resource.MustParse("-1Gi")) }, "quotaBackendBytes must be positive"),
		Entry("a quota above 8Gi", func(ec *etcdv1alpha1.EtcdCluster) { ec.Spec.Tuning.QuotaBackendBytes = new(resource.MustParse("16Gi")) }, "quotaBackendBytes must be at most 8Gi"),
		Entry("revision compaction with a duration", func(ec *etcdv1alpha1.EtcdCluster) {
			ec.Spec.Tuning.AutoCompactionMode = "revision"
			ec.Spec.Tuning.AutoCompactionRetention = "1h"
		}, "must be a number of revisions"),
		Entry("a retention that is not a duration", func(ec *etcdv1alpha1.EtcdCluster) { ec.Spec.Tuning.AutoCompactionRetention = "forever" }, "must be a duration"),
		Entry("a zero storage size", func(ec *etcdv1alpha1.EtcdCluster) { ec.Spec.Storage.Size = new(resource.MustParse("0")) }, "storage.size must be positive"),
		Entry("a repository with a tag", func(ec *etcdv1alpha1.EtcdCluster) { ec.Spec.Repository = "quay.io/coreos/etcd:v3.7.3" }, "must not carry a tag"),
		Entry("pod labels that steal the selector", func(ec *etcdv1alpha1.EtcdCluster) {
			ec.Spec.Pod.Labels = map[string]string{"app.kubernetes.io/name": "other"}
		}, "pod.labels must not set"),
		Entry("an unknown pull policy", func(ec *etcdv1alpha1.EtcdCluster) { ec.Spec.ImagePullPolicy = "Sometimes" }, "imagePullPolicy"),
		Entry("an unknown reclaim policy", func(ec *etcdv1alpha1.EtcdCluster) { ec.Spec.Storage.ReclaimPolicy = "Keep" }, "reclaimPolicy"),
		Entry("a negative defragmentation size", func(ec *etcdv1alpha1.EtcdCluster) {
			ec.Spec.Maintenance.Defragmentation.MinDBSize = new(resource.MustParse("-1Mi"))
		}, "minDBSize must not be negative"),
		Entry("a free share of 100%", func(ec *etcdv1alpha1.EtcdCluster) { ec.Spec.Maintenance.Defragmentation.MinFreePercent = 100 }, "minFreePercent"),
		Entry("an unknown defragmentation mode", func(ec *etcdv1alpha1.EtcdCluster) { ec.Spec.Maintenance.Defragmentation.Mode = "Nightly" }, "defragmentation.mode"),
		Entry("an unknown NOSPACE recovery", func(ec *etcdv1alpha1.EtcdCluster) { ec.Spec.Maintenance.NoSpaceRecovery = "Manual" }, "noSpaceRecovery"),
		Entry("a window schedule that is not cron", func(ec *etcdv1alpha1.EtcdCluster) {
			ec.Spec.Maintenance.Defragmentation.Window = &etcdv1alpha1.MaintenanceWindow{Schedule: "@weekly", Duration: metav1.Duration{Duration: time.Hour}}
		}, "window.schedule must be a 5-field cron expression"),
		Entry("a window of a week", func(ec *etcdv1alpha1.EtcdCluster) {
			ec.Spec.Maintenance.Defragmentation.Window = &etcdv1alpha1.MaintenanceWindow{Schedule: "0 2 * * 6", Duration: metav1.Duration{Duration: 168 * time.Hour}}
		}, "window.duration must be from 1m to 24h"),
		Entry("a name that is not a DNS label", func(ec *etcdv1alpha1.EtcdCluster) { ec.Name = "my.etcd" }, "must be a DNS label"),
		Entry("a name too long for pod names", func(ec *etcdv1alpha1.EtcdCluster) { ec.Name = strings.Repeat("a", 53) }, "at most 52 characters"),
		Entry("an unknown TLS provider", func(ec *etcdv1alpha1.EtcdCluster) { ec.Spec.TLS.Provider = "Vault" }, "tls.provider"),
		Entry("provider Secrets without the Secrets", func(ec *etcdv1alpha1.EtcdCluster) { ec.Spec.TLS.Provider = etcdv1alpha1.TLSSecrets },
			"tls.provider Secrets needs tls.secrets"),
		Entry("Secrets named for another provider", func(ec *etcdv1alpha1.EtcdCluster) {
			ec.Spec.TLS.Secrets = &etcdv1alpha1.TLSSecretRefs{Server: "s", Peer: "p", Client: "c"}
		}, "tls.secrets is only used with tls.provider Secrets"),
		Entry("a Secret left unnamed", func(ec *etcdv1alpha1.EtcdCluster) {
			ec.Spec.TLS = etcdv1alpha1.TLSSpec{Provider: etcdv1alpha1.TLSSecrets, Secrets: &etcdv1alpha1.TLSSecretRefs{Server: "s", Peer: "p"}}
		}, "tls.secrets.client"),
		Entry("a certificate lifetime under 2m", func(ec *etcdv1alpha1.EtcdCluster) {
			ec.Spec.TLS.CertificateLifetime = &metav1.Duration{Duration: time.Minute}
		}, "tls.certificateLifetime must be from 2m to 87600h"),
		Entry("renewBefore not shorter than the lifetime", func(ec *etcdv1alpha1.EtcdCluster) {
			ec.Spec.TLS.CertificateLifetime = &metav1.Duration{Duration: time.Hour}
			ec.Spec.TLS.RenewBefore = &metav1.Duration{Duration: 2 * time.Hour}
		}, "tls.renewBefore must be shorter than tls.certificateLifetime"),
	)

	DescribeTable("changes etcd cannot take are refused on update",
		func(ctx SpecContext, initial, change func(*etcdv1alpha1.EtcdCluster), wantMsg string) {
			ns := newNamespace(ctx)
			ec := newCluster(ns, "upd", 1)
			ec.Spec.Paused = true // only the API server is under test
			initial(ec)
			Expect(k8sClient.Create(ctx, ec)).To(Succeed())
			err := update(ctx, ec, change)
			Expect(err).To(HaveOccurred())
			Expect(apierrors.IsInvalid(err)).To(BeTrue(), err.Error())
			Expect(err.Error()).To(ContainSubstring(wantMsg))
		},
		Entry("a downgrade", func(ec *etcdv1alpha1.EtcdCluster) { ec.Spec.Version = "3.7.3" },
			func(ec *etcdv1alpha1.EtcdCluster) { ec.Spec.Version = "3.6.16" }, "etcd does not support downgrades: version cannot go from 3.7.3 to 3.6.16"),
		Entry("a patch downgrade", func(ec *etcdv1alpha1.EtcdCluster) { ec.Spec.Version = "3.6.16" },
			func(ec *etcdv1alpha1.EtcdCluster) { ec.Spec.Version = "3.6.15" }, "does not support downgrades"),
		Entry("skipping a minor version", func(ec *etcdv1alpha1.EtcdCluster) { ec.Spec.Version = "3.5.21" },
			func(ec *etcdv1alpha1.EtcdCluster) { ec.Spec.Version = "3.7.3" }, "one minor version at a time: upgrade 3.5.21 to the newest patch of the next minor version first, not straight to 3.7.3"),
		Entry("a storage size change", func(*etcdv1alpha1.EtcdCluster) {},
			func(ec *etcdv1alpha1.EtcdCluster) { ec.Spec.Storage.Size = new(resource.MustParse("2Gi")) }, "storage.size and storage.storageClassName are immutable"),
		Entry("a storage type change", func(*etcdv1alpha1.EtcdCluster) {},
			func(ec *etcdv1alpha1.EtcdCluster) { ec.Spec.Storage.Type = etcdv1alpha1.StorageEmptyDir }, "are immutable"),
		Entry("a storage class change", func(ec *etcdv1alpha1.EtcdCluster) { ec.Spec.Storage.StorageClassName = new("fast") },
			func(ec *etcdv1alpha1.EtcdCluster) { ec.Spec.Storage.StorageClassName = new("slow") }, "are immutable"),
		Entry("turning TLS off", func(ec *etcdv1alpha1.EtcdCluster) { ec.Spec.TLS.Provider = etcdv1alpha1.TLSOperator },
			func(ec *etcdv1alpha1.EtcdCluster) { ec.Spec.TLS.Provider = etcdv1alpha1.TLSDisabled }, "tls.provider cannot change on an existing cluster"),
		Entry("turning TLS on", func(*etcdv1alpha1.EtcdCluster) {},
			func(ec *etcdv1alpha1.EtcdCluster) { ec.Spec.TLS.Provider = etcdv1alpha1.TLSOperator }, "tls.provider cannot change on an existing cluster"),
	)

	It("allows an upgrade of one minor version and a change of reclaim policy", func(ctx SpecContext) {
		ns := newNamespace(ctx)
		ec := newCluster(ns, "upgrade", 1)
		ec.Spec.Version = "3.6.16"
		ec.Spec.Paused = true
		Expect(k8sClient.Create(ctx, ec)).To(Succeed())
		Expect(update(ctx, ec, func(got *etcdv1alpha1.EtcdCluster) {
			got.Spec.Version = "3.7.3"
			got.Spec.Storage.ReclaimPolicy = etcdv1alpha1.ReclaimRetain
		})).To(Succeed())
	})

	// The way back from a member that failed on a new version: allowed
	// while etcd's cluster version is still on the old minor, refused once
	// every member ran the new one and etcd raised it.
	It("allows the version back only while the cluster version has not moved", func(ctx SpecContext) {
		ns := newNamespace(ctx)
		ec := newCluster(ns, "back", 1)
		ec.Spec.Version = "3.6.16"
		ec.Spec.Paused = true
		Expect(k8sClient.Create(ctx, ec)).To(Succeed())
		setClusterVersion := func(v string) {
			Eventually(func() error {
				got := &etcdv1alpha1.EtcdCluster{}
				if err := get(ctx, ns, ec.Name, got); err != nil {
					return err
				}
				got.Status.ClusterVersion = v
				return k8sClient.Status().Update(ctx, got)
			}).Should(Succeed())
		}
		setVersion := func(v string) error {
			return update(ctx, ec, func(got *etcdv1alpha1.EtcdCluster) { got.Spec.Version = v })
		}
		Expect(setVersion("3.7.3")).To(Succeed())
		setClusterVersion("3.6.0")
		Expect(setVersion("3.6.16")).To(Succeed())
		Expect(setVersion("3.7.3")).To(Succeed())
		setClusterVersion("3.7.0")
		err := setVersion("3.6.16")
		Expect(apierrors.IsInvalid(err)).To(BeTrue(), fmt.Sprint(err))
		Expect(err.Error()).To(ContainSubstring("a version goes back only while status.clusterVersion is below the minor it leaves"))
	})
})

const sendZeroSize = "test/send-zero-size"

// forceSize makes size 0 reach the API server: omitempty would drop it and
// the default would apply.
func forceSize(ec *etcdv1alpha1.EtcdCluster) {
	ec.Annotations = map[string]string{sendZeroSize: "true"}
}

// create sends ec as JSON, with spec.size 0 written out when forceSize asked.
func create(ctx context.Context, ec *etcdv1alpha1.EtcdCluster) error {
	if ec.Annotations[sendZeroSize] != "true" {
		return k8sClient.Create(ctx, ec)
	}
	ec.Annotations = nil
	obj, err := runtime.DefaultUnstructuredConverter.ToUnstructured(ec)
	Expect(err).NotTo(HaveOccurred())
	u := &unstructured.Unstructured{Object: obj}
	u.SetGroupVersionKind(etcdv1alpha1.GroupVersion.WithKind("EtcdCluster"))
	Expect(unstructured.SetNestedField(u.Object, int64(0), "spec", "size")).To(Succeed())
	return k8sClient.Create(ctx, u)
}
