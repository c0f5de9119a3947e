//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"time"

	"github.com/etcd-operator/etcd-operator/test/e2e/framework"
)

// What a spec with a continuous writer records, as the framework's
// reporter keeps it.
type (
	stepTiming   = framework.StepTiming
	memberTiming = framework.MemberTiming
	statusNote   = framework.StatusNote
)

// Metric keys of the specs that run a continuous writer.
const (
	scaleMemberAdd    = "scale.member.add"
	scaleMemberRemove = "scale.member.remove"
	// The added members split by how their etcd joined (read from its log).
	scaleMemberAddPublishLost  = "scale.member.add.firstPublishLost"
	scaleMemberAddPublishFirst = "scale.member.add.firstPublishApplied"
	// scaleMemberAddEtcd35 is scaleMemberAdd on etcd 3.5 clusters, kept
	// apart: their new members join from the raft log.
	scaleMemberAddEtcd35 = "scale.member.add.etcd35"
	writeGapScaleStep    = "write.gapMax.scaleStep"
	writeGapSpec         = "write.gapMax.spec"
	recoverDataWipedPV   = "recover.datawiped.pv"
	recoverWipedPaused   = "recover.datawipedWhilePaused.pv"
	recoverTwoPodsPV     = "recover.twopods.pv"
	recoverRemovedPV     = "recover.removedByHand.pv"
	recoverOpKilledAdd   = "recover.operatorKilled.afterAdd"
	recoverOpKilledRm    = "recover.operatorKilled.afterRemove"
	createNothingBroken  = "create.3m.pv.nothingBroken.running"
	createOtherFrozen    = "create.3m.pv.otherClusterFrozen.running"
	// scaleDownClaimsDeleted is measured from the end of a scale-down step.
	scaleDownClaimsDeleted = "scale.down.removedClaimsDeleted"
)

func init() {
	for k, v := range map[string]string{
		scaleMemberAdd:             "per added member: previous member promoted (or size edit) -> new member a healthy voter in etcd's member list",
		scaleMemberAddPublishLost:  "per added member whose etcd lost its first publish (joined from a snapshot that already held it): served clients only after etcd's 7 s request timeout",
		scaleMemberAddPublishFirst: "per added member whose etcd's first publish returned",
		scaleMemberAddEtcd35:       "per added member of an etcd " + etcd35Version + " cluster (joins from the raft log; 3.5 refuses an add until every voter has been connected 5 s): previous member promoted (or size edit) -> new member a healthy voter",
		scaleMemberRemove:          "per removed member: previous member removed (or size edit) -> member gone from etcd's member list",
		writeGapScaleStep:          "longest interval without an acknowledged write during one scaling step (size edit -> Running and healthy)",
		writeGapSpec:               "longest interval without an acknowledged write over a whole spec with a continuous writer",
		recoverDataWipedPV:         "member's claim and pod deleted -> replaced by a new member, all healthy (PersistentVolume)",
		recoverWipedPaused:         "member's claim and pod deleted while paused, etcd started on the empty volume as the old member -> (resumed) replaced by a new member, all healthy (PersistentVolume)",
		recoverTwoPodsPV:           "two of three pods deleted at once -> all members healthy again, same IDs (PersistentVolume)",
		recoverRemovedPV:           "a follower's member removed by hand (its etcd stops on the removed member's data) -> a new member on fresh storage, all healthy (PersistentVolume)",
		recoverOpKilledAdd:         "operator killed when a learner appeared (3->5) -> 5 healthy voters, Running",
		recoverOpKilledRm:          "operator killed when a member was removed (5->3) -> 3 healthy voters, Running, claims gone",
		createNothingBroken:        "apply -> Running and all members healthy, 3 members, while no other cluster is broken",
		createOtherFrozen:          "apply -> Running and all members healthy, 3 members, while another cluster's etcd processes are SIGSTOPped",
		scaleDownClaimsDeleted:     "scale-down Running and healthy -> the removed members' claims deleted",
	} {
		descriptions[k] = v
	}
}

// stepKey names the metric of one scaling step's duration.
func stepKey(from, to int32) string { return fmt.Sprintf("scale.step.%dto%d", from, to) }

// recordStep adds a scaling step to the running spec and its numbers to
// the operator's metrics.
func recordStep(s stepTiming) {
	bound := time.Duration(s.BoundSeconds * float64(time.Second))
	timings.Record(framework.OperatorSide, stepKey(s.From, s.To), fmt.Sprintf("size %d -> %d: size edit -> Running, readyMembers == size and all members healthy voters in etcd", s.From, s.To), s.Seconds, bound)
	gap := s.WriteGapMaxSeconds
	recordOperator(writeGapScaleStep, &gap, bound)
	addKey := scaleMemberAdd
	if strings.HasPrefix(s.EtcdVersion, "3.5.") {
		addKey = scaleMemberAddEtcd35
	}
	for _, m := range s.Added {
		recordOperator(addKey, m.Seconds, bound)
		if m.PublishRetried != nil {
			recordOperator(map[bool]string{true: scaleMemberAddPublishLost, false: scaleMemberAddPublishFirst}[*m.PublishRetried], m.Seconds, bound)
		}
	}
	for _, m := range s.Removed {
		recordOperator(scaleMemberRemove, m.Seconds, bound)
	}
	timings.Spec(func(r *framework.SpecRecord) { r.Steps = append(r.Steps, s) })
}

// recordMeasurement adds a named time (a recovery, a creation) to the
// running spec and to the operator metric key.
func recordMeasurement(key string, secs *float64, bound time.Duration) {
	recordOperator(key, secs, bound)
	timings.Spec(func(r *framework.SpecRecord) {
		r.Measurements = append(r.Measurements, framework.NamedSeconds{Name: key, Seconds: secs, BoundSeconds: bound.Seconds()})
	})
}

// recordWriter adds what a writer saw, and the writes it lost, to the
// running spec.
func recordWriter(w writeReport, lost int) {
	gap := w.GapMax.Seconds()
	recordOperator(writeGapSpec, &gap, 0)
	wr := &framework.WriterRecord{
		Prefix: w.Prefix, Attempts: w.Attempts, Acknowledged: w.Acknowledged, FailedAttempts: w.Failed,
		WriteGapMaxSeconds: gap, LostAcknowledgedWrites: lost,
	}
	if w.LastErr != nil {
		wr.LastError = w.LastErr.Error()
	}
	if !w.GapMaxEnd.IsZero() {
		wr.WriteGapMaxEndedAt = w.GapMaxEnd.UTC().Format(time.RFC3339Nano)
	}
	timings.Spec(func(r *framework.SpecRecord) {
		r.Writer = wr
		r.WriteGapMaxSeconds = &gap
		r.LostAcknowledgedWrites = &lost
	})
}

// Targets of issue 4, reported next to the numbers.
const targetPerAddedMember = 3.4

var targetDefs = []framework.TargetDef{
	{Name: "seconds per added member", Metric: scaleMemberAdd, Target: targetPerAddedMember},
	{Name: "seconds per added member, etcd " + etcd35Version, Metric: scaleMemberAddEtcd35, Target: targetPerAddedMember},
	{Name: "longest write gap during a scaling step (seconds)", Metric: writeGapScaleStep, Target: framework.StepWriteGapTarget},
}
