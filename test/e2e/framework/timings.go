//go:build e2e || olm

package framework

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/onsi/ginkgo/v2"
)

// The two sides of the comparison.
const (
	FloorSide    = "floor"
	OperatorSide = "operator"
)

// RatioDef compares an operator metric's median with a floor metric's;
// the target is reported, not asserted.
type RatioDef struct {
	Name, Operator, Floor string
	Target                float64
	// FloorIsOperator: the floor is another of the operator's metrics
	// (TLS against plain HTTP, both by the operator).
	FloorIsOperator bool
}

// TargetDef is a target for an operator metric's max, reported.
type TargetDef struct {
	Name, Metric string
	Target       float64
}

// StepWriteGapTarget is the longest write gap a scaling step should see
// (seconds); a longer one prints the step's failed writes.
const StepWriteGapTarget = 0.2

type Sample struct {
	Spec    string   `json:"spec"`
	Seconds *float64 `json:"seconds"` // null: did not happen within the bound
	Bound   float64  `json:"boundSeconds"`
}

type Metric struct {
	Description string   `json:"description"`
	Median      *float64 `json:"medianSeconds"`
	Min         *float64 `json:"minSeconds"`
	Max         *float64 `json:"maxSeconds"`
	Failures    int      `json:"failures"`
	Samples     []Sample `json:"samples"`
}

type Ratio struct {
	Name            string   `json:"name"`
	OperatorMetric  string   `json:"operatorMetric"`
	FloorMetric     string   `json:"floorMetric"`
	OperatorSeconds *float64 `json:"operatorMedianSeconds"`
	FloorSeconds    *float64 `json:"floorMedianSeconds"`
	Ratio           *float64 `json:"ratio"`
	// The floor is bimodal here (a member that looks a peer's DNS name up
	// before it is published waits out CoreDNS's 5 s negative cache): the
	// ratio to its fastest sample shows what is achievable.
	FloorMinSeconds *float64 `json:"floorMinSeconds,omitempty"`
	RatioToFloorMin *float64 `json:"ratioToFloorMin,omitempty"`
	Target          float64  `json:"target"`
	WithinTarget    *bool    `json:"withinTarget"`
	Note            string   `json:"note,omitempty"`
}

type TimingsFile struct {
	GeneratedAt string             `json:"generatedAt"`
	Method      string             `json:"method"`
	Floor       map[string]*Metric `json:"floor"`
	Operator    map[string]*Metric `json:"operator"`
	Ratios      []Ratio            `json:"ratios"`
	// Specs holds, per spec that ran a continuous writer, its scaling
	// steps, member add/remove times, recoveries and what the writer saw.
	Specs   map[string]*SpecRecord `json:"specs,omitempty"`
	Targets []TargetCheck          `json:"targets,omitempty"`
}

// Timings collects the measurements of the whole run.
type Timings struct {
	// Method says how the times were taken, in the file.
	Method string
	// Ratios compare the operator's metrics with the floor's.
	Ratios []RatioDef
	// Targets are reported next to the operator's metrics.
	Targets []TargetDef

	mu    sync.Mutex
	sides map[string]map[string]*Metric
	specs map[string]*SpecRecord
}

// NewTimings is an empty reporter.
func NewTimings(method string, ratios []RatioDef, targets []TargetDef) *Timings {
	return &Timings{Method: method, Ratios: ratios, Targets: targets, sides: map[string]map[string]*Metric{FloorSide: {}, OperatorSide: {}}, specs: map[string]*SpecRecord{}}
}

// Record adds a sample of key on side for the running spec; secs nil
// means it did not happen within bound.
func (b *Timings) Record(side, key, description string, secs *float64, bound time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	m, ok := b.sides[side][key]
	if !ok {
		m = &Metric{Description: description}
		b.sides[side][key] = m
	}
	m.Samples = append(m.Samples, Sample{Spec: ginkgo.CurrentSpecReport().FullText(), Seconds: secs, Bound: bound.Seconds()})
	var values []float64
	m.Failures = 0
	for _, s := range m.Samples {
		if s.Seconds == nil {
			m.Failures++
			continue
		}
		values = append(values, *s.Seconds)
	}
	m.Median, m.Min, m.Max = nil, nil, nil
	if len(values) > 0 {
		slices.Sort(values)
		med := values[len(values)/2]
		if len(values)%2 == 0 {
			med = (values[len(values)/2-1] + values[len(values)/2]) / 2
		}
		m.Median, m.Min, m.Max = &med, &values[0], &values[len(values)-1]
	}
	ginkgo.GinkgoWriter.Printf("timing %s %s: %s\n", side, key, FormatSeconds(secs))
}

func (b *Timings) snapshot() TimingsFile {
	b.mu.Lock()
	defer b.mu.Unlock()
	f := TimingsFile{
		GeneratedAt: time.Now().UTC().Format(time.RFC3339),
		Method:      b.Method,
		Floor:       b.sides[FloorSide],
		Operator:    b.sides[OperatorSide],
	}
	for _, d := range b.Ratios {
		r := Ratio{Name: d.Name, OperatorMetric: d.Operator, FloorMetric: d.Floor, Target: d.Target}
		op, fl := f.Operator[d.Operator], f.Floor[d.Floor]
		if d.FloorIsOperator {
			fl = f.Operator[d.Floor]
		}
		switch {
		case op == nil || fl == nil:
			r.Note = "not measured in this run"
		case op.Median == nil:
			r.Note = fmt.Sprintf("the operator never got there within %.0f s", op.Samples[0].Bound)
			r.FloorSeconds = fl.Median
		case fl.Median == nil:
			r.Note = fmt.Sprintf("the floor never got there within %.0f s: the operator does what the chart alone cannot", fl.Samples[0].Bound)
			r.OperatorSeconds = op.Median
		default:
			v, vMin := *op.Median / *fl.Median, *op.Median / *fl.Min
			ok := v <= d.Target
			r.OperatorSeconds, r.FloorSeconds, r.Ratio, r.WithinTarget = op.Median, fl.Median, &v, &ok
			r.FloorMinSeconds, r.RatioToFloorMin = fl.Min, &vMin
		}
		f.Ratios = append(f.Ratios, r)
	}
	if len(b.specs) > 0 {
		f.Specs = b.specs
		f.Targets = targetChecks(b.Targets, f.Operator, b.specs)
	}
	return f
}

// WriteJSON writes the report to path.
func (b *Timings) WriteJSON(path string) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep "->" readable
	enc.SetIndent("", "  ")
	if err := enc.Encode(b.snapshot()); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}
