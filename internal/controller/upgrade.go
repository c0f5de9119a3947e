package controller

import (
	"context"
	"fmt"
	"strings"

	"github.com/Masterminds/semver/v3"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/internal/upgrade"
)

// defaultSnapshotCount is etcd's and the chart's --snapshot-count.
const defaultSnapshotCount = 10000

// versionLabel is the chart's label on the StatefulSet naming the version
// its pod template runs.
const versionLabel = "app.kubernetes.io/version"

// observeClusterVersion fills p.clusterVersion. etcd raises the cluster
// version a few seconds after its last member moved to a newer minor, so
// it is asked only while the members' lowest minor differs from the one
// status holds; otherwise status is kept.
func (r *EtcdClusterReconciler) observeClusterVersion(ctx context.Context, p *pass) {
	p.clusterVersion, p.clusterVersionIndex = p.ec.Status.ClusterVersion, uint64(max(p.ec.Status.ClusterVersionRaftIndex, 0))
	defer func() {
		if p.clusterVersion != "" && p.clusterVersionIndex == 0 && p.cluster != nil {
			// First seen now: entries up to here may be the older minor's.
			if l, ok := p.cluster.Leader(); ok {
				p.clusterVersionIndex = l.RaftIndex
			}
		}
	}()
	if p.client == nil || !clusterVersionBehind(p) {
		return
	}
	url := r.leaderURL(p)
	if url == "" {
		return
	}
	v, err := p.client.ClusterVersion(ctx, url)
	if err != nil {
		logf.FromContext(ctx).V(1).Info("cluster version not read", "error", err.Error())
		return
	}
	if v != "" && v != p.clusterVersion {
		p.clusterVersion, p.clusterVersionIndex = v, 0
	}
}

// clusterVersionBehind is true while the members' lowest minor is not the
// cluster version's: etcd has yet to raise it.
func clusterVersionBehind(p *pass) bool {
	if p.cluster == nil {
		return false
	}
	lowest := lowestVersion(p.cluster)
	return lowest != "" && !sameMinor(lowest, p.clusterVersion)
}

func sameMinor(a, b string) bool {
	va, errA := semver.NewVersion(a)
	vb, errB := semver.NewVersion(b)
	return errA == nil && errB == nil && va.Major() == vb.Major() && va.Minor() == vb.Minor()
}

// upgradeVerdict is whether the members may go to spec.version: the
// members etcd reports, or the ones status last recorded when etcd did not
// answer. Pure.
func upgradeVerdict(p *pass) upgrade.Verdict {
	in := upgrade.Input{Target: p.ec.Spec.Version, ClusterVersion: p.clusterVersion,
		ClusterVersionIndex: p.clusterVersionIndex, SnapshotCount: uint64(max(p.ec.Spec.Tuning.SnapshotCount, 0))}
	if in.SnapshotCount == 0 {
		in.SnapshotCount = defaultSnapshotCount
	}
	if p.cluster != nil {
		for _, m := range p.cluster.Members {
			in.Members = append(in.Members, upgrade.Member{Name: p.namer.Name(m), Version: m.Version, RaftIndex: m.RaftIndex})
		}
	} else {
		for _, m := range p.ec.Status.Members {
			in.Members = append(in.Members, upgrade.Member{Name: m.Name, Version: m.Version})
		}
	}
	return upgrade.Check(in)
}

// held is the version and image digest the StatefulSet's template runs,
// which the chart keeps rendering while the upgrade to spec.version is
// refused: no pod moves, not even one restarted for another reason. ""
// when there is nothing to hold (no StatefulSet, or it already carries
// spec.version).
func held(p *pass) (version, digest string) {
	if !p.upgrade.Refused || p.sts == nil {
		return "", ""
	}
	version = p.sts.Labels[versionLabel]
	if version == "" || version == p.ec.Spec.Version {
		return "", ""
	}
	return version, imageDigest(p.sts)
}

func imageDigest(sts *appsv1.StatefulSet) string {
	for _, c := range sts.Spec.Template.Spec.Containers {
		if c.Name == "etcd" {
			if _, d, ok := strings.Cut(c.Image, "@"); ok {
				return d
			}
		}
	}
	return ""
}

// renderedCluster is ec as the chart renders it: with the held version
// while an upgrade is refused.
func renderedCluster(p *pass) *etcdv1alpha1.EtcdCluster {
	if p.heldVersion == "" {
		return p.ec
	}
	ec := p.ec.DeepCopy()
	ec.Spec.Version, ec.Spec.ImageDigest = p.heldVersion, p.heldDigest
	return ec
}

// failing says why pod's etcd container cannot run, "" when it runs or is
// still starting: the waiting reasons kubelet gives a container that will
// not come up by itself soon, and a crash loop caught between two of its
// back-offs. Worded to stay the same while the state flaps (ErrImagePull and
// ImagePullBackOff, back-off times), so that the condition and its Event do
// not change with every kubelet retry.
func failing(pod *corev1.Pod) string {
	for _, cs := range pod.Status.ContainerStatuses {
		if cs.Name != "etcd" {
			continue
		}
		crashed := cs.LastTerminationState.Terminated
		switch w := cs.State.Waiting; {
		case w != nil && (w.Reason == "ErrImagePull" || w.Reason == "ImagePullBackOff"):
			return "ImagePullBackOff: image " + cs.Image + " cannot be pulled"
		case w != nil && w.Reason == "CrashLoopBackOff" && crashed != nil:
			return fmt.Sprintf("CrashLoopBackOff: etcd exits with code %d", crashed.ExitCode)
		case w != nil && failingReasons[w.Reason]:
			return w.Reason
		case !cs.Ready && cs.RestartCount >= 2 && crashed != nil && crashed.ExitCode != 0:
			return fmt.Sprintf("CrashLoopBackOff: etcd exits with code %d", crashed.ExitCode)
		}
	}
	return ""
}

var failingReasons = map[string]bool{
	"CrashLoopBackOff": true, "ErrImageNeverPull": true, "InvalidImageName": true,
	"CreateContainerConfigError": true, "CreateContainerError": true, "RunContainerError": true,
}
