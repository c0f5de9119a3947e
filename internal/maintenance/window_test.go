package maintenance

import (
	"testing"
	"time"
)

func TestWindowOpensWhenTheScheduleFiresForItsDuration(t *testing.T) {
	// Saturdays 02:00 UTC for two hours; 2026-12-05 is a Saturday.
	w, err := ParseWindow("0 2 * * 6", 2*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		now  string
		open bool
	}{
		{"2026-12-05T01:59:59Z", false},
		{"2026-12-05T02:00:00Z", true},
		{"2026-12-05T03:59:00Z", true},
		{"2026-12-05T04:00:01Z", false},
		{"2026-12-06T02:30:00Z", false},
		// The same instant in another zone: the schedule is UTC.
		{"2026-12-05T03:30:00+01:00", true},
	} {
		if got := w.Open(at(tc.now)); got != tc.open {
			t.Errorf("Open(%s) = %v, want %v", tc.now, got, tc.open)
		}
	}
	var none *Window
	if !none.Open(time.Now()) {
		t.Error("no window must mean always open")
	}
	if _, err := ParseWindow("99 * * * *", time.Hour); err == nil {
		t.Error("an out-of-range minute was accepted")
	}
}
