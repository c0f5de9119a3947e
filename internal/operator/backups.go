package operator

import (
	"context"
	"os"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/etcd-operator/etcd-operator/internal/backupcontroller"
)

// setupBackups registers the EtcdBackup and EtcdBackupSchedule controllers.
func setupBackups(mgr ctrl.Manager, o Options) error {
	ctrl.Log.WithName("setup").Info("backup agent", "image", o.AgentImage)
	b := &backupcontroller.BackupReconciler{
		Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Scheme: mgr.GetScheme(),
		Recorder: mgr.GetEventRecorder("etcd-operator"), ClusterDomain: o.ClusterDomain, AgentImage: o.AgentImage,
	}
	if err := b.SetupWithManager(mgr); err != nil {
		return err
	}
	s := &backupcontroller.ScheduleReconciler{Client: mgr.GetClient(), Recorder: mgr.GetEventRecorder("etcd-operator")}
	return s.SetupWithManager(mgr)
}

// ownImage is the image of the operator's container in its own pod, so
// that backup Jobs run exactly the operator's build; "" outside a pod.
func ownImage(cfg *rest.Config) string {
	ns, name := os.Getenv("POD_NAMESPACE"), os.Getenv("POD_NAME")
	if ns == "" || name == "" {
		return ""
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pod, err := cs.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		ctrl.Log.WithName("setup").Error(err, "reading the operator's own pod for its image; backups and restores need --agent-image")
		return ""
	}
	return managerImage(pod)
}

func managerImage(pod *corev1.Pod) string {
	for _, c := range pod.Spec.Containers {
		if c.Name == "manager" {
			return c.Image
		}
	}
	if len(pod.Spec.Containers) > 0 {
		return pod.Spec.Containers[0].Image
	}
	return ""
}
