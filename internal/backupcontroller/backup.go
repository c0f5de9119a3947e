// Package backupcontroller runs EtcdBackups and EtcdBackupSchedules: it
// decides with internal/backup and acts through Jobs running the agent,
// so that no snapshot passes through the operator.
package backupcontroller

import (
	"context"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/internal/backup"
	"github.com/etcd-operator/etcd-operator/internal/resources"
)

// +kubebuilder:rbac:groups=etcd.etcd.io,resources=etcdbackups,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups=etcd.etcd.io,resources=etcdbackups/status,verbs=patch
// +kubebuilder:rbac:groups=etcd.etcd.io,resources=etcdbackups/finalizers,verbs=update
// +kubebuilder:rbac:groups=batch,resources=jobs,verbs=get;list;watch;create

// Finalizer keeps an EtcdBackup with deletionPolicy Delete until its
// object is deleted from the destination.
const Finalizer = "etcd.etcd.io/backup-object"

// BackupReconciler reconciles EtcdBackup objects.
type BackupReconciler struct {
	Client client.Client
	// APIReader reads the destination claim, which is not the operator's
	// and so not in its cache.
	APIReader     client.Reader
	Scheme        *runtime.Scheme
	Recorder      events.EventRecorder
	ClusterDomain string
	// AgentImage runs the Jobs: the operator's own image.
	AgentImage string
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

func (r *BackupReconciler) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// Reconcile moves one EtcdBackup one step on; it never waits.
func (r *BackupReconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	b := &etcdv1alpha1.EtcdBackup{}
	if err := r.Client.Get(ctx, req.NamespacedName, b); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	if !b.DeletionTimestamp.IsZero() {
		return r.finalize(ctx, b)
	}
	if b.Spec.DeletionPolicy == etcdv1alpha1.BackupDelete && !controllerutil.ContainsFinalizer(b, Finalizer) {
		orig := b.DeepCopy()
		controllerutil.AddFinalizer(b, Finalizer)
		if err := r.Client.Patch(ctx, b, client.MergeFrom(orig)); err != nil {
			return reconcile.Result{}, err
		}
	}
	if b.Status.Phase == etcdv1alpha1.BackupSucceeded || b.Status.Phase == etcdv1alpha1.BackupFailed {
		return reconcile.Result{}, nil
	}
	o, err := r.observe(ctx, b)
	if err != nil {
		return reconcile.Result{}, err
	}
	d := backup.Decide(o)
	if d.CreateJob {
		if err := r.createJob(ctx, b, o.Cluster, d.Member); err != nil {
			return reconcile.Result{}, err
		}
	}
	if err := r.report(ctx, b, o.Cluster, d); err != nil {
		return reconcile.Result{}, err
	}
	return reconcile.Result{RequeueAfter: d.RequeueAfter}, nil
}

func (r *BackupReconciler) observe(ctx context.Context, b *etcdv1alpha1.EtcdBackup) (backup.Observed, error) {
	o := backup.Observed{Backup: b, AgentImage: r.AgentImage, Now: r.now()}
	ec := &etcdv1alpha1.EtcdCluster{}
	switch err := r.Client.Get(ctx, types.NamespacedName{Namespace: b.Namespace, Name: b.Spec.ClusterName}, ec); {
	case err == nil:
		o.Cluster = ec
	case !apierrors.IsNotFound(err):
		return o, err
	}
	job := &batchv1.Job{}
	switch err := r.Client.Get(ctx, types.NamespacedName{Namespace: b.Namespace, Name: b.Name}, job); {
	case err == nil:
		o.Job = job
		report, err := r.podReport(ctx, b.Namespace, b.Name)
		if err != nil {
			return o, err
		}
		o.Report = report
	case !apierrors.IsNotFound(err):
		return o, err
	}
	if c := b.Spec.Destination.PersistentVolumeClaim; c != nil && o.Job == nil {
		err := r.APIReader.Get(ctx, types.NamespacedName{Namespace: b.Namespace, Name: c.ClaimName}, &corev1.PersistentVolumeClaim{})
		if err != nil && !apierrors.IsNotFound(err) {
			return o, err
		}
		o.ClaimMissing = apierrors.IsNotFound(err)
	}
	return o, nil
}

// podReport reads the agent's report from the termination message of the
// Job's pod; nil while it has not terminated.
func (r *BackupReconciler) podReport(ctx context.Context, namespace, job string) (*backup.Result, error) {
	pods := &corev1.PodList{}
	if err := r.Client.List(ctx, pods, client.InNamespace(namespace), client.MatchingLabels{"batch.kubernetes.io/job-name": job}); err != nil {
		return nil, err
	}
	for _, pod := range pods.Items {
		for _, cs := range pod.Status.ContainerStatuses {
			if cs.Name != backup.AgentContainer || cs.State.Terminated == nil || cs.State.Terminated.Message == "" {
				continue
			}
			res, err := backup.Decode(cs.State.Terminated.Message)
			if err != nil {
				res = backup.Result{Reason: etcdv1alpha1.ReasonJobFailed, Message: err.Error()}
			}
			return &res, nil
		}
	}
	return nil, nil
}

func (r *BackupReconciler) createJob(ctx context.Context, b *etcdv1alpha1.EtcdBackup, ec *etcdv1alpha1.EtcdCluster, member string) error {
	job := backup.SnapshotJob(b, resources.For(ec, r.ClusterDomain), member, r.AgentImage, r.now())
	if err := controllerutil.SetControllerReference(b, job, r.Scheme); err != nil {
		return err
	}
	err := r.Client.Create(ctx, job)
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	if err == nil {
		logf.FromContext(ctx).Info("backup job created", "member", member)
	}
	return err
}

// report writes the decision into status, only when it changed, with an
// Event when the backup finishes.
func (r *BackupReconciler) report(ctx context.Context, b *etcdv1alpha1.EtcdBackup, ec *etcdv1alpha1.EtcdCluster, d backup.Decision) error {
	orig := b.DeepCopy()
	st := &b.Status
	st.Phase = d.Phase
	now := metav1.NewTime(r.now())
	cond := metav1.Condition{Type: etcdv1alpha1.ConditionComplete, Status: metav1.ConditionFalse, Reason: d.Reason, Message: d.Message, ObservedGeneration: b.Generation}
	if d.CreateJob {
		st.StartTime, st.Member = &now, d.Member
		if ec != nil {
			st.ClusterUID = string(ec.UID)
		}
	}
	if d.Phase == etcdv1alpha1.BackupSucceeded || d.Phase == etcdv1alpha1.BackupFailed {
		st.CompletionTime = &now
	}
	if res := d.Result; res != nil {
		cond.Status = metav1.ConditionTrue
		key := backup.Key(b.Spec.Destination, b.Namespace, b.Spec.ClusterName, b.Name)
		st.Location, st.SizeBytes, st.SHA256 = backup.Location(b.Spec.Destination, key), res.SizeBytes, res.SHA256
		st.Revision, st.EtcdVersion, st.ClusterID = res.Revision, res.Version, res.ClusterID
	}
	meta.SetStatusCondition(&st.Conditions, cond)
	if equality.Semantic.DeepEqual(orig.Status, b.Status) {
		return nil
	}
	if err := r.Client.Status().Patch(ctx, b, client.MergeFromWithOptions(orig, client.MergeFromWithOptimisticLock{})); err != nil {
		return err
	}
	switch {
	case orig.Status.Phase != d.Phase && d.Phase == etcdv1alpha1.BackupSucceeded:
		r.Recorder.Eventf(b, nil, corev1.EventTypeNormal, d.Reason, "Backup", "snapshot of %s at revision %d, %d bytes, stored at %s",
			b.Spec.ClusterName, st.Revision, st.SizeBytes, st.Location)
	case orig.Status.Phase != d.Phase && d.Phase == etcdv1alpha1.BackupFailed:
		r.Recorder.Eventf(b, nil, corev1.EventTypeWarning, d.Reason, "Backup", "%s", d.Message)
	}
	return nil
}

// finalize deletes the object of a backup with deletionPolicy Delete
// through a Job, then lets the EtcdBackup go. A deletion that fails is
// reported and not retried forever: the namespace must be deletable.
func (r *BackupReconciler) finalize(ctx context.Context, b *etcdv1alpha1.EtcdBackup) (reconcile.Result, error) {
	if !controllerutil.ContainsFinalizer(b, Finalizer) {
		return reconcile.Result{}, nil
	}
	if b.Status.Location != "" && r.AgentImage != "" {
		done, err := r.deleteObject(ctx, b)
		if err != nil || !done {
			return reconcile.Result{RequeueAfter: time.Second}, err
		}
	}
	orig := b.DeepCopy()
	controllerutil.RemoveFinalizer(b, Finalizer)
	return reconcile.Result{}, r.Client.Patch(ctx, b, client.MergeFrom(orig))
}

func (r *BackupReconciler) deleteObject(ctx context.Context, b *etcdv1alpha1.EtcdBackup) (bool, error) {
	job := &batchv1.Job{}
	err := r.Client.Get(ctx, types.NamespacedName{Namespace: b.Namespace, Name: backup.DeleteJobName(b)}, job)
	if apierrors.IsNotFound(err) {
		job = backup.DeleteJob(b, r.AgentImage)
		if err := controllerutil.SetOwnerReference(b, job, r.Scheme); err != nil {
			return false, err
		}
		return false, client.IgnoreAlreadyExists(r.Client.Create(ctx, job))
	}
	if err != nil {
		return false, err
	}
	for _, c := range job.Status.Conditions {
		if c.Status != corev1.ConditionTrue {
			continue
		}
		switch c.Type {
		case batchv1.JobComplete:
			return true, nil
		case batchv1.JobFailed:
			r.Recorder.Eventf(b, nil, corev1.EventTypeWarning, etcdv1alpha1.ReasonStorageFailed, "DeleteBackup",
				"the object at %s could not be deleted (%s); it is left in place", b.Status.Location, c.Message)
			return true, nil
		}
	}
	return false, nil
}

// SetupWithManager registers the controller: EtcdBackups and their Jobs.
func (r *BackupReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		Named("etcdbackup").
		For(&etcdv1alpha1.EtcdBackup{}).
		Owns(&batchv1.Job{}).
		Complete(r)
}
