package backup

import (
	"fmt"
	"sort"
	"time"

	"github.com/robfig/cron/v3"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
)

// Lateness is how long after its time a slot may still start. A slot the
// operator saw later (it was down) is skipped, not run late: a burst of
// old slots after a restart would help no one.
const Lateness = 90 * time.Second

// ParseSchedule parses a 5-field cron expression, in UTC.
func ParseSchedule(expr string) (cron.Schedule, error) {
	s, err := cron.ParseStandard(expr)
	if err != nil {
		return nil, fmt.Errorf("schedule %q: %w", expr, err)
	}
	return s, nil
}

// Due is the newest slot of sched in (max(last, created, now-Lateness), now],
// if there is one, and the next slot after now.
func Due(sched cron.Schedule, created time.Time, last *time.Time, now time.Time) (slot time.Time, due bool, next time.Time) {
	from := now.Add(-Lateness)
	if created.After(from) {
		from = created
	}
	if last != nil && !last.Before(from) {
		from = *last
	}
	now = now.UTC()
	for s := sched.Next(from.UTC()); !s.After(now); s = sched.Next(s) {
		slot, due = s, true
	}
	return slot, due, sched.Next(now)
}

// RunName names the run of slot: fixed by the slot, so that an operator
// restarted in the middle of a run never makes it twice.
func RunName(schedule string, slot time.Time) string {
	return fmt.Sprintf("%s-%d", schedule, slot.Unix())
}

// Expired are the runs retention deletes: successful runs beyond the
// newest keepLast or older than maxAge, but never the newest success; and
// failed runs beyond the newest keepLast failures. Runs in progress stay.
func Expired(runs []etcdv1alpha1.EtcdBackup, r etcdv1alpha1.BackupRetention, now time.Time) []string {
	sorted := append([]etcdv1alpha1.EtcdBackup(nil), runs...)
	sort.Slice(sorted, func(i, j int) bool {
		a, b := sorted[i].CreationTimestamp, sorted[j].CreationTimestamp
		if !a.Equal(&b) {
			return b.Before(&a)
		}
		return sorted[i].Name > sorted[j].Name
	})
	keep := int(max(r.KeepLast, 1))
	var out []string
	good, bad := 0, 0
	for _, b := range sorted {
		switch b.Status.Phase {
		case etcdv1alpha1.BackupSucceeded:
			old := r.MaxAge != nil && now.Sub(b.CreationTimestamp.Time) > r.MaxAge.Duration
			if good >= keep || (good > 0 && old) {
				out = append(out, b.Name)
			}
			good++
		case etcdv1alpha1.BackupFailed:
			if bad >= keep {
				out = append(out, b.Name)
			}
			bad++
		}
	}
	return out
}
