//go:build e2e || olm

package framework

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
)

// PrintTable prints the report as tables.
func (b *Timings) PrintTable(w io.Writer) {
	f := b.snapshot()
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	_, _ = fmt.Fprintln(tw, "\n==== e2e timings (seconds)")
	for _, side := range []struct {
		name    string
		metrics map[string]*Metric
	}{{"FLOOR (chart alone, helm, static cluster)", f.Floor}, {"OPERATOR", f.Operator}} {
		_, _ = fmt.Fprintf(tw, "\n%s\nmetric\tn\tmedian\tmin\tmax\tfailed\twhat\n", side.name)
		for _, k := range slices.Sorted(maps.Keys(side.metrics)) {
			m := side.metrics[k]
			_, _ = fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%d\t%s\n", k, len(m.Samples), FormatSeconds(m.Median), FormatSeconds(m.Min), FormatSeconds(m.Max), m.Failures, m.Description)
		}
	}
	_, _ = fmt.Fprintf(tw, "\nRATIOS (operator median / floor median; targets are reported, not asserted)\n"+
		"ratio\toperator\tfloor\tvalue\ttarget\tmet\tfloor min\tvs floor min\tnote\n")
	for _, r := range f.Ratios {
		value, met, vsMin := "-", "-", "-"
		if r.Ratio != nil {
			value, vsMin = fmt.Sprintf("%.2fx", *r.Ratio), fmt.Sprintf("%.2fx", *r.RatioToFloorMin)
			met = map[bool]string{true: "yes", false: "NO"}[*r.WithinTarget]
		}
		_, _ = fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t<= %.1fx\t%s\t%s\t%s\t%s\n", r.Name, FormatSeconds(r.OperatorSeconds), FormatSeconds(r.FloorSeconds),
			value, r.Target, met, FormatSeconds(r.FloorMinSeconds), vsMin, r.Note)
	}
	_ = tw.Flush()
	printSpecs(w, f)
}

// FormatSeconds prints seconds, "-" for nil.
func FormatSeconds(s *float64) string {
	if s == nil {
		return "-"
	}
	return fmt.Sprintf("%.2f", *s)
}

// printSpecs prints the specs with a continuous writer and the targets.
func printSpecs(w io.Writer, f TimingsFile) {
	if len(f.Specs) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	_, _ = fmt.Fprintln(tw, "\nSPECS WITH A CONTINUOUS WRITER (seconds; writes through the client Service every 20 ms, 1 s timeout)")
	for _, n := range slices.Sorted(maps.Keys(f.Specs)) {
		s := f.Specs[n]
		_, _ = fmt.Fprintf(tw, "\n%s\n", n)
		if wr := s.Writer; wr != nil {
			_, _ = fmt.Fprintf(tw, "  writer\tacked %d\tfailed %d\twrite gap max %.3f\tlost acknowledged writes %d\n", wr.Acknowledged, wr.FailedAttempts, wr.WriteGapMaxSeconds, wr.LostAcknowledgedWrites)
		}
		for _, st := range s.Steps {
			_, _ = fmt.Fprintf(tw, "  step %s\t%s\twrite gap max %.3f (target <= %.1f)\tadded: %s\tremoved: %s\n", st.Name, FormatSeconds(st.Seconds),
				st.WriteGapMaxSeconds, StepWriteGapTarget, memberTimingList(st.Added), memberTimingList(st.Removed))
			if st.WriteGapMaxSeconds > StepWriteGapTarget {
				for _, f := range st.FailedWrites {
					_, _ = fmt.Fprintf(tw, "    failed write %s\n", f)
				}
			}
		}
		for _, m := range s.Measurements {
			_, _ = fmt.Fprintf(tw, "  %s\t%s\n", m.Name, FormatSeconds(m.Seconds))
		}
	}
	_, _ = fmt.Fprintln(tw, "\nTARGETS (reported; only lost writes are asserted)\ntarget\tmedian\tmax\ttarget\tmet")
	for _, c := range f.Targets {
		met := "-"
		if c.Met != nil {
			met = map[bool]string{true: "yes", false: "NO"}[*c.Met]
		}
		value := FormatSeconds(c.Max)
		if c.Asserted && c.Max != nil {
			value = fmt.Sprintf("%.0f", *c.Max) // a count of writes
		}
		_, _ = fmt.Fprintf(tw, "%s\t%s\t%s\t<= %g\t%s\n", c.Name, FormatSeconds(c.Median), value, c.Target, met)
	}
	_ = tw.Flush()
}

// memberTimingList prints members as "name secs" (per-member time).
func memberTimingList(ms []MemberTiming) string {
	if len(ms) == 0 {
		return "-"
	}
	parts := make([]string, 0, len(ms))
	for _, m := range ms {
		part := fmt.Sprintf("%s %s", m.Member, FormatSeconds(m.Seconds))
		if m.SnapshotJoin != nil && *m.SnapshotJoin {
			part += " (from a snapshot"
			if m.PublishRetried != nil && *m.PublishRetried {
				part += ", first publish lost"
			}
			part += ")"
		}
		parts = append(parts, part)
	}
	return strings.Join(parts, ", ")
}
