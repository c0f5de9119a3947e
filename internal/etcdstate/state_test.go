package etcdstate

import (
	"slices"
	"testing"
)

func TestAlarms(t *testing.T) {
	c := &Cluster{Members: []Member{
		{Errors: []string{"unreachable: context deadline exceeded"}},
		{Errors: []string{"memberID:8e9e05c52164694d alarm:NOSPACE ", "memberID:8e9e05c52164694d alarm:CORRUPT "}},
		{Errors: []string{"memberID:8e9e05c52164694d alarm:NOSPACE "}},
	}}
	if got := c.Alarms(); !slices.Equal(got, []string{"NOSPACE", "CORRUPT"}) {
		t.Errorf("Alarms() = %v, want each alarm once", got)
	}
	if got := (&Cluster{Members: []Member{{Errors: []string{"no leader"}}}}).Alarms(); got != nil {
		t.Errorf("Alarms() = %v without an alarm", got)
	}
}

func TestServing(t *testing.T) {
	alarmed := Member{Reached: true, Errors: []string{"memberID:1 alarm:NOSPACE "}}
	if alarmed.Healthy() || !alarmed.Serving() {
		t.Errorf("a member with only an alarm: Healthy %v (want false), Serving %v (want true)", alarmed.Healthy(), alarmed.Serving())
	}
	for _, m := range []Member{{Reached: false}, {Reached: true, Errors: []string{"no leader"}}} {
		if m.Serving() {
			t.Errorf("%+v is serving", m)
		}
	}
}
