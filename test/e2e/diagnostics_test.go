//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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

// dumpDiagnostics writes what happened in namespace ns, and the operator's
// log since the spec started, to the spec's output and to
// _output/e2e-artifacts/<ns>.txt, with a short digest of it in
// <ns>.digest.txt.
func dumpDiagnostics(ctx context.Context, ns string, since time.Time) {
	d := collect(ctx, ns, since)
	full, digest := d.full(), d.digest()
	GinkgoWriter.Print(digest + full)
	dir := filepath.Join(repoRoot, "_output", "e2e-artifacts")
	if err := os.MkdirAll(dir, 0o755); err == nil {
		_ = os.WriteFile(filepath.Join(dir, ns+".txt"), []byte(full), 0o644)
		_ = os.WriteFile(filepath.Join(dir, ns+".digest.txt"), []byte(digest), 0o644)
	}
}

func collect(ctx context.Context, ns string, since time.Time) diagnostics {
	d := diagnostics{ns: ns}
	ecs := &etcdv1alpha1.EtcdClusterList{}
	if err := k8s.List(ctx, ecs, client.InNamespace(ns)); err == nil {
		d.clusters = ecs.Items
	}
	pods := &corev1.PodList{}
	if err := k8s.List(ctx, pods, client.InNamespace(ns)); err == nil {
		d.pods = pods.Items
	}
	events := &eventsv1.EventList{}
	if err := k8s.List(ctx, events, client.InNamespace(ns)); err == nil {
		d.events = events.Items
		sort.Slice(d.events, func(i, j int) bool { return eventTime(d.events[i]).Before(eventTime(d.events[j])) })
	}
	d.etcdLogs = podLogTails(ctx, d.pods)
	d.operatorLogs = operatorLogs(ctx, since)
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
		b.WriteString(podLine(p) + "\n")
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
		b.WriteString(podLine(p) + "\n")
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

func writeLast(b *strings.Builder, title string, items []string) {
	skipped := max(len(items)-digestLines, 0)
	fmt.Fprintf(b, "-- %s (%d, the last %d)\n", title, len(items), len(items)-skipped)
	for _, it := range items[skipped:] {
		b.WriteString(it + "\n")
	}
}

// etcdWarnings are the distinct messages etcd logged above info level, the
// last occurrence of each, in order.
func etcdWarnings(text string) []string {
	type entry struct{ Level, Ts, Msg, Error string }
	last := map[string]int{}
	var out []string
	for _, line := range lines(text) {
		var e entry
		if json.Unmarshal([]byte(line), &e) != nil {
			if strings.HasPrefix(line, "panic:") {
				out = append(out, line)
			}
			continue
		}
		if e.Level == "info" || e.Level == "debug" {
			continue
		}
		key := e.Level + " " + e.Msg
		if i, ok := last[key]; ok {
			out[i] = ""
		}
		last[key] = len(out)
		out = append(out, fmt.Sprintf("%s %s %s %s", e.Ts, e.Level, e.Msg, e.Error))
	}
	kept := out[:0]
	for _, o := range out {
		if o != "" {
			kept = append(kept, o)
		}
	}
	return kept
}

// compactLogLine is an operator log line without the fields every line of
// one cluster shares.
func compactLogLine(line string) string {
	var fields map[string]any
	if json.Unmarshal([]byte(line), &fields) != nil {
		return line
	}
	out := fmt.Sprintf("%v %v", fields["ts"], fields["msg"])
	keys := make([]string, 0, len(fields))
	for k := range fields {
		switch k {
		case "ts", "msg", "level", "logger", "controller", "controllerGroup", "controllerKind", "EtcdCluster", "namespace", "name", "reconcileID":
		default:
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		out += fmt.Sprintf(" %s=%v", k, fields[k])
	}
	return out
}

func lines(text string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

func podLine(p corev1.Pod) string {
	restarts := int32(0)
	state := ""
	for _, cs := range p.Status.ContainerStatuses {
		restarts += cs.RestartCount
		switch {
		case cs.State.Waiting != nil:
			state = "waiting: " + cs.State.Waiting.Reason
		case cs.State.Terminated != nil:
			state = fmt.Sprintf("terminated: %s (%d)", cs.State.Terminated.Reason, cs.State.Terminated.ExitCode)
		case cs.State.Running != nil:
			state = "running"
		}
		if t := cs.LastTerminationState.Terminated; t != nil {
			state += fmt.Sprintf(", last exit %d at %s", t.ExitCode, t.FinishedAt.Format(time.TimeOnly))
		}
	}
	return fmt.Sprintf("pod %s uid=%s phase=%s ip=%s restarts=%d %s deleting=%v", p.Name, p.UID, p.Status.Phase, p.Status.PodIP, restarts, state, !p.DeletionTimestamp.IsZero())
}

func eventLine(e eventsv1.Event) string {
	return fmt.Sprintf("%s %s %s/%s %s: %s", eventTime(e).Format(time.TimeOnly), e.Type, e.Regarding.Kind, e.Regarding.Name, e.Reason, e.Note)
}

func eventTime(e eventsv1.Event) time.Time {
	if !e.EventTime.IsZero() {
		return e.EventTime.Time
	}
	if e.DeprecatedLastTimestamp.IsZero() {
		return e.CreationTimestamp.Time
	}
	return e.DeprecatedLastTimestamp.Time
}

// podLogTails is the end of each pod's etcd log, and of its previous
// container's when it restarted.
func podLogTails(ctx context.Context, pods []corev1.Pod) []titled {
	var out []titled
	for _, p := range pods {
		restarted := false
		for _, cs := range p.Status.ContainerStatuses {
			restarted = restarted || cs.RestartCount > 0
		}
		for _, previous := range []bool{true, false} {
			if previous && !restarted {
				continue
			}
			tail := podLogTailLines
			raw, err := clientset.CoreV1().Pods(p.Namespace).GetLogs(p.Name, &corev1.PodLogOptions{TailLines: &tail, Previous: previous}).DoRaw(ctx)
			text := string(raw)
			if err != nil {
				text = fmt.Sprintf("not read: %v\n", err)
			}
			out = append(out, titled{fmt.Sprintf("log of pod %s (previous container: %v, last %d lines)", p.Name, previous, tail), text})
		}
	}
	return out
}

// operatorLogs are the logs of the operator's pods since a time.
func operatorLogs(ctx context.Context, since time.Time) []titled {
	pods := &corev1.PodList{}
	if err := k8s.List(ctx, pods, client.InNamespace(operatorNamespace), operatorPodLabels); err != nil {
		return []titled{{"operator pods", "not listed: " + err.Error() + "\n"}}
	}
	var out []titled
	for _, p := range pods.Items {
		t := metav1.NewTime(since)
		raw, err := clientset.CoreV1().Pods(operatorNamespace).GetLogs(p.Name, &corev1.PodLogOptions{SinceTime: &t}).DoRaw(ctx)
		text := string(raw)
		if err != nil {
			text = fmt.Sprintf("not read: %v\n", err)
		}
		out = append(out, titled{fmt.Sprintf("operator log %s (since %s)", p.Name, since.Format(time.RFC3339)), text})
	}
	return out
}
