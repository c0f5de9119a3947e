package integration

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	dto "github.com/prometheus/client_model/go"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/internal/chart"
	"github.com/etcd-operator/etcd-operator/internal/etcd"
	"github.com/etcd-operator/etcd-operator/internal/operator"
)

// clusterSeries is every series of registry for cluster ec, as
// "name{label=value,...}" (the cluster's own labels left out) -> value.
func clusterSeries(ec *etcdv1alpha1.EtcdCluster) map[string]float64 {
	families, err := registry.Gather()
	Expect(err).NotTo(HaveOccurred())
	out := map[string]float64{}
	for _, f := range families {
		for _, m := range f.Metric {
			labels, mine := seriesLabels(m, ec)
			if mine {
				out[f.GetName()+"{"+labels+"}"] = m.GetGauge().GetValue() + m.GetCounter().GetValue()
			}
		}
	}
	return out
}

func seriesLabels(m *dto.Metric, ec *etcdv1alpha1.EtcdCluster) (string, bool) {
	var ns, name string
	var rest []string
	for _, l := range m.Label {
		switch l.GetName() {
		case "namespace":
			ns = l.GetValue()
		case "etcd_cluster":
			name = l.GetValue()
		default:
			rest = append(rest, l.GetName()+"="+l.GetValue())
		}
	}
	return strings.Join(rest, ","), ns == ec.Namespace && name == ec.Name
}

var _ = Describe("Operator metrics", func() {
	It("match the cluster's status, count its membership changes, and go when it is deleted", func(ctx SpecContext) {
		ec := runningCluster(ctx, "metrics", 1)
		Eventually(func() map[string]float64 { return clusterSeries(ec) }, timeout, interval).Should(And(
			HaveKeyWithValue("etcd_operator_cluster_phase{phase=Running}", 1.0),
			HaveKeyWithValue("etcd_operator_cluster_phase{phase=Creating}", 0.0),
			HaveKeyWithValue("etcd_operator_cluster_ready_members{}", 1.0),
			HaveKeyWithValue("etcd_operator_cluster_desired_members{}", 1.0),
			HaveKeyWithValue("etcd_operator_cluster_has_leader{}", 1.0),
			HaveKeyWithValue("etcd_operator_cluster_condition{type=Available}", 1.0),
			HaveKeyWithValue("etcd_operator_member_healthy{member=metrics-0}", 1.0),
		))
		size := clusterSeries(ec)["etcd_operator_member_db_size_bytes{member=metrics-0}"]
		Expect(size).To(BeNumerically(">", 0), "a real member's database has a size")
		Expect(clusterSeries(ec)["etcd_operator_member_db_size_in_use_bytes{member=metrics-0}"]).To(BeNumerically("<=", size))

		// Scaling to 2 adds a learner (its pod never runs here): counted
		// once, as a success, and reported as a learner.
		Expect(update(ctx, ec, func(got *etcdv1alpha1.EtcdCluster) { got.Spec.Size = 2 })).To(Succeed())
		Eventually(func() map[string]float64 { return clusterSeries(ec) }, timeout, interval).Should(And(
			HaveKeyWithValue("etcd_operator_membership_changes_total{operation=AddLearner,result=success}", 1.0),
			HaveKeyWithValue("etcd_operator_cluster_learners{}", 1.0),
			HaveKeyWithValue("etcd_operator_cluster_desired_members{}", 2.0),
		))

		Expect(k8sClient.Delete(ctx, ec)).To(Succeed())
		Eventually(func() map[string]float64 { return clusterSeries(ec) }, timeout, interval).Should(BeEmpty())
	})

	It("are served over HTTPS only to clients the API server authorizes for GET /metrics", func(ctx SpecContext) {
		url := startSecureOperator(ctx)
		clientset := kubernetes.NewForConfigOrDie(cfg)
		Expect(k8sClient.Create(ctx, newCluster(secureNamespace, "probe", 1))).To(Succeed())

		code, _ := scrape(ctx, url, "")
		Expect(code).To(Equal(http.StatusUnauthorized), "no token")

		// config/rbac/metrics_reader_role.yaml, bound to one ServiceAccount.
		role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "it-metrics-reader"},
			Rules: []rbacv1.PolicyRule{{NonResourceURLs: []string{"/metrics"}, Verbs: []string{"get"}}}}
		Expect(k8sClient.Create(ctx, role)).To(Succeed())
		binding := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "it-metrics-reader"},
			RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: role.Name},
			Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Namespace: secureNamespace, Name: "scraper"}}}
		Expect(k8sClient.Create(ctx, binding)).To(Succeed())
		DeferCleanup(func(ctx SpecContext) {
			Expect(k8sClient.Delete(ctx, binding)).To(Succeed())
			Expect(k8sClient.Delete(ctx, role)).To(Succeed())
		})
		want := fmt.Sprintf(`etcd_operator_cluster_phase{etcd_cluster="probe",namespace="%s",phase="Creating"} 1`, secureNamespace)
		scraper := serviceAccountToken(ctx, clientset, "scraper")
		Eventually(func(g Gomega) {
			code, body := scrape(ctx, url, scraper)
			g.Expect(code).To(Equal(http.StatusOK))
			g.Expect(body).To(ContainSubstring(want))
		}, timeout, interval).Should(Succeed())

		code, _ = scrape(ctx, url, serviceAccountToken(ctx, clientset, "stranger"))
		Expect(code).To(Equal(http.StatusForbidden), "a ServiceAccount without the metrics-reader role")
	})
})

// serviceAccountToken creates ServiceAccount name in secureNamespace and
// returns a token of it.
func serviceAccountToken(ctx context.Context, clientset kubernetes.Interface, name string) string {
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: secureNamespace, Name: name}}
	Expect(k8sClient.Create(ctx, sa)).To(Succeed())
	tr, err := clientset.CoreV1().ServiceAccounts(secureNamespace).CreateToken(ctx, name,
		&authenticationv1.TokenRequest{}, metav1.CreateOptions{})
	Expect(err).NotTo(HaveOccurred())
	return tr.Status.Token
}

var _ = Describe("The monitoring objects of config/prometheus", func() {
	It("are accepted by prometheus-operator's CRD schemas, unknown fields refused", func(ctx SpecContext) {
		ns := newNamespace(ctx)
		for _, file := range []string{"prometheus_rule.yaml", "monitor.yaml"} {
			data, err := os.ReadFile(filepath.Join("..", "..", "config", "prometheus", file))
			Expect(err).NotTo(HaveOccurred())
			obj := &unstructured.Unstructured{}
			Expect(yaml.Unmarshal(data, &obj.Object)).To(Succeed())
			obj.SetNamespace(ns)
			Expect(k8sClient.Create(ctx, obj, client.FieldValidation("Strict"))).To(Succeed(), file)
		}
		// The check has teeth: a field the schema does not know is refused.
		bad := &unstructured.Unstructured{}
		bad.SetAPIVersion("monitoring.coreos.com/v1")
		bad.SetKind("PrometheusRule")
		bad.SetNamespace(ns)
		bad.SetName("unknown-field")
		bad.Object["spec"] = map[string]any{"groups": []any{map[string]any{"name": "g", "rules": []any{map[string]any{"alert": "A", "expr": "up", "fore": "1m"}}}}}
		Expect(k8sClient.Create(ctx, bad, client.FieldValidation("Strict"))).NotTo(Succeed())
	})
})

// startSecureOperator runs the operator as cmd/ builds it (internal/operator,
// metrics over HTTPS with authentication and authorization) for
// secureNamespace only, and returns its metrics URL.
func startSecureOperator(ctx context.Context) string {
	Expect(k8sClient.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: secureNamespace}})).To(Succeed())
	l, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	addr := l.Addr().String()
	Expect(l.Close()).To(Succeed())
	renderer, err := chart.Load(filepath.Join("..", "..", "helm-charts", "etcd-cluster"))
	Expect(err).NotTo(HaveOccurred())
	mgr, release, err := operator.New(cfg, operator.Options{
		MetricsAddr: addr, ProbeAddr: "0", Namespaces: secureNamespace, ClusterDomain: "cluster.local", Workers: 1,
		Chart: renderer, Timeouts: etcd.Timeouts{Dial: time.Second, Call: time.Second}, Network: members,
		SkipNameValidation: true,
	})
	Expect(err).NotTo(HaveOccurred())
	mgrCtx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer GinkgoRecover()
		defer close(done)
		Expect(mgr.Start(mgrCtx)).To(Succeed())
	}()
	DeferCleanup(func() {
		stop()
		<-done
		release()
	})
	return "https://" + addr + "/metrics"
}

// scrape GETs url with token as bearer ("" for none), skipping the
// verification of the operator's self-signed certificate as a scraper of
// kubebuilder's scaffold does.
func scrape(ctx context.Context, url, token string) (int, string) {
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // the operator's self-signed serving certificate
	}}
	var code int
	var body []byte
	Eventually(func() error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := c.Do(req)
		if err != nil {
			return err // not listening yet
		}
		defer func() { _ = resp.Body.Close() }()
		code = resp.StatusCode
		body, err = io.ReadAll(resp.Body)
		return err
	}, timeout, interval).Should(Succeed())
	return code, string(body)
}
