//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// promServer is a real Prometheus (hack/tools/prometheus, E2E_PROMETHEUS)
// on the host's loopback, which reaches pod IPs directly. It discovers its
// targets through the API server (kubernetes_sd, the suite's kubeconfig),
// scrapes the operator over HTTPS with a ServiceAccount token bound to the
// operator's metrics-reader ClusterRole, and etcd's members on their
// metrics port, and evaluates config/prometheus/prometheus_rule.yaml.
type promServer struct {
	url string
}

// The scrape and evaluation intervals of the suite's Prometheus: short, so
// that an alert's state follows the cluster within seconds.
const promInterval = "2s"

// startPrometheus starts Prometheus for the members in namespace ns, with
// the alert rules' `for` replaced by forOverride where given, and stops it
// when the spec tree ends.
func startPrometheus(ctx context.Context, ns string, forOverride map[string]string) *promServer {
	bin := os.Getenv("E2E_PROMETHEUS")
	Expect(bin).NotTo(BeEmpty(), "E2E_PROMETHEUS must name the Prometheus binary: run through make test-e2e")
	dir := GinkgoT().TempDir()
	token := scraperToken(ctx, ns)
	Expect(os.WriteFile(filepath.Join(dir, "token"), []byte(token), 0o600)).To(Succeed())
	Expect(os.WriteFile(filepath.Join(dir, "rules.yaml"), alertRules(forOverride), 0o600)).To(Succeed())
	Expect(os.WriteFile(filepath.Join(dir, "prometheus.yml"), promConfig(dir, ns), 0o600)).To(Succeed())

	l, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	addr := l.Addr().String()
	Expect(l.Close()).To(Succeed())
	logFile, err := os.Create(filepath.Join(repoRoot, "_output", "e2e-prometheus.log"))
	Expect(err).NotTo(HaveOccurred())
	cmd := exec.Command(bin, "--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"), "--web.listen-address="+addr)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	Expect(cmd.Start()).To(Succeed())
	DeferCleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		_ = logFile.Close()
	})
	p := &promServer{url: "http://" + addr}
	Eventually(ctx, func() (int, error) {
		resp, err := http.Get(p.url + "/-/ready")
		if err != nil {
			return 0, err
		}
		_ = resp.Body.Close()
		return resp.StatusCode, nil
	}).WithTimeout(time.Minute).WithPolling(200*time.Millisecond).Should(Equal(http.StatusOK), "Prometheus ready (log: _output/e2e-prometheus.log)")
	return p
}

// scraperToken creates a ServiceAccount in ns bound to the operator's
// metrics-reader ClusterRole, as a user's Prometheus would be, and returns
// a token of it.
func scraperToken(ctx context.Context, ns string) string {
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "prometheus"}}
	Expect(k8s.Create(ctx, sa)).To(Succeed())
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "e2e-metrics-reader-" + ns},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "etcd-operator-metrics-reader"},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Namespace: ns, Name: sa.Name}},
	}
	Expect(k8s.Create(ctx, binding)).To(Succeed())
	DeferCleanup(func(ctx SpecContext) { Expect(k8s.Delete(ctx, binding)).To(Succeed()) })
	tr, err := clientset.CoreV1().ServiceAccounts(ns).CreateToken(ctx, sa.Name, &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
	Expect(err).NotTo(HaveOccurred())
	return tr.Status.Token
}

// promConfig scrapes the operator's pods (port metrics, HTTPS, the
// token) and the etcd members of ns (port metrics), each member labeled
// with its cluster as the README's PodMonitor does.
func promConfig(dir, ns string) []byte {
	sd := func(namespace string) []map[string]any {
		return []map[string]any{{"role": "pod", "kubeconfig_file": os.Getenv("KUBECONFIG"),
			"namespaces": map[string]any{"names": []string{namespace}}}}
	}
	cfg := map[string]any{
		"global":     map[string]any{"scrape_interval": promInterval, "scrape_timeout": "1s", "evaluation_interval": promInterval},
		"rule_files": []string{filepath.Join(dir, "rules.yaml")},
		"scrape_configs": []map[string]any{{
			"job_name": "etcd-operator", "scheme": "https", "honor_labels": true,
			"tls_config":            map[string]any{"insecure_skip_verify": true},
			"authorization":         map[string]any{"credentials_file": filepath.Join(dir, "token")},
			"kubernetes_sd_configs": sd(operatorNamespace),
			"relabel_configs": []map[string]any{{"action": "keep", "regex": "controller-manager;metrics",
				"source_labels": []string{"__meta_kubernetes_pod_label_control_plane", "__meta_kubernetes_pod_container_port_name"}}},
		}, {
			"job_name":              "etcd",
			"kubernetes_sd_configs": sd(ns),
			"relabel_configs": []map[string]any{
				{"action": "keep", "regex": "etcd;metrics",
					"source_labels": []string{"__meta_kubernetes_pod_label_app_kubernetes_io_name", "__meta_kubernetes_pod_container_port_name"}},
				{"source_labels": []string{"__meta_kubernetes_namespace"}, "target_label": "namespace"},
				{"source_labels": []string{"__meta_kubernetes_pod_name"}, "target_label": "pod"},
				{"source_labels": []string{"__meta_kubernetes_pod_label_app_kubernetes_io_instance"}, "target_label": "etcd_cluster"},
			},
		}},
	}
	out, err := yaml.Marshal(cfg)
	Expect(err).NotTo(HaveOccurred())
	return out
}

// alertRules is the spec of the shipped PrometheusRule, with the `for` of
// the alerts in forOverride replaced.
func alertRules(forOverride map[string]string) []byte {
	data, err := os.ReadFile(filepath.Join(repoRoot, "config", "prometheus", "prometheus_rule.yaml"))
	Expect(err).NotTo(HaveOccurred())
	var pr struct {
		Spec struct {
			Groups []struct {
				Name  string           `json:"name"`
				Rules []map[string]any `json:"rules"`
			} `json:"groups"`
		} `json:"spec"`
	}
	Expect(yaml.Unmarshal(data, &pr)).To(Succeed())
	for _, g := range pr.Spec.Groups {
		for _, r := range g.Rules {
			if d, ok := forOverride[fmt.Sprint(r["alert"])]; ok {
				r["for"] = d
			}
		}
	}
	out, err := yaml.Marshal(pr.Spec)
	Expect(err).NotTo(HaveOccurred())
	return out
}

// sample is one element of an instant vector.
type sample struct {
	Metric map[string]string `json:"metric"`
	Value  [2]any            `json:"value"`
}

func (s sample) value() float64 {
	v, _ := strconv.ParseFloat(fmt.Sprint(s.Value[1]), 64)
	return v
}

// query evaluates an instant PromQL query.
func (p *promServer) query(ctx context.Context, q string) ([]sample, error) {
	var out struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []sample `json:"result"`
		} `json:"data"`
	}
	if err := p.get(ctx, "/api/v1/query?query="+url.QueryEscape(q), &out); err != nil {
		return nil, err
	}
	if out.Status != "success" {
		return nil, fmt.Errorf("query %s: %s", q, out.Error)
	}
	return out.Data.Result, nil
}

// value is the single value of q, an error unless q gives exactly one.
func (p *promServer) value(ctx context.Context, q string) (float64, error) {
	res, err := p.query(ctx, q)
	if err != nil {
		return 0, err
	}
	if len(res) != 1 {
		return 0, fmt.Errorf("query %s: %d series, want 1: %v", q, len(res), res)
	}
	return res[0].value(), nil
}

// alertState is the state (pending, firing) of alert name for cluster
// ns/name, "" when it is not active.
func (p *promServer) alertState(ctx context.Context, alert, ns, name string) (string, error) {
	var out struct {
		Data struct {
			Alerts []struct {
				Labels map[string]string `json:"labels"`
				State  string            `json:"state"`
			} `json:"alerts"`
		} `json:"data"`
	}
	if err := p.get(ctx, "/api/v1/alerts", &out); err != nil {
		return "", err
	}
	for _, a := range out.Data.Alerts {
		if a.Labels["alertname"] == alert && a.Labels["namespace"] == ns && a.Labels["etcd_cluster"] == name {
			return a.State, nil
		}
	}
	return "", nil
}

func (p *promServer) get(ctx context.Context, path string, into any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.url+path, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	return json.Unmarshal(body, into)
}
