//go:build e2e || olm

package framework

import (
	"github.com/onsi/ginkgo/v2"
)

// SpecRecord is what one spec with a continuous writer measured.
type SpecRecord struct {
	Steps        []StepTiming   `json:"steps,omitempty"`
	Measurements []NamedSeconds `json:"measurements,omitempty"`
	Writer       *WriterRecord  `json:"writer,omitempty"`
	// WriteGapMaxSeconds is the longest time without an acknowledged write
	// over the whole spec.
	WriteGapMaxSeconds *float64 `json:"writeGapMaxSeconds,omitempty"`
	// LostAcknowledgedWrites counts the acknowledged writes that were missing
	// or held another value when read back: must be 0.
	LostAcknowledgedWrites *int `json:"lostAcknowledgedWrites,omitempty"`
}

// StepTiming is one edit of spec.size.
type StepTiming struct {
	Name string `json:"name"`
	From int32  `json:"from"`
	To   int32  `json:"to"`
	// EtcdVersion is the cluster's etcd version.
	EtcdVersion string `json:"etcdVersion"`
	// Seconds is size edit -> phase Running, readyMembers == size and all
	// members healthy voters in etcd; nil when not within BoundSeconds.
	Seconds            *float64 `json:"seconds"`
	BoundSeconds       float64  `json:"boundSeconds"`
	WriteGapMaxSeconds float64  `json:"writeGapMaxSeconds"`
	// FailedWrites are the writer's failed Puts during the step, each
	// with its end in seconds since the size edit.
	FailedWrites []string       `json:"failedWrites,omitempty"`
	Added        []MemberTiming `json:"addedMembers,omitempty"`
	Removed      []MemberTiming `json:"removedMembers,omitempty"`
	// StatusTrail is what the operator's status said during the step, each
	// change with its time since the size edit: where the time went.
	StatusTrail []StatusNote `json:"statusTrail,omitempty"`
	// Looks are the membership the tracker saw at each look during the
	// step, for the specs' own assertions; not written out.
	Looks []Look `json:"-"`
}

// StatusNote is one distinct status: phase, the Progressing condition's
// message, and the errors of members that were not healthy.
type StatusNote struct {
	Seconds float64 `json:"seconds"`
	Note    string  `json:"note"`
}

// MemberTiming is one member's part of a step. Times are seconds since the
// size edit; Seconds is Done - From, the time this member alone took.
type MemberTiming struct {
	Member string `json:"member"`
	ID     string `json:"id"`
	// From: the step start, or when the previous member was promoted
	// (adds) or gone from the member list (removes).
	From float64 `json:"fromSeconds"`
	// Listed: first seen in etcd's member list (as a learner, for adds).
	Listed *float64 `json:"listedSeconds,omitempty"`
	// Answered: its pod's etcd first answered a Status call (at the pod
	// IP) as this member.
	Answered *float64 `json:"answeredSeconds,omitempty"`
	// Promoted: first seen as a voting member.
	Promoted *float64 `json:"promotedSeconds,omitempty"`
	// Done: a healthy voter (adds), gone from the member list (removes).
	Done    *float64 `json:"doneSeconds"`
	Seconds *float64 `json:"seconds"`
	// How an added member's etcd joined, read from its log (nil when the
	// log could not be read): from a snapshot, and whether etcd lost its
	// first publish, so that it served clients only after its request
	// timeout (etcd-io/etcd#16436).
	SnapshotJoin   *bool `json:"snapshotJoin,omitempty"`
	PublishRetried *bool `json:"publishRetried,omitempty"`
}

type NamedSeconds struct {
	Name         string   `json:"name"`
	Seconds      *float64 `json:"seconds"`
	BoundSeconds float64  `json:"boundSeconds"`
}

type WriterRecord struct {
	Prefix                 string  `json:"prefix"`
	Attempts               int     `json:"attempts"`
	Acknowledged           int     `json:"acknowledged"`
	FailedAttempts         int     `json:"failedAttempts"`
	LastError              string  `json:"lastError,omitempty"`
	WriteGapMaxSeconds     float64 `json:"writeGapMaxSeconds"`
	WriteGapMaxEndedAt     string  `json:"writeGapMaxEndedAt,omitempty"`
	LostAcknowledgedWrites int     `json:"lostAcknowledgedWrites"`
}

// TargetCheck compares a measurement with a target; only lost writes are
// asserted (by the specs themselves), the others are reported.
type TargetCheck struct {
	Name     string   `json:"name"`
	Metric   string   `json:"metric"`
	Median   *float64 `json:"median"`
	Max      *float64 `json:"max"`
	Target   float64  `json:"target"`
	Met      *bool    `json:"met"` // on the max
	Asserted bool     `json:"asserted"`
}

// Spec changes the running spec's record.
func (b *Timings) Spec(change func(*SpecRecord)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	change(b.spec())
}

func (b *Timings) spec() *SpecRecord {
	name := ginkgo.CurrentSpecReport().FullText()
	if r, ok := b.specs[name]; ok {
		return r
	}
	r := &SpecRecord{}
	b.specs[name] = r
	return r
}

// targetChecks compares the operator's metrics with defs (on their max),
// and adds the one asserted target: no lost acknowledged write.
func targetChecks(defs []TargetDef, op map[string]*Metric, specs map[string]*SpecRecord) []TargetCheck {
	var out []TargetCheck
	for _, d := range defs {
		c := TargetCheck{Name: d.Name, Metric: d.Metric, Target: d.Target}
		if m := op[d.Metric]; m != nil && m.Max != nil {
			ok := *m.Max <= d.Target
			c.Median, c.Max, c.Met = m.Median, m.Max, &ok
		}
		out = append(out, c)
	}
	lost, seen := 0.0, false
	for _, s := range specs {
		if s.LostAcknowledgedWrites != nil {
			lost += float64(*s.LostAcknowledgedWrites)
			seen = true
		}
	}
	c := TargetCheck{Name: "lost acknowledged writes (all specs)", Metric: "lostAcknowledgedWrites", Target: 0, Asserted: true}
	if seen {
		ok := lost == 0
		c.Max, c.Met = &lost, &ok
	}
	return append(out, c)
}
