package dashboard_test

import (
	"bytes"
	"context"
	"flag"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/etcd-operator/etcd-operator/internal/dashboard"
	"github.com/etcd-operator/etcd-operator/internal/metrics"
	"github.com/etcd-operator/etcd-operator/test/etcdtest"
)

const golden = "../../config/grafana/etcd-dashboard.json"

var update = flag.Bool("update", false, "rewrite "+golden)

// TestDashboardFile: the shipped JSON is what Build makes.
func TestDashboardFile(t *testing.T) {
	got, err := dashboard.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is stale: run go test ./internal/dashboard -update", golden)
	}
}

// metricName finds the series names a PromQL expression selects: an
// identifier followed by a selector, a range or a closing parenthesis, once
// grouping clauses and label matchers (which hold label names) are gone.
var (
	metricName = regexp.MustCompile(`\b((?:etcd|grpc|controller_runtime)_[a-z0-9_]+)\s*[{\[)]`)
	grouping   = regexp.MustCompile(`\b(by|without)\s*\([^)]*\)`)
	matchers   = regexp.MustCompile(`\{[^}]*\}`)
)

// TestEveryQueryNamesARealSeries checks each panel's series against what
// exists: the operator's, from its collectors' descriptions, and etcd's,
// scraped from a real etcd member after a write and a read.
func TestEveryQueryNamesARealSeries(t *testing.T) {
	known := operatorSeries()
	for name := range etcdSeries(t) {
		known[name] = true
	}
	// controller-runtime's, which the integration suite's scrape of the
	// operator's endpoint shows (metrics_test.go).
	known["controller_runtime_reconcile_total"] = true
	n := 0
	for _, expr := range dashboard.Exprs() {
		bare := matchers.ReplaceAllString(grouping.ReplaceAllString(expr, ""), "{}")
		for _, m := range metricName.FindAllStringSubmatch(bare, -1) {
			n++
			name := m[1]
			if !known[name] && !known[strings.TrimSuffix(name, "_bucket")] {
				t.Errorf("query %q: no series %s", expr, name)
			}
		}
	}
	if n < 20 {
		t.Fatalf("only %d series names found in the queries: the pattern misses them", n)
	}
}

func operatorSeries() map[string]bool {
	rec, err := metrics.NewRecorder(prometheus.NewRegistry())
	if err != nil {
		panic(err)
	}
	ch := make(chan *prometheus.Desc, 100)
	rec.Describe(ch)
	metrics.Clusters{}.Describe(ch)
	close(ch)
	out := map[string]bool{}
	for d := range ch {
		_, rest, _ := strings.Cut(d.String(), `fqName: "`)
		name, _, _ := strings.Cut(rest, `"`)
		out[name] = true
	}
	return out
}

// etcdSeries starts one real etcd member, writes and reads a key, and
// returns the series names its /metrics lists (histograms by base name).
func etcdSeries(t *testing.T) map[string]bool {
	t.Helper()
	c := etcdtest.NewCluster("dashboard")
	peer, err := etcdtest.PeerURL()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(func(string) string { return peer }, "m0"); err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cli, err := clientv3.New(clientv3.Config{Endpoints: c.ClientURLs(), DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cli.Close() }()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := cli.Put(ctx, "k", "v"); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.Get(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.ClientURLs()[0]+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, line := range strings.Split(string(body), "\n") {
		if name, ok := strings.CutPrefix(line, "# TYPE "); ok {
			out[strings.Fields(name)[0]] = true
		}
	}
	if !out["etcd_server_has_leader"] {
		t.Fatalf("etcd's /metrics lists no etcd_server_has_leader:\n%.2000s", body)
	}
	return out
}
