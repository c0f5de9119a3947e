package controller

import (
	"context"
	"strings"

	"github.com/Masterminds/semver/v3"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/internal/upgrade"
)

// versionLabel is the chart's label on the StatefulSet naming the version
// its pod template runs.
const versionLabel = "app.kubernetes.io/version"

// observeClusterVersion fills p.clusterVersion. etcd raises the cluster
// version a few seconds after its last member moved to a newer minor, so
// it is asked only while the members' lowest minor differs from the one
// status holds; otherwise status is kept.
func (r *EtcdClusterReconciler) observeClusterVersion(ctx context.Context, p *pass) {
	p.clusterVersion = p.ec.Status.ClusterVersion
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
	if v != "" {
		p.clusterVersion = v
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
	var members []upgrade.Member
	if p.cluster != nil {
		for _, m := range p.cluster.Members {
			members = append(members, upgrade.Member{Name: p.namer.Name(m), Version: m.Version})
		}
	} else {
		for _, m := range p.ec.Status.Members {
			members = append(members, upgrade.Member{Name: m.Name, Version: m.Version})
		}
	}
	return upgrade.Check(p.ec.Spec.Version, members, p.clusterVersion)
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
// not come up by itself soon.
func failing(pod *corev1.Pod) string {
	for _, cs := range pod.Status.ContainerStatuses {
		w := cs.State.Waiting
		if cs.Name != "etcd" || w == nil || !failingReasons[w.Reason] {
			continue
		}
		msg := w.Message
		if len(msg) > 200 {
			msg = msg[:200]
		}
		if msg == "" {
			return w.Reason
		}
		return w.Reason + ": " + msg
	}
	return ""
}

var failingReasons = map[string]bool{
	"CrashLoopBackOff": true, "ImagePullBackOff": true, "ErrImagePull": true, "ErrImageNeverPull": true,
	"InvalidImageName": true, "CreateContainerConfigError": true, "CreateContainerError": true, "RunContainerError": true,
}
