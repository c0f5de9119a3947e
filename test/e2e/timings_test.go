//go:build e2e

package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"text/tabwriter"
	"time"

	. "github.com/onsi/ginkgo/v2"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
)

// The two sides of the comparison.
const (
	floorSide    = "floor"
	operatorSide = "operator"
)

// Metric keys. Creation keys are built by createKey.
const (
	recoverFollowerPV           = "recover.follower.pv"
	recoverFollowerEmptyDir     = "recover.follower.emptydir"
	recoverLeaderPV             = "recover.leader.pv"
	recoverAllPodsPV            = "recover.allpods.pv"
	createOperatorKilledRunning = "create.3m.pv.operatorKilled.running"
	createOperatorKilledHealthy = "create.3m.pv.operatorKilled.healthy"
	helmInstallPV               = "helm.install.pv"
	helmInstallEmptyDir         = "helm.install.emptydir"
)

var descriptions = map[string]string{
	recoverFollowerPV:           "follower pod deleted -> all members healthy again (PersistentVolume)",
	recoverFollowerEmptyDir:     "follower pod deleted -> all members healthy again (EmptyDir: data lost with the pod)",
	recoverLeaderPV:             "leader pod deleted -> all members healthy again (PersistentVolume)",
	recoverAllPodsPV:            "every pod deleted at once -> all members healthy again (PersistentVolume)",
	createOperatorKilledRunning: "apply -> Running, operator pod force-deleted right after the apply",
	createOperatorKilledHealthy: "apply -> all members healthy, operator pod force-deleted right after the apply",
	helmInstallPV:               "helm install command (not part of the floor: t0 is when it returns)",
	helmInstallEmptyDir:         "helm install command (not part of the floor: t0 is when it returns)",
}

// createKey names a creation metric: what is "running" (apply -> phase
// Running) or "healthy" (apply -> all members healthy in etcd).
func createKey(size int, storage etcdv1alpha1.StorageType, what string) string {
	s := "pv"
	if storage == etcdv1alpha1.StorageEmptyDir {
		s = "emptydir"
	}
	return fmt.Sprintf("create.%dm.%s.%s", size, s, what)
}

// createDescription says what a createKey metric measures.
func createDescription(size int, storage etcdv1alpha1.StorageType, what string) string {
	end := map[string]string{"running": "phase Running", "healthy": "all members healthy in etcd"}[what]
	return fmt.Sprintf("apply -> %s, %d members, %s", end, size, storage)
}

// ratioDefs are the comparisons of the operator with the floor. Targets
// are reported, not asserted.
var ratioDefs = []struct {
	name, operator, floor string
	target                float64
}{
	{"creation PV (operator apply->healthy / floor healthy)", createKey(3, etcdv1alpha1.StoragePersistentVolume, "healthy"), createKey(3, etcdv1alpha1.StoragePersistentVolume, "healthy"), 1.2},
	{"creation PV (operator apply->Running / floor healthy)", createKey(3, etcdv1alpha1.StoragePersistentVolume, "running"), createKey(3, etcdv1alpha1.StoragePersistentVolume, "healthy"), 1.2},
	{"creation PV (operator apply->Running / floor healthy and pods Ready)", createKey(3, etcdv1alpha1.StoragePersistentVolume, "running"), createKey(3, etcdv1alpha1.StoragePersistentVolume, "ready"), 1.2},
	{"creation EmptyDir (operator apply->healthy / floor healthy)", createKey(3, etcdv1alpha1.StorageEmptyDir, "healthy"), createKey(3, etcdv1alpha1.StorageEmptyDir, "healthy"), 1.2},
	{"creation EmptyDir (operator apply->Running / floor healthy)", createKey(3, etcdv1alpha1.StorageEmptyDir, "running"), createKey(3, etcdv1alpha1.StorageEmptyDir, "healthy"), 1.2},
	{"creation EmptyDir (operator apply->Running / floor healthy and pods Ready)", createKey(3, etcdv1alpha1.StorageEmptyDir, "running"), createKey(3, etcdv1alpha1.StorageEmptyDir, "ready"), 1.2},
	{"recovery PV, follower pod deleted", recoverFollowerPV, recoverFollowerPV, 1.3},
	{"recovery EmptyDir, follower pod deleted", recoverFollowerEmptyDir, recoverFollowerEmptyDir, 1.3},
}

type sample struct {
	Spec    string   `json:"spec"`
	Seconds *float64 `json:"seconds"` // null: did not happen within the bound
	Bound   float64  `json:"boundSeconds"`
}

type metric struct {
	Description string   `json:"description"`
	Median      *float64 `json:"medianSeconds"`
	Min         *float64 `json:"minSeconds"`
	Max         *float64 `json:"maxSeconds"`
	Failures    int      `json:"failures"`
	Samples     []sample `json:"samples"`
}

type ratio struct {
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

type timingsFile struct {
	GeneratedAt string             `json:"generatedAt"`
	Method      string             `json:"method"`
	Floor       map[string]*metric `json:"floor"`
	Operator    map[string]*metric `json:"operator"`
	Ratios      []ratio            `json:"ratios"`
	// Specs holds, per spec that ran a continuous writer, its scaling
	// steps, member add/remove times, recoveries and what the writer saw.
	Specs   map[string]*specRecord `json:"specs,omitempty"`
	Targets []targetCheck          `json:"targets,omitempty"`
}

const method = "t0 is the apply (the EtcdCluster create call; for the floor, the return of `helm install --wait=false`, " +
	"when the chart's objects exist) or the pod deletion call. Healthy: every live member pod answers clientv3 Status " +
	"(500 ms timeout, polled every 150 ms) without errors, not as a learner, all naming the same leader among them, " +
	"and etcd's member list holds exactly these started voting members. Medians over samples; ratios are operator median / floor median."

// timingBook collects the measurements of the whole run.
type timingBook struct {
	mu    sync.Mutex
	sides map[string]map[string]*metric
	specs map[string]*specRecord
}

func newTimingBook() *timingBook {
	return &timingBook{sides: map[string]map[string]*metric{floorSide: {}, operatorSide: {}}, specs: map[string]*specRecord{}}
}

// record adds a sample of key on side for the running spec; secs nil
// means it did not happen within bound.
func (b *timingBook) record(side, key, description string, secs *float64, bound time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	m, ok := b.sides[side][key]
	if !ok {
		m = &metric{Description: description}
		b.sides[side][key] = m
	}
	m.Samples = append(m.Samples, sample{Spec: CurrentSpecReport().FullText(), Seconds: secs, Bound: bound.Seconds()})
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
	GinkgoWriter.Printf("timing %s %s: %s\n", side, key, formatSeconds(secs))
}

// recordFloor and recordOperator add a sample of a metric named in descriptions.
func recordFloor(key string, secs *float64, bound time.Duration) {
	timings.record(floorSide, key, descriptions[key], secs, bound)
}

func recordOperator(key string, secs *float64, bound time.Duration) {
	timings.record(operatorSide, key, descriptions[key], secs, bound)
}

// recordCreation adds ec's creation times to the operator's side.
func recordCreation(ec *etcdv1alpha1.EtcdCluster, running, healthy *float64) {
	size, storage := int(ec.Spec.Size), storageType(ec)
	timings.record(operatorSide, createKey(size, storage, "running"), createDescription(size, storage, "running"), running, createBound)
	timings.record(operatorSide, createKey(size, storage, "healthy"), createDescription(size, storage, "healthy"), healthy, createBound)
}

// recordFloorCreation adds the floor's creation time of a 3-member cluster.
func recordFloorCreation(storage etcdv1alpha1.StorageType, healthy, ready *float64) {
	timings.record(floorSide, createKey(3, storage, "healthy"), "helm install returned -> all members healthy in etcd, 3 members, "+string(storage), healthy, createBound)
	timings.record(floorSide, createKey(3, storage, "ready"), "helm install returned -> all members healthy in etcd and all pods Ready (what phase Running also waits for), 3 members, "+string(storage), ready, createBound)
}

func (b *timingBook) snapshot() timingsFile {
	b.mu.Lock()
	defer b.mu.Unlock()
	f := timingsFile{
		GeneratedAt: time.Now().UTC().Format(time.RFC3339),
		Method:      method,
		Floor:       b.sides[floorSide],
		Operator:    b.sides[operatorSide],
	}
	for _, d := range ratioDefs {
		r := ratio{Name: d.name, OperatorMetric: d.operator, FloorMetric: d.floor, Target: d.target}
		op, fl := f.Operator[d.operator], f.Floor[d.floor]
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
			ok := v <= d.target
			r.OperatorSeconds, r.FloorSeconds, r.Ratio, r.WithinTarget = op.Median, fl.Median, &v, &ok
			r.FloorMinSeconds, r.RatioToFloorMin = fl.Min, &vMin
		}
		f.Ratios = append(f.Ratios, r)
	}
	if len(b.specs) > 0 {
		f.Specs = b.specs
		f.Targets = targetChecks(f.Operator, b.specs)
	}
	return f
}

func (b *timingBook) writeJSON(path string) error {
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

func (b *timingBook) printTable(w io.Writer) {
	f := b.snapshot()
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	_, _ = fmt.Fprintln(tw, "\n==== e2e timings (seconds)")
	for _, side := range []struct {
		name    string
		metrics map[string]*metric
	}{{"FLOOR (chart alone, helm, static cluster)", f.Floor}, {"OPERATOR", f.Operator}} {
		_, _ = fmt.Fprintf(tw, "\n%s\nmetric\tn\tmedian\tmin\tmax\tfailed\twhat\n", side.name)
		keys := make([]string, 0, len(side.metrics))
		for k := range side.metrics {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			m := side.metrics[k]
			_, _ = fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%d\t%s\n", k, len(m.Samples), formatSeconds(m.Median), formatSeconds(m.Min), formatSeconds(m.Max), m.Failures, m.Description)
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
		_, _ = fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t<= %.1fx\t%s\t%s\t%s\t%s\n", r.Name, formatSeconds(r.OperatorSeconds), formatSeconds(r.FloorSeconds),
			value, r.Target, met, formatSeconds(r.FloorMinSeconds), vsMin, r.Note)
	}
	_ = tw.Flush()
	printSpecs(w, f)
}

func formatSeconds(s *float64) string {
	if s == nil {
		return "-"
	}
	return fmt.Sprintf("%.2f", *s)
}
