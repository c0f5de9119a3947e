// Package alerts checks the operator's alert rules
// (config/prometheus/prometheus_rule.yaml) with the real promtool: the rules
// parse, every alert fires on a synthetic unhealthy cluster and stays quiet
// before its `for` and on a healthy one (alerts_test.yaml), and every alert
// has a runbook in the README. Run through `make test-alerts`, which builds
// promtool and sets PROMTOOL.
package alerts

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

const ruleFile = "../../config/prometheus/prometheus_rule.yaml"

type rule struct {
	Alert       string            `json:"alert"`
	Expr        string            `json:"expr"`
	Annotations map[string]string `json:"annotations"`
}

type ruleGroups struct {
	Groups []struct {
		Name  string `json:"name"`
		Rules []rule `json:"rules"`
	} `json:"groups"`
}

// promtool runs promtool with args in dir and fails on a non-zero exit.
func promtool(t *testing.T, dir string, args ...string) {
	t.Helper()
	bin := os.Getenv("PROMTOOL")
	if bin == "" {
		t.Fatal("PROMTOOL is not set: run through make test-alerts")
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	t.Logf("promtool %s:\n%s", strings.Join(args, " "), strings.TrimSpace(string(out)))
}

// spec reads the PrometheusRule and returns its spec, a Prometheus rule file.
func spec(t *testing.T) ([]byte, ruleGroups) {
	t.Helper()
	data, err := os.ReadFile(ruleFile)
	if err != nil {
		t.Fatal(err)
	}
	var pr struct {
		Kind string          `json:"kind"`
		Spec json.RawMessage `json:"spec"`
	}
	if err := yaml.Unmarshal(data, &pr); err != nil {
		t.Fatal(err)
	}
	if pr.Kind != "PrometheusRule" {
		t.Fatalf("%s: kind %q, want PrometheusRule", ruleFile, pr.Kind)
	}
	var groups ruleGroups
	if err := yaml.Unmarshal(pr.Spec, &groups); err != nil {
		t.Fatal(err)
	}
	return pr.Spec, groups
}

func TestRulesWithPromtool(t *testing.T) {
	raw, _ := spec(t)
	dir := t.TempDir()
	rules, err := yaml.JSONToYAML(raw)
	if err != nil {
		t.Fatal(err)
	}
	tests, err := os.ReadFile("alerts_test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"rules.yaml": rules, "alerts_test.yaml": tests} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	promtool(t, dir, "check", "rules", "rules.yaml")
	promtool(t, dir, "test", "rules", "alerts_test.yaml")
}

// TestEveryAlertIsTestedAndHasARunbook: an alert without a firing test case
// could never fire unnoticed; one without a runbook pages someone who then
// has nothing to read.
func TestEveryAlertIsTestedAndHasARunbook(t *testing.T) {
	_, groups := spec(t)
	data, err := os.ReadFile("alerts_test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var tests struct {
		Tests []struct {
			AlertRuleTest []struct {
				Alertname string `json:"alertname"`
				ExpAlerts []any  `json:"exp_alerts"`
			} `json:"alert_rule_test"`
		} `json:"tests"`
	}
	if err := yaml.Unmarshal(data, &tests); err != nil {
		t.Fatal(err)
	}
	fires, quiet := map[string]bool{}, map[string]bool{}
	for _, tc := range tests.Tests {
		for _, a := range tc.AlertRuleTest {
			if len(a.ExpAlerts) > 0 {
				fires[a.Alertname] = true
			} else {
				quiet[a.Alertname] = true
			}
		}
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			n++
			if !fires[r.Alert] || !quiet[r.Alert] {
				t.Errorf("%s: alerts_test.yaml must show it firing and quiet (fires %v, quiet %v)", r.Alert, fires[r.Alert], quiet[r.Alert])
			}
			anchor := strings.ToLower(r.Alert)
			if !strings.HasSuffix(r.Annotations["runbook_url"], "#"+anchor) {
				t.Errorf("%s: runbook_url %q does not point at #%s", r.Alert, r.Annotations["runbook_url"], anchor)
			}
			if !strings.Contains(string(readme), "\n#### "+r.Alert+"\n") {
				t.Errorf("%s: no runbook heading \"#### %s\" in the README", r.Alert, r.Alert)
			}
		}
	}
	if n == 0 {
		t.Fatal("no alerts found")
	}
}
