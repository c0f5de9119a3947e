package maintenance

import (
	"fmt"
	"time"

	"github.com/robfig/cron/v3"
)

// Window is when a defragmentation may start: each time Schedule fires the
// window opens for Duration. A defragmentation started inside it runs to
// its end. NOSPACE recovery ignores it: writes are refused until it is done.
type Window struct {
	schedule cron.Schedule
	duration time.Duration
}

// ParseWindow reads a standard 5-field cron schedule, evaluated in UTC.
func ParseWindow(schedule string, duration time.Duration) (*Window, error) {
	s, err := cron.ParseStandard(schedule)
	if err != nil {
		return nil, fmt.Errorf("maintenance window schedule %q: %w", schedule, err)
	}
	return &Window{schedule: s, duration: duration}, nil
}

// Open is true when the schedule fired within the window's duration before
// now. A nil window is always open.
func (w *Window) Open(now time.Time) bool {
	if w == nil {
		return true
	}
	now = now.UTC()
	return !w.schedule.Next(now.Add(-w.duration)).After(now)
}
