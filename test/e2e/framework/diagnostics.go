//go:build e2e || olm

package framework

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
)

// podLogTailLines bounds each etcd container log in the diagnostics: the
// end holds why a member stopped (a panic on a lost raft log, a refused join).
const podLogTailLines = int64(40)

// digestLines bounds each list in a failed spec's digest, which CI shows
// where it keeps little of the output.
const digestLines = 12

// diagnostics is what a failed spec left in its namespace.
type diagnostics struct {
	ns       string
	clusters []etcdv1alpha1.EtcdCluster
	pods     []corev1.Pod
	events   []eventsv1.Event
	// etcdLogs are the ends of the etcd containers' logs, by title.
	etcdLogs []titled
	// operatorLogs are the operator pods' logs since the spec started.
	operatorLogs []titled
}

type titled struct{ title, text string }

// DumpDiagnostics writes what happened in namespace ns, and the
// operator's log since the spec started, to the spec's output and, when
// the framework has an ArtifactsDir, to <ArtifactsDir>/<ns>.txt, with a
// short digest of it in <ns>.digest.txt.
func (f *Framework) DumpDiagnostics(ctx context.Context, ns string, since time.Time) {
	d := f.collect(ctx, ns, since)
	full, digest := d.full(), d.digest()
	ginkgo.GinkgoWriter.Print(digest + full)
	if f.ArtifactsDir == "" {
		return
	}
	dir := f.ArtifactsDir
	if err := os.MkdirAll(dir, 0o755); err == nil {
		_ = os.WriteFile(filepath.Join(dir, ns+".txt"), []byte(full), 0o644)
		_ = os.WriteFile(filepath.Join(dir, ns+".digest.txt"), []byte(digest), 0o644)
	}
}

func (f *Framework) collect(ctx context.Context, ns string, since time.Time) diagnostics {
	d := diagnostics{ns: ns}
	ecs := &etcdv1alpha1.EtcdClusterList{}
	if err := f.K8s.List(ctx, ecs, client.InNamespace(ns)); err == nil {
		d.clusters = ecs.Items
	}
	pods := &corev1.PodList{}
	if err := f.K8s.List(ctx, pods, client.InNamespace(ns)); err == nil {
		d.pods = pods.Items
	}
	events := &eventsv1.EventList{}
	if err := f.K8s.List(ctx, events, client.InNamespace(ns)); err == nil {
		d.events = events.Items
		sort.Slice(d.events, func(i, j int) bool { return eventTime(d.events[i]).Before(eventTime(d.events[j])) })
	}
	d.etcdLogs = f.podLogTails(ctx, d.pods)
	d.operatorLogs = f.operatorLogs(ctx, since)
	return d
}

func (d diagnostics) full() string {
	var b strings.Builder
	fmt.Fprintf(&b, "==== diagnostics of namespace %s\n", d.ns)
	for _, ec := range d.clusters {
		y, _ := yaml.Marshal(map[string]any{"name": ec.Name, "spec": ec.Spec, "status": ec.Status})
		fmt.Fprintf(&b, "--- EtcdCluster %s\n%s", ec.Name, y)
	}
	b.WriteString("--- pods\n")
	for _, p := range d.pods {
		b.WriteString(PodLine(p) + "\n")
	}
	b.WriteString("--- events\n")
	for _, e := range d.events {
		b.WriteString(eventLine(e) + "\n")
	}
	for _, l := range append(append([]titled(nil), d.etcdLogs...), d.operatorLogs...) {
		fmt.Fprintf(&b, "--- %s\n%s", l.title, l.text)
	}
	return b.String()
}

// digest is the failed spec's story in a few lines: each cluster's
// status, the pods, the operator's events and steps, the warnings of etcd.
func (d diagnostics) digest() string {
	var b strings.Builder
	fmt.Fprintf(&b, "==== digest of namespace %s\n", d.ns)
	for _, ec := range d.clusters {
		st := ec.Status
		fmt.Fprintf(&b, "EtcdCluster %s: size %d, phase %s, ready %d\n", ec.Name, ec.Spec.Size, st.Phase, st.ReadyMembers)
		for _, c := range st.Conditions {
			fmt.Fprintf(&b, "  %s=%s %s: %s\n", c.Type, c.Status, c.Reason, c.Message)
		}
		for _, m := range st.Members {
			fmt.Fprintf(&b, "  member %s %s learner=%v healthy=%v leader=%v %s\n", m.Name, m.ID, m.Learner, m.Healthy, m.Leader, strings.Join(m.Errors, "; "))
		}
	}
	for _, p := range d.pods {
		b.WriteString(PodLine(p) + "\n")
	}
	// Last what CI is likeliest to keep: the operator's side of the story.
	for _, l := range d.etcdLogs {
		writeLast(&b, l.title+", warnings, once each", etcdWarnings(l.text))
	}
	var steps []string
	for _, e := range d.events {
		if e.Type == corev1.EventTypeWarning || e.Regarding.Kind == "EtcdCluster" || e.Regarding.Kind == "StatefulSet" {
			if e.Reason != "Unhealthy" { // probe failures: many, and in the pods' state already
				steps = append(steps, eventLine(e))
			}
		}
	}
	writeLast(&b, "events of the cluster and warnings", steps)
	var ops []string
	for _, l := range d.operatorLogs {
		for _, line := range lines(l.text) {
			if strings.Contains(line, d.ns) && !strings.Contains(line, `"msg":"applied"`) {
				ops = append(ops, compactLogLine(line))
			}
		}
	}
	writeLast(&b, "operator log (without applies)", ops)
	return b.String()
}
