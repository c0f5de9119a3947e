package metrics_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/client"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/internal/metrics"
)

// listed is a Reader holding clusters in memory, as the manager's cache
// does: the benchmark measures the collector, not a list.
type listed struct {
	client.Reader
	items []etcdv1alpha1.EtcdCluster
}

func (l listed) List(_ context.Context, list client.ObjectList, _ ...client.ListOption) error {
	list.(*etcdv1alpha1.EtcdClusterList).Items = l.items
	return nil
}

// BenchmarkScrape50Clusters is one scrape of 50 settled 3-member TLS
// clusters' state series; it reports the series per cluster.
func BenchmarkScrape50Clusters(b *testing.B) {
	var items []etcdv1alpha1.EtcdCluster
	for i := range 50 {
		ec := cluster()
		ec.Name = fmt.Sprintf("db-%d", i)
		ec.Status.Members[2].Errors, ec.Status.Alarms = nil, nil
		ec.Status.Conditions = append(ec.Status.Conditions, ec.Status.Conditions[0])
		ec.Status.Conditions[2].Type = "Progressing"
		for _, n := range []string{"server", "peer", "operator-client", "client"} {
			ec.Status.TLS.Certificates = append(ec.Status.TLS.Certificates, etcdv1alpha1.CertificateStatus{Name: n, SecretName: ec.Name + "-" + n})
		}
		items = append(items, *ec)
	}
	reg := prometheus.NewRegistry()
	if err := reg.Register(metrics.Clusters{Reader: listed{items: items}}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	series := 0
	for b.Loop() {
		families, err := reg.Gather()
		if err != nil {
			b.Fatal(err)
		}
		series = 0
		for _, f := range families {
			series += len(f.Metric)
		}
	}
	b.ReportMetric(float64(series)/50, "series/cluster")
}
