package backup

import (
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
)

var t0 = time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)

func s3Backup(name string) *etcdv1alpha1.EtcdBackup {
	return &etcdv1alpha1.EtcdBackup{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", CreationTimestamp: metav1.NewTime(t0)},
		Spec: etcdv1alpha1.EtcdBackupSpec{ClusterName: "c", Destination: etcdv1alpha1.BackupDestination{
			S3: &etcdv1alpha1.S3Destination{Endpoint: "http://s3:8333", Bucket: "b", Prefix: "p/q", CredentialsSecret: "creds"}}},
	}
}

func TestKeyAndLocationKeepClustersApart(t *testing.T) {
	b := s3Backup("nightly")
	if got := Key(b.Spec.Destination, "ns", "c", "nightly"); got != "p/q/ns/c/nightly.db" {
		t.Fatalf("key %q", got)
	}
	if got := Location(b.Spec.Destination, "p/q/ns/c/nightly.db"); got != "s3://b/p/q/ns/c/nightly.db" {
		t.Fatalf("location %q", got)
	}
	claim := etcdv1alpha1.BackupDestination{PersistentVolumeClaim: &etcdv1alpha1.ClaimDestination{ClaimName: "pvc"}}
	if got := Location(claim, Key(claim, "ns", "c", "x")); got != "pvc://pvc/ns/c/x.db" {
		t.Fatalf("claim location %q", got)
	}
}

func cluster(phase etcdv1alpha1.Phase, members ...etcdv1alpha1.MemberStatus) *etcdv1alpha1.EtcdCluster {
	return &etcdv1alpha1.EtcdCluster{ObjectMeta: metav1.ObjectMeta{Name: "c"}, Status: etcdv1alpha1.EtcdClusterStatus{Phase: phase, Members: members}}
}

func TestSourcePrefersAHealthyCaughtUpFollower(t *testing.T) {
	leader := etcdv1alpha1.MemberStatus{Name: "c-0", Healthy: true, Leader: true}
	behind := etcdv1alpha1.MemberStatus{Name: "c-1", Healthy: true, RaftIndexLag: 40}
	current := etcdv1alpha1.MemberStatus{Name: "c-2", Healthy: true}
	down := etcdv1alpha1.MemberStatus{Name: "c-3"}
	learner := etcdv1alpha1.MemberStatus{Name: "c-4", Healthy: true, Learner: true}
	m, _, _, ok := Source(cluster(etcdv1alpha1.PhaseRunning, leader, behind, current, down, learner))
	if !ok || m.Name != "c-2" {
		t.Fatalf("got %q %v, want c-2", m.Name, ok)
	}
	if m, _, _, ok := Source(cluster(etcdv1alpha1.PhaseRunning, leader)); !ok || m.Name != "c-0" {
		t.Fatalf("a lone leader is the source: %q %v", m.Name, ok)
	}
	if _, reason, msg, ok := Source(cluster(etcdv1alpha1.PhaseFailed, leader, down, etcdv1alpha1.MemberStatus{Name: "c-5"})); ok || reason != etcdv1alpha1.ReasonNoQuorum || !strings.Contains(msg, "1 healthy of 3") {
		t.Fatalf("no quorum: %v %q %q", ok, reason, msg)
	}
	if _, reason, _, ok := Source(cluster(etcdv1alpha1.PhaseCreating)); ok || reason != etcdv1alpha1.ReasonClusterNotReady {
		t.Fatalf("creating: %v %q", ok, reason)
	}
}

func jobIn(t batchv1.JobConditionType) *batchv1.Job {
	j := &batchv1.Job{}
	if t != "" {
		j.Status.Conditions = []batchv1.JobCondition{{Type: t, Status: corev1.ConditionTrue, Reason: "DeadlineExceeded", Message: "too slow"}}
	}
	return j
}

func TestDecide(t *testing.T) {
	healthy := cluster(etcdv1alpha1.PhaseRunning, etcdv1alpha1.MemberStatus{Name: "c-0", Healthy: true})
	ok := &Result{SizeBytes: 10, SHA256: strings.Repeat("a", 64)}
	cases := map[string]struct {
		o      Observed
		phase  etcdv1alpha1.BackupPhase
		reason string
		create bool
	}{
		"starts the job":      {Observed{Cluster: healthy, AgentImage: "img", Now: t0}, etcdv1alpha1.BackupRunning, etcdv1alpha1.ReasonSnapshotStreaming, true},
		"waits for a cluster": {Observed{AgentImage: "img", Now: t0}, etcdv1alpha1.BackupPending, etcdv1alpha1.ReasonClusterNotFound, false},
		"waits for quorum": {Observed{Cluster: cluster(etcdv1alpha1.PhaseFailed, etcdv1alpha1.MemberStatus{Name: "c-0"}), AgentImage: "img", Now: t0},
			etcdv1alpha1.BackupPending, etcdv1alpha1.ReasonNoQuorum, false},
		"gives up at the deadline": {Observed{AgentImage: "img", Now: t0.Add(DefaultDeadline)}, etcdv1alpha1.BackupFailed, etcdv1alpha1.ReasonDeadlineExceeded, false},
		"no claim":                 {Observed{Cluster: healthy, ClaimMissing: true, AgentImage: "img", Now: t0}, etcdv1alpha1.BackupFailed, etcdv1alpha1.ReasonClaimNotFound, false},
		"no agent image":           {Observed{Cluster: healthy, Now: t0}, etcdv1alpha1.BackupFailed, etcdv1alpha1.ReasonNoAgentImage, false},
		"running":                  {Observed{Job: jobIn(""), Now: t0}, etcdv1alpha1.BackupRunning, etcdv1alpha1.ReasonSnapshotStreaming, false},
		"succeeded":                {Observed{Job: jobIn(batchv1.JobComplete), Report: ok, Now: t0}, etcdv1alpha1.BackupSucceeded, etcdv1alpha1.ReasonBackupSucceeded, false},
		"complete, report not yet": {Observed{Job: jobIn(batchv1.JobComplete), Now: t0}, etcdv1alpha1.BackupRunning, etcdv1alpha1.ReasonSnapshotStreaming, false},
		"failed with the agent's reason": {Observed{Job: jobIn(batchv1.JobFailed), Report: &Result{Reason: etcdv1alpha1.ReasonBucketNotFound, Message: "no bucket"}, Now: t0},
			etcdv1alpha1.BackupFailed, etcdv1alpha1.ReasonBucketNotFound, false},
		"failed without a report": {Observed{Job: jobIn(batchv1.JobFailed), Now: t0}, etcdv1alpha1.BackupFailed, etcdv1alpha1.ReasonJobFailed, false},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			c.o.Backup = s3Backup("b")
			if c.o.ClaimMissing {
				c.o.Backup.Spec.Destination = etcdv1alpha1.BackupDestination{PersistentVolumeClaim: &etcdv1alpha1.ClaimDestination{ClaimName: "gone"}}
			}
			d := Decide(c.o)
			if d.Phase != c.phase || d.Reason != c.reason || d.CreateJob != c.create {
				t.Fatalf("got %s/%s create=%v (%s), want %s/%s create=%v", d.Phase, d.Reason, d.CreateJob, d.Message, c.phase, c.reason, c.create)
			}
			if d.Phase == etcdv1alpha1.BackupPending && d.RequeueAfter == 0 {
				t.Fatal("a pending backup must requeue")
			}
		})
	}
}

func TestDueRunsEachSlotOnceAndNeverLate(t *testing.T) {
	every, err := ParseSchedule("*/5 * * * *")
	if err != nil {
		t.Fatal(err)
	}
	created := t0.Add(-time.Hour)
	slot, due, next := Due(every, created, nil, t0.Add(30*time.Second))
	if !due || !slot.Equal(t0) || !next.Equal(t0.Add(5*time.Minute)) {
		t.Fatalf("slot %v due %v next %v", slot, due, next)
	}
	if _, due, _ := Due(every, created, &slot, t0.Add(31*time.Second)); due {
		t.Fatal("a slot runs once")
	}
	if _, due, _ := Due(every, created, nil, t0.Add(Lateness+time.Second)); due {
		t.Fatal("a slot seen too late is skipped, not run late")
	}
	if _, due, _ := Due(every, t0.Add(10*time.Second), nil, t0.Add(20*time.Second)); due {
		t.Fatal("a slot before the schedule existed is not run")
	}
	if _, err := ParseSchedule("61 * * * *"); err == nil {
		t.Fatal("minute 61 parsed")
	}
	if got := RunName("nightly", t0); got != "nightly-1796644800" {
		t.Fatalf("run name %q", got)
	}
}

func TestExpiredKeepsTheNewestGoodOnes(t *testing.T) {
	run := func(name string, age time.Duration, phase etcdv1alpha1.BackupPhase) etcdv1alpha1.EtcdBackup {
		return etcdv1alpha1.EtcdBackup{ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: metav1.NewTime(t0.Add(-age))},
			Status: etcdv1alpha1.EtcdBackupStatus{Phase: phase}}
	}
	runs := []etcdv1alpha1.EtcdBackup{
		run("r1", 4*time.Minute, etcdv1alpha1.BackupSucceeded),
		run("r2", 3*time.Minute, etcdv1alpha1.BackupSucceeded),
		run("r3", 2*time.Minute, etcdv1alpha1.BackupFailed),
		run("r4", time.Minute, etcdv1alpha1.BackupSucceeded),
		run("r5", 0, etcdv1alpha1.BackupRunning),
	}
	got := Expired(runs, etcdv1alpha1.BackupRetention{KeepLast: 2}, t0)
	if strings.Join(got, ",") != "r1" {
		t.Fatalf("keepLast 2: %v", got)
	}
	got = Expired(runs, etcdv1alpha1.BackupRetention{KeepLast: 5, MaxAge: &metav1.Duration{Duration: 30 * time.Second}}, t0)
	if strings.Join(got, ",") != "r2,r1" {
		t.Fatalf("maxAge keeps only the newest success: %v", got)
	}
	old := []etcdv1alpha1.EtcdBackup{run("only", 48*time.Hour, etcdv1alpha1.BackupSucceeded)}
	if got := Expired(old, etcdv1alpha1.BackupRetention{KeepLast: 1, MaxAge: &metav1.Duration{Duration: time.Hour}}, t0); len(got) != 0 {
		t.Fatalf("the newest success is never deleted: %v", got)
	}
}

func TestResultRoundTripsWithinTheTerminationMessageLimit(t *testing.T) {
	r := Result{Reason: "AccessDenied", Message: strings.Repeat("x", 10000)}
	data := r.Encode()
	if len(data) > 4096 {
		t.Fatalf("%d bytes", len(data))
	}
	back, err := Decode(string(data))
	if err != nil || back.Reason != "AccessDenied" {
		t.Fatalf("%+v %v", back, err)
	}
}
