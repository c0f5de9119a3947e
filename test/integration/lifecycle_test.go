package integration

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	clientv3 "go.etcd.io/etcd/client/v3"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/internal/lifecycle"
	"github.com/etcd-operator/etcd-operator/test/etcdtest"
)

var _ = Describe("Drift", func() {
	It("brings back a deleted Service", func(ctx SpecContext) {
		ec := runningCluster(ctx, "drift-svc", 1)
		svc := &corev1.Service{}
		Expect(get(ctx, ec.Namespace, "drift-svc-client", svc)).To(Succeed())
		oldUID := svc.UID
		Expect(k8sClient.Delete(ctx, svc)).To(Succeed())
		Eventually(func() bool {
			fresh := &corev1.Service{}
			return get(ctx, ec.Namespace, "drift-svc-client", fresh) == nil && fresh.UID != oldUID
		}, timeout, interval).Should(BeTrue())
	})

	It("restores a hand-edited StatefulSet", func(ctx SpecContext) {
		ec := runningCluster(ctx, "drift-sts", 1)
		sts := &appsv1.StatefulSet{}
		Expect(get(ctx, ec.Namespace, "drift-sts", sts)).To(Succeed())
		sts.Spec.Replicas = new(int32(4))
		sts.Spec.Template.Spec.Containers[0].Image = "example.com/not-etcd:v1"
		Expect(k8sClient.Update(ctx, sts)).To(Succeed())
		Eventually(func(g Gomega) string {
			g.Expect(get(ctx, ec.Namespace, "drift-sts", sts)).To(Succeed())
			return fmt.Sprintf("%d %s", *sts.Spec.Replicas, sts.Spec.Template.Spec.Containers[0].Image)
		}, timeout, interval).Should(Equal("1 quay.io/coreos/etcd:v3.7.3"))
	})

	It("restores a hand-edited ConfigMap", func(ctx SpecContext) {
		ec := runningCluster(ctx, "drift-cm", 1)
		cm := &corev1.ConfigMap{}
		Expect(get(ctx, ec.Namespace, "drift-cm-config", cm)).To(Succeed())
		want := cm.Data["ETCD_HEARTBEAT_INTERVAL"]
		cm.Data["ETCD_HEARTBEAT_INTERVAL"] = "999"
		Expect(k8sClient.Update(ctx, cm)).To(Succeed())
		Eventually(func(g Gomega) string {
			g.Expect(get(ctx, ec.Namespace, "drift-cm-config", cm)).To(Succeed())
			return cm.Data["ETCD_HEARTBEAT_INTERVAL"]
		}, timeout, interval).Should(Equal(want))
	})

	It("rolls the pod template when tuning changes, not when membership does", func(ctx SpecContext) {
		ec := runningCluster(ctx, "tuning", 1)
		sts := &appsv1.StatefulSet{}
		Expect(get(ctx, ec.Namespace, "tuning", sts)).To(Succeed())
		before := sts.Spec.Template.Annotations["etcd.etcd.io/config-checksum"]
		Expect(before).NotTo(BeEmpty())
		Expect(update(ctx, ec, func(got *etcdv1alpha1.EtcdCluster) { got.Spec.Tuning.SnapshotCount = 5000 })).To(Succeed())
		Eventually(func(g Gomega) string {
			g.Expect(get(ctx, ec.Namespace, "tuning", sts)).To(Succeed())
			return sts.Spec.Template.Annotations["etcd.etcd.io/config-checksum"]
		}, timeout, interval).ShouldNot(Equal(before))
		cm := &corev1.ConfigMap{}
		Expect(get(ctx, ec.Namespace, "tuning-config", cm)).To(Succeed())
		Expect(cm.Data).To(HaveKeyWithValue("ETCD_SNAPSHOT_COUNT", "5000"))
	})
})

var _ = Describe("Scaling through etcd membership", func() {
	It("adds a learner before its pod exists, promotes it once it runs, then removes it on scale-down", func(ctx SpecContext) {
		ec := runningCluster(ctx, "scale", 1)
		etcdMembers := startedMembers(ec)
		Expect(update(ctx, ec, func(got *etcdv1alpha1.EtcdCluster) { got.Spec.Size = 2 })).To(Succeed())

		// The controller adds scale-1 to etcd as a learner, then grows the StatefulSet.
		cli := etcdClient(ec)
		Eventually(func() []bool { return learnerFlags(ctx, cli) }, timeout, interval).Should(Equal([]bool{false, true}))
		sts := &appsv1.StatefulSet{}
		Eventually(func(g Gomega) int32 {
			g.Expect(get(ctx, ec.Namespace, "scale", sts)).To(Succeed())
			return *sts.Spec.Replicas
		}, timeout, interval).Should(Equal(int32(2)))
		cm := &corev1.ConfigMap{}
		Expect(get(ctx, ec.Namespace, "scale-config", cm)).To(Succeed())
		Expect(cm.Data).To(HaveKeyWithValue("ETCD_INITIAL_CLUSTER_STATE", "existing"))
		Expect(cm.Data["ETCD_INITIAL_CLUSTER"]).To(ContainSubstring("scale-1="))
		Eventually(func() etcdv1alpha1.Phase { return fetch(ctx, ec).Status.Phase }, timeout, interval).Should(Equal(etcdv1alpha1.PhaseScaling))

		// The pod starts (a real member joining with state existing) and is promoted.
		Expect(etcdMembers.Join("scale-1", members.peerURL(ec, "scale-1"), map[string]string{
			"scale-0": members.peerURL(ec, "scale-0"), "scale-1": members.peerURL(ec, "scale-1"),
		})).To(Succeed())
		Eventually(func() []bool { return learnerFlags(ctx, cli) }, timeout, interval).Should(Equal([]bool{false, false}))
		markPodsReady(ctx, ec.Namespace, "scale")
		Eventually(func() etcdv1alpha1.Phase { return fetch(ctx, ec).Status.Phase }, timeout, interval).Should(Equal(etcdv1alpha1.PhaseRunning))
		Expect(fetch(ctx, ec).Status.Members).To(HaveLen(2))
		Eventually(func() []string { return eventReasons(ctx, ec) }, timeout, interval).Should(ContainElements("AddLearner", "Promote", "Scaling"))

		// Scale down removes the highest ordinal from etcd, then shrinks the StatefulSet.
		Expect(update(ctx, ec, func(got *etcdv1alpha1.EtcdCluster) { got.Spec.Size = 1 })).To(Succeed())
		Eventually(func() int { return len(learnerFlags(ctx, cli)) }, timeout, interval).Should(Equal(1))
		Eventually(func(g Gomega) int32 {
			g.Expect(get(ctx, ec.Namespace, "scale", sts)).To(Succeed())
			return *sts.Spec.Replicas
		}, timeout, interval).Should(Equal(int32(1)))
		markPodsReady(ctx, ec.Namespace, "scale")
		Eventually(func() []string {
			var names []string
			for _, m := range fetch(ctx, ec).Status.Members {
				names = append(names, m.Name)
			}
			return names
		}, timeout, interval).Should(Equal([]string{"scale-0"}))
		Eventually(func() etcdv1alpha1.Phase { return fetch(ctx, ec).Status.Phase }, timeout, interval).Should(Equal(etcdv1alpha1.PhaseRunning))
	})

	It("deletes a removed member's leftover claim, and adds a member on that ordinal only once it is gone", func(ctx SpecContext) {
		ec := runningCluster(ctx, "regrow", 1)
		// The claim of a member removed by an earlier scale-down, still
		// there: held by a finalizer, as pvc-protection holds it while the
		// old pod terminates.
		claim := &corev1.PersistentVolumeClaim{
			ObjectMeta: metav1.ObjectMeta{Namespace: ec.Namespace, Name: "data-regrow-1", Finalizers: []string{"test.etcd.io/hold"},
				Labels: map[string]string{"app.kubernetes.io/name": "etcd", "app.kubernetes.io/instance": ec.Name, "app.kubernetes.io/managed-by": "etcd-operator"}},
			Spec: corev1.PersistentVolumeClaimSpec{
				AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
				Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}},
			},
		}
		Expect(k8sClient.Create(ctx, claim)).To(Succeed())
		Expect(update(ctx, ec, func(got *etcdv1alpha1.EtcdCluster) { got.Spec.Size = 2 })).To(Succeed())

		Eventually(func(g Gomega) bool {
			g.Expect(get(ctx, ec.Namespace, "data-regrow-1", claim)).To(Succeed())
			return claim.DeletionTimestamp != nil
		}, timeout, interval).Should(BeTrue(), "the operator deletes the removed member's claim")
		cli := etcdClient(ec)
		Consistently(func() []bool { return learnerFlags(ctx, cli) }, 2*time.Second, interval).Should(Equal([]bool{false}),
			"no member is added while the old claim could hand it the removed member's data")
		Expect(condition(fetch(ctx, ec), etcdv1alpha1.ConditionProgressing).Message).To(ContainSubstring("removed member regrow-1"))

		claim.Finalizers = nil
		Expect(k8sClient.Update(ctx, claim)).To(Succeed())
		Eventually(func() []bool { return learnerFlags(ctx, cli) }, timeout, interval).Should(Equal([]bool{false, true}))
	})

	It("refuses to scale an unhealthy cluster and says why", func(ctx SpecContext) {
		ec := runningCluster(ctx, "blocked", 3)
		startedMembers(ec).Stop("blocked-2")
		Expect(update(ctx, ec, func(got *etcdv1alpha1.EtcdCluster) { got.Spec.Size = 5 })).To(Succeed())
		Eventually(func() string {
			c := condition(fetch(ctx, ec), etcdv1alpha1.ConditionProgressing)
			return c.Reason + ": " + c.Message
		}, timeout, interval).Should(Equal("ScalingBlocked: members unhealthy: blocked-2"))
		Expect(learnerFlags(ctx, etcdClient(ec))).To(HaveLen(3))
		Expect(reasonOf(fetch(ctx, ec), etcdv1alpha1.ConditionDegraded)).To(Equal("MembersUnhealthy"))
		Expect(condition(fetch(ctx, ec), etcdv1alpha1.ConditionAvailable).Status).To(Equal(metav1.ConditionTrue))
	})
})

var _ = Describe("Failures", func() {
	It("reports QuorumLost and does nothing destructive", func(ctx SpecContext) {
		ec := runningCluster(ctx, "quorum", 3)
		etcdMembers := startedMembers(ec)
		etcdMembers.Stop("quorum-1")
		etcdMembers.Stop("quorum-2")
		Eventually(func() string {
			got := fetch(ctx, ec)
			return string(got.Status.Phase) + "/" + reasonOf(got, etcdv1alpha1.ConditionDegraded)
		}, 2*timeout, interval).Should(Equal("Failed/QuorumLost"), "after the %s grace", lifecycle.QuorumLossGrace)
		Expect(condition(fetch(ctx, ec), etcdv1alpha1.ConditionAvailable).Status).To(Equal(metav1.ConditionFalse))
		sts := &appsv1.StatefulSet{}
		Expect(get(ctx, ec.Namespace, "quorum", sts)).To(Succeed())
		Expect(*sts.Spec.Replicas).To(Equal(int32(3)))
		Eventually(func() []string { return eventReasons(ctx, ec) }, timeout, interval).Should(ContainElement("QuorumLost"))
	})

	It("puts a cluster whose chart cannot render in Failed, with a reason and an Event, without a hot loop", func(ctx SpecContext) {
		Expect(client.IgnoreAlreadyExists(k8sClient.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: brokenNamespace}}))).To(Succeed())
		ec := newCluster(brokenNamespace, "unrenderable", 1)
		Expect(k8sClient.Create(ctx, ec)).To(Succeed())
		Eventually(func() string {
			got := fetch(ctx, ec)
			return string(got.Status.Phase) + "/" + reasonOf(got, etcdv1alpha1.ConditionDegraded)
		}, timeout, interval).Should(Equal("Failed/RenderFailed"))
		Expect(condition(fetch(ctx, ec), etcdv1alpha1.ConditionDegraded).Message).To(ContainSubstring("this chart cannot render"))
		Eventually(func() []string { return eventReasons(ctx, ec) }, timeout, interval).Should(ContainElement("RenderFailed"))
		// Terminal until the spec changes: no status write, no retry storm.
		rv := fetch(ctx, ec).ResourceVersion
		Consistently(func() string { return fetch(ctx, ec).ResourceVersion }, 3*time.Second, 200*time.Millisecond).Should(Equal(rv))
	})

	It("goes Failed when an object is another controller's, and Recovering then Running once it is gone", func(ctx SpecContext) {
		ns := newNamespace(ctx)
		ec := newCluster(ns, "conflict", 1)
		startMembers(ec, 1)
		// A ConfigMap of the same name controlled by something else.
		foreignOwner := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "someone-else"}}
		Expect(k8sClient.Create(ctx, foreignOwner)).To(Succeed())
		foreign := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{
			Namespace: ns, Name: "conflict-config",
			Labels:          map[string]string{"app.kubernetes.io/managed-by": "etcd-operator"},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "v1", Kind: "ConfigMap", Name: "someone-else", UID: foreignOwner.UID, Controller: new(true)}},
		}}
		Expect(k8sClient.Create(ctx, foreign)).To(Succeed())
		Expect(k8sClient.Create(ctx, ec)).To(Succeed())
		Eventually(func() string {
			got := fetch(ctx, ec)
			return string(got.Status.Phase) + "/" + reasonOf(got, etcdv1alpha1.ConditionDegraded)
		}, timeout, interval).Should(Equal("Failed/ForeignObject"))
		Expect(condition(fetch(ctx, ec), etcdv1alpha1.ConditionDegraded).Message).To(ContainSubstring("controlled by ConfigMap someone-else"))
		Expect(k8sClient.Delete(ctx, foreign)).To(Succeed())
		Eventually(func() etcdv1alpha1.Phase { return fetch(ctx, ec).Status.Phase }, timeout, interval).Should(Equal(etcdv1alpha1.PhaseRecovering))
		markPodsReady(ctx, ns, "conflict")
		Eventually(func() etcdv1alpha1.Phase { return fetch(ctx, ec).Status.Phase }, timeout, interval).Should(Equal(etcdv1alpha1.PhaseRunning))
		Eventually(func() []string { return eventReasons(ctx, ec) }, timeout, interval).Should(ContainElements("ForeignObject", "Recovering", "Running"))
	})

	// The operator's cache holds only objects labeled as its own: an
	// unlabeled object with a chart name is found through the API server,
	// never changed, owned or deleted, and named in a condition.
	DescribeTable("never takes over an unlabeled object of the name the chart would use",
		func(ctx SpecContext, obj client.Object) {
			ns := newNamespace(ctx)
			ec := newCluster(ns, "taken", 1)
			obj.SetNamespace(ns)
			Expect(k8sClient.Create(ctx, obj)).To(Succeed())
			before := obj.GetResourceVersion()
			Expect(k8sClient.Create(ctx, ec)).To(Succeed())
			Eventually(func() string {
				got := fetch(ctx, ec)
				return string(got.Status.Phase) + "/" + reasonOf(got, etcdv1alpha1.ConditionDegraded)
			}, timeout, interval).Should(Equal("Failed/ForeignObject"))
			Expect(condition(fetch(ctx, ec), etcdv1alpha1.ConditionDegraded).Message).To(ContainSubstring(obj.GetName() + " exists and is not managed by this EtcdCluster"))
			Eventually(func() []string { return eventReasons(ctx, ec) }, timeout, interval).Should(ContainElement("ForeignObject"))
			Consistently(func(g Gomega) {
				got := obj.DeepCopyObject().(client.Object)
				g.Expect(get(ctx, ns, obj.GetName(), got)).To(Succeed())
				g.Expect(got.GetResourceVersion()).To(Equal(before), "the object was changed")
				g.Expect(got.GetOwnerReferences()).To(BeEmpty())
			}, 2*time.Second, 200*time.Millisecond).Should(Succeed())

			Expect(k8sClient.Delete(ctx, fetch(ctx, ec))).To(Succeed())
			Eventually(func() bool { return apierrors.IsNotFound(get(ctx, ns, "taken", &etcdv1alpha1.EtcdCluster{})) }, timeout, interval).Should(BeTrue())
			got := obj.DeepCopyObject().(client.Object)
			Expect(get(ctx, ns, obj.GetName(), got)).To(Succeed(), "deleted with the EtcdCluster")
			Expect(got.GetResourceVersion()).To(Equal(before))
		},
		Entry("a ConfigMap", &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "taken-config"}, Data: map[string]string{"mine": "yes"}}),
		Entry("a Service", &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "taken-client"},
			Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 80}}}}),
		Entry("a StatefulSet", &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "taken"}, Spec: appsv1.StatefulSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "mine"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "mine"}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "mine"}}},
			},
		}}),
	)
})

var _ = Describe("Pause", func() {
	It("changes nothing while paused and catches up when resumed", func(ctx SpecContext) {
		ec := runningCluster(ctx, "paused", 1)
		Expect(update(ctx, ec, func(got *etcdv1alpha1.EtcdCluster) { got.Spec.Paused = true })).To(Succeed())
		Eventually(func() string { return reasonOf(fetch(ctx, ec), etcdv1alpha1.ConditionProgressing) }, timeout, interval).Should(Equal("ReconciliationPaused"))
		svc := &corev1.Service{}
		Expect(get(ctx, ec.Namespace, "paused-client", svc)).To(Succeed())
		Expect(k8sClient.Delete(ctx, svc)).To(Succeed())
		Consistently(func() bool {
			return apierrors.IsNotFound(get(ctx, ec.Namespace, "paused-client", &corev1.Service{}))
		}, 3*time.Second, 200*time.Millisecond).Should(BeTrue())
		Expect(fetch(ctx, ec).Status.Phase).To(Equal(etcdv1alpha1.PhaseRunning))

		Expect(update(ctx, ec, func(got *etcdv1alpha1.EtcdCluster) { got.Spec.Paused = false })).To(Succeed())
		Eventually(func() error { return get(ctx, ec.Namespace, "paused-client", &corev1.Service{}) }, timeout, interval).Should(Succeed())
		Eventually(func() string { return reasonOf(fetch(ctx, ec), etcdv1alpha1.ConditionProgressing) }, timeout, interval).Should(Equal("Reconciled"))
	})
})

var _ = Describe("Deletion", func() {
	DescribeTable("goes through the finalizer and applies the claims' reclaim policy",
		func(ctx SpecContext, policy etcdv1alpha1.ReclaimPolicy, claimsLeft []string) {
			ns := newNamespace(ctx)
			ec := newCluster(ns, "gone", 1)
			ec.Spec.Storage.ReclaimPolicy = policy
			Expect(k8sClient.Create(ctx, ec)).To(Succeed())
			Eventually(func() []string { return fetch(ctx, ec).Finalizers }, timeout, interval).ShouldNot(BeEmpty())
			key := client.ObjectKeyFromObject(ec)
			startMembers(ec, 1)
			Eventually(func() bool { return pool.Has(key) }, timeout, interval).Should(BeTrue(), "no etcd client for the cluster")
			claim := func(name, managedBy string) *corev1.PersistentVolumeClaim {
				return &corev1.PersistentVolumeClaim{
					ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{
						"app.kubernetes.io/name": "etcd", "app.kubernetes.io/instance": "gone", "app.kubernetes.io/managed-by": managedBy,
					}},
					Spec: corev1.PersistentVolumeClaimSpec{
						AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
						Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}},
					},
				}
			}
			// The claim the StatefulSet would have made for gone-0, and one of
			// a plain Helm release of the same chart and instance name.
			Expect(k8sClient.Create(ctx, claim("data-gone-0", "etcd-operator"))).To(Succeed())
			Expect(k8sClient.Create(ctx, claim("data-gone-helm-0", "Helm"))).To(Succeed())
			Expect(k8sClient.Delete(ctx, fetch(ctx, ec))).To(Succeed())
			Eventually(func() bool {
				return apierrors.IsNotFound(get(ctx, ns, "gone", &etcdv1alpha1.EtcdCluster{}))
			}, timeout, interval).Should(BeTrue())
			Eventually(func(g Gomega) []string {
				list := &corev1.PersistentVolumeClaimList{}
				g.Expect(k8sClient.List(ctx, list, client.InNamespace(ns))).To(Succeed())
				var left []string
				for _, c := range list.Items {
					if c.DeletionTimestamp.IsZero() {
						left = append(left, c.Name)
					}
				}
				return left
			}, timeout, interval).Should(ConsistOf(claimsLeft))
			Expect(pool.Has(key)).To(BeFalse(), "the deleted cluster's etcd client is still open")
		},
		Entry("Delete removes the claims, not a Helm release's", etcdv1alpha1.ReclaimDelete, []string{"data-gone-helm-0"}),
		Entry("Retain keeps the claims", etcdv1alpha1.ReclaimRetain, []string{"data-gone-0", "data-gone-helm-0"}),
	)
})

// startedMembers returns the embedded members of ec.
func startedMembers(ec *etcdv1alpha1.EtcdCluster) *etcdtest.Cluster {
	members.mu.Lock()
	defer members.mu.Unlock()
	return members.clusters[client.ObjectKeyFromObject(ec)]
}

// etcdClient is a test-side client of ec's embedded members.
func etcdClient(ec *etcdv1alpha1.EtcdCluster) *clientv3.Client {
	c, err := clientv3.New(clientv3.Config{Endpoints: startedMembers(ec).ClientURLs(), DialTimeout: 2 * time.Second})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(c.Close)
	return c
}

// learnerFlags lists IsLearner of etcd's members sorted by name, members
// not started yet (no name) last.
func learnerFlags(ctx context.Context, c *clientv3.Client) []bool {
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	resp, err := c.MemberList(cctx)
	if err != nil {
		return nil
	}
	type m struct {
		name    string
		learner bool
	}
	var ms []m
	for _, x := range resp.Members {
		name := x.Name
		if name == "" {
			name = "~" + strings.Join(x.PeerURLs, ",")
		}
		ms = append(ms, m{name, x.IsLearner})
	}
	slices.SortFunc(ms, func(a, b m) int { return strings.Compare(a.name, b.name) })
	flags := make([]bool, len(ms))
	for i, x := range ms {
		flags[i] = x.learner
	}
	return flags
}

var _ = Describe("Self-healing", func() {
	It("replaces a member whose pod came back without its data, as a new learner, then promotes it", func(ctx SpecContext) {
		ns := newNamespace(ctx)
		ec := newCluster(ns, "heal", 3)
		ec.Spec.Storage.Type = etcdv1alpha1.StorageEmptyDir
		startMembers(ec, 3)
		Expect(k8sClient.Create(ctx, ec)).To(Succeed())
		// The pods the StatefulSet controller would run; envtest has no kubelet.
		for i := range 3 {
			createMemberPod(ctx, ec, fmt.Sprintf("heal-%d", i))
		}
		markPodsReady(ctx, ns, "heal")
		Eventually(func() string {
			got := fetch(ctx, ec)
			for _, m := range got.Status.Members {
				if m.DataUID == "" {
					return "member " + m.Name + " has no data UID yet"
				}
			}
			return string(got.Status.Phase)
		}, timeout, interval).Should(Equal("Running"))
		cli := etcdClient(ec)
		oldID := memberIDByName(ctx, cli, "heal-2")

		// heal-2's pod is recreated: with EmptyDir its data is gone, and its
		// etcd cannot run (stopped here, as it would crash-loop).
		startedMembers(ec).Stop("heal-2")
		old := &corev1.Pod{}
		Expect(get(ctx, ns, "heal-2", old)).To(Succeed())
		Expect(k8sClient.Delete(ctx, old, client.GracePeriodSeconds(0))).To(Succeed())
		Eventually(func() bool { return apierrors.IsNotFound(get(ctx, ns, "heal-2", &corev1.Pod{})) }, timeout, interval).Should(BeTrue())
		replacement := createMemberPod(ctx, ec, "heal-2")

		// The operator removes the old member and adds heal-2 back as a learner
		// on the same peer URL, then deletes the crash-looping pod.
		Eventually(func() []bool { return learnerFlags(ctx, cli) }, timeout, interval).Should(Equal([]bool{false, false, true}))
		Expect(memberIDByName(ctx, cli, "heal-2")).To(BeZero(), "the old member must be gone")
		Eventually(func() bool {
			p := &corev1.Pod{}
			err := get(ctx, ns, "heal-2", p)
			return apierrors.IsNotFound(err) || p.UID != replacement.UID
		}, timeout, interval).Should(BeTrue())
		// etcd may refuse the add right after the removal (strict reconfig
		// check): the next pass then adds the pod without a member back.
		Eventually(func() []string { return eventReasons(ctx, ec) }, timeout, interval).Should(Or(ContainElement("Replace"), ContainElements("Remove", "AddLearner")))

		// The new pod starts an empty member that joins and is promoted.
		createMemberPod(ctx, ec, "heal-2")
		Expect(startedMembers(ec).Join("heal-2", members.peerURL(ec, "heal-2"), map[string]string{
			"heal-0": members.peerURL(ec, "heal-0"), "heal-1": members.peerURL(ec, "heal-1"), "heal-2": members.peerURL(ec, "heal-2"),
		})).To(Succeed())
		Eventually(func() []bool { return learnerFlags(ctx, cli) }, timeout, interval).Should(Equal([]bool{false, false, false}))
		newID := memberIDByName(ctx, cli, "heal-2")
		Expect(newID).NotTo(BeZero())
		Expect(newID).NotTo(Equal(oldID))
		Eventually(func() string {
			got := fetch(ctx, ec)
			return fmt.Sprintf("%s %d", got.Status.Phase, got.Status.ReadyMembers)
		}, timeout, interval).Should(Equal("Running 3"))
		// Exactly one replacement for the one lost member: a Replace event,
		// or a Remove whose add back was refused and done by the next pass.
		reasons := eventReasons(ctx, ec)
		Expect(count(reasons, "Replace")+count(reasons, "Remove")).To(Equal(1), "replacements in %v", reasons)
	})
})

func count(list []string, s string) int {
	n := 0
	for _, e := range list {
		if e == s {
			n++
		}
	}
	return n
}

// createMemberPod creates the pod a StatefulSet would, with the chart's labels.
func createMemberPod(ctx context.Context, ec *etcdv1alpha1.EtcdCluster, name string, change ...func(*corev1.Pod)) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ec.Namespace, Name: name, Labels: map[string]string{
			"app.kubernetes.io/name": "etcd", "app.kubernetes.io/instance": ec.Name, "app.kubernetes.io/managed-by": "etcd-operator",
		}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "etcd", Image: "quay.io/coreos/etcd:v3.7.3"}}},
	}
	for _, f := range change {
		f(p)
	}
	Expect(k8sClient.Create(ctx, p)).To(Succeed())
	return p
}

// memberIDByName is etcd's ID of the started member name, 0 when there is none.
func memberIDByName(ctx context.Context, c *clientv3.Client, name string) uint64 {
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	resp, err := c.MemberList(cctx)
	Expect(err).NotTo(HaveOccurred())
	for _, m := range resp.Members {
		if m.Name == name {
			return m.ID
		}
	}
	return 0
}
