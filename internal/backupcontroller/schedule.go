package backupcontroller

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
	"github.com/etcd-operator/etcd-operator/internal/backup"
)

// +kubebuilder:rbac:groups=etcd.etcd.io,resources=etcdbackupschedules,verbs=get;list;watch
// +kubebuilder:rbac:groups=etcd.etcd.io,resources=etcdbackupschedules/status,verbs=patch

// Reasons of a schedule's Ready condition.
const (
	ReasonScheduled       = "Scheduled"
	ReasonInvalidSchedule = "InvalidSchedule"
	ReasonSuspended       = "Suspended"
	ReasonRunSkipped      = "RunSkipped"
)

// ScheduleReconciler reconciles EtcdBackupSchedule objects.
type ScheduleReconciler struct {
	Client   client.Client
	Recorder events.EventRecorder
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// Reconcile starts the run of a due slot, applies retention, and requeues
// for the next slot.
func (r *ScheduleReconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	s := &etcdv1alpha1.EtcdBackupSchedule{}
	if err := r.Client.Get(ctx, req.NamespacedName, s); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	now := time.Now()
	if r.Now != nil {
		now = r.Now()
	}
	orig := s.DeepCopy()
	sched, err := backup.ParseSchedule(s.Spec.Schedule)
	if err != nil {
		setReady(s, metav1.ConditionFalse, ReasonInvalidSchedule, err.Error())
		return reconcile.Result{}, r.patchStatus(ctx, orig, s)
	}
	runs, err := r.runs(ctx, s)
	if err != nil {
		return reconcile.Result{}, err
	}
	summarize(s, runs)
	for _, name := range backup.Expired(runs, s.Spec.Retention, now) {
		b := &etcdv1alpha1.EtcdBackup{ObjectMeta: metav1.ObjectMeta{Namespace: s.Namespace, Name: name}}
		if err := r.Client.Delete(ctx, b); client.IgnoreNotFound(err) != nil {
			return reconcile.Result{}, err
		}
		logf.FromContext(ctx).Info("retention deleted a backup", "backup", name)
	}
	var last *time.Time
	if s.Status.LastScheduleTime != nil {
		last = &s.Status.LastScheduleTime.Time
	}
	slot, due, next := backup.Due(sched, s.CreationTimestamp.Time, last, now)
	switch {
	case s.Spec.Suspend:
		setReady(s, metav1.ConditionTrue, ReasonSuspended, "suspended: no new runs")
	case due && s.Status.Active != "":
		s.Status.LastScheduleTime = &metav1.Time{Time: slot}
		setReady(s, metav1.ConditionTrue, ReasonRunSkipped, "the run of "+slot.Format(time.RFC3339)+" was skipped: "+s.Status.Active+" still runs")
		r.Recorder.Eventf(s, nil, corev1.EventTypeWarning, ReasonRunSkipped, "Schedule", "run of %s skipped: %s still runs", slot.Format(time.RFC3339), s.Status.Active)
	case due:
		if err := r.start(ctx, s, slot); err != nil {
			return reconcile.Result{}, err
		}
		s.Status.LastScheduleTime = &metav1.Time{Time: slot}
		s.Status.Active = backup.RunName(s.Name, slot)
		setReady(s, metav1.ConditionTrue, ReasonScheduled, "next run at "+next.Format(time.RFC3339))
	default:
		setReady(s, metav1.ConditionTrue, ReasonScheduled, "next run at "+next.Format(time.RFC3339))
	}
	if err := r.patchStatus(ctx, orig, s); err != nil {
		return reconcile.Result{}, err
	}
	// A second past the slot, so that the slot is due when looked at.
	return reconcile.Result{RequeueAfter: next.Sub(now) + time.Second}, nil
}

func (r *ScheduleReconciler) runs(ctx context.Context, s *etcdv1alpha1.EtcdBackupSchedule) ([]etcdv1alpha1.EtcdBackup, error) {
	list := &etcdv1alpha1.EtcdBackupList{}
	if err := r.Client.List(ctx, list, client.InNamespace(s.Namespace), client.MatchingLabels{etcdv1alpha1.LabelBackupSchedule: s.Name}); err != nil {
		return nil, err
	}
	// Only this schedule's runs of its cluster: retention never touches
	// another cluster's backups, even under a shared label value.
	out := list.Items[:0]
	for _, b := range list.Items {
		if b.Spec.ClusterName == s.Spec.ClusterName && b.DeletionTimestamp.IsZero() {
			out = append(out, b)
		}
	}
	return out, nil
}

// summarize sets the active run and the last success from the runs.
func summarize(s *etcdv1alpha1.EtcdBackupSchedule, runs []etcdv1alpha1.EtcdBackup) {
	s.Status.Active = ""
	for _, b := range runs {
		switch b.Status.Phase {
		case etcdv1alpha1.BackupSucceeded:
			if t := b.Status.CompletionTime; t != nil && (s.Status.LastSuccessfulTime == nil || t.After(s.Status.LastSuccessfulTime.Time)) {
				s.Status.LastSuccessfulTime, s.Status.LastSuccessfulBackup = t, b.Name
			}
		case etcdv1alpha1.BackupFailed:
		default:
			s.Status.Active = b.Name
		}
	}
}

func (r *ScheduleReconciler) start(ctx context.Context, s *etcdv1alpha1.EtcdBackupSchedule, slot time.Time) error {
	b := &etcdv1alpha1.EtcdBackup{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: s.Namespace, Name: backup.RunName(s.Name, slot),
			// No owner reference: deleting a schedule must not delete the
			// snapshots it took.
			Labels: map[string]string{etcdv1alpha1.LabelBackupSchedule: s.Name},
		},
		Spec: etcdv1alpha1.EtcdBackupSpec{
			ClusterName:    s.Spec.ClusterName,
			Destination:    *s.Spec.Destination.DeepCopy(),
			DeletionPolicy: etcdv1alpha1.BackupDelete,
			Deadline:       s.Spec.Deadline,
		},
	}
	err := r.Client.Create(ctx, b)
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}

func setReady(s *etcdv1alpha1.EtcdBackupSchedule, status metav1.ConditionStatus, reason, message string) {
	meta.SetStatusCondition(&s.Status.Conditions, metav1.Condition{Type: "Ready", Status: status, Reason: reason, Message: message, ObservedGeneration: s.Generation})
}

func (r *ScheduleReconciler) patchStatus(ctx context.Context, orig, s *etcdv1alpha1.EtcdBackupSchedule) error {
	if equality.Semantic.DeepEqual(orig.Status, s.Status) {
		return nil
	}
	return r.Client.Status().Patch(ctx, s, client.MergeFrom(orig))
}

// SetupWithManager registers the controller; a run's changes wake its
// schedule, by the schedule label.
func (r *ScheduleReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		Named("etcdbackupschedule").
		For(&etcdv1alpha1.EtcdBackupSchedule{}).
		Watches(&etcdv1alpha1.EtcdBackup{}, handler.EnqueueRequestsFromMapFunc(func(_ context.Context, o client.Object) []reconcile.Request {
			name := o.GetLabels()[etcdv1alpha1.LabelBackupSchedule]
			if name == "" {
				return nil
			}
			return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: o.GetNamespace(), Name: name}}}
		})).
		Complete(r)
}
