//go:build e2e || olm

package framework

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

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

// PodLine is one line of a pod's state: phase, IP, restarts, its
// containers' state.
func PodLine(p corev1.Pod) string {
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
func (f *Framework) podLogTails(ctx context.Context, pods []corev1.Pod) []titled {
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
			raw, err := f.Clientset.CoreV1().Pods(p.Namespace).GetLogs(p.Name, &corev1.PodLogOptions{TailLines: &tail, Previous: previous}).DoRaw(ctx)
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
func (f *Framework) operatorLogs(ctx context.Context, since time.Time) []titled {
	pods := &corev1.PodList{}
	if err := f.K8s.List(ctx, pods, client.InNamespace(f.OperatorNamespace), OperatorPodLabels); err != nil {
		return []titled{{"operator pods", "not listed: " + err.Error() + "\n"}}
	}
	var out []titled
	for _, p := range pods.Items {
		t := metav1.NewTime(since)
		raw, err := f.Clientset.CoreV1().Pods(f.OperatorNamespace).GetLogs(p.Name, &corev1.PodLogOptions{SinceTime: &t}).DoRaw(ctx)
		text := string(raw)
		if err != nil {
			text = fmt.Sprintf("not read: %v\n", err)
		}
		out = append(out, titled{fmt.Sprintf("operator log %s (since %s)", p.Name, since.Format(time.RFC3339)), text})
	}
	return out
}
