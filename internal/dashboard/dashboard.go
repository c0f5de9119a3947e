// Package dashboard builds the operator's Grafana dashboard as code, with
// grafana-foundation-sdk: an overview of every EtcdCluster from the
// operator's series, each member's raft and disk health from etcd's own,
// and the operator itself. config/grafana/etcd-dashboard.json is its output
// (`go test ./internal/dashboard -update` rewrites it).
package dashboard

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// UID is the dashboard's stable identifier.
const UID = "etcd-operator-clusters"

// The queries of the dashboard's variables: namespaces, then the clusters
// in those picked.
const (
	namespacesQuery = `label_values(etcd_operator_cluster_desired_members, namespace)`
	clustersQuery   = `label_values(etcd_operator_cluster_desired_members{namespace=~"$namespace"}, etcd_cluster)`
)

// sel selects the clusters the dashboard's variables pick.
const sel = `namespace=~"$namespace", etcd_cluster=~"$cluster"`

// Query is one series of a panel and its legend.
type Query struct {
	Expr, Legend string
}

// Panel is one time series panel.
type Panel struct {
	Title, Description, Unit string
	Queries                  []Query
}

// Row is a titled group of panels.
type Row struct {
	Title  string
	Panels []Panel
}

// Rows are the dashboard's content, as data so that a test can check every
// query against the series that exist.
var Rows = []Row{
	{Title: "Clusters (the operator's view)", Panels: []Panel{
		{Title: "Phase", Description: "Each cluster's phase as `kubectl get etcdcluster` shows it.", Queries: []Query{
			{`max by (namespace, etcd_cluster, phase) (etcd_operator_cluster_phase{` + sel + `}) == 1`, "{{namespace}}/{{etcd_cluster}} {{phase}}"}}},
		{Title: "Ready and desired members", Queries: []Query{
			{`etcd_operator_cluster_ready_members{` + sel + `}`, "{{namespace}}/{{etcd_cluster}} ready"},
			{`etcd_operator_cluster_desired_members{` + sel + `}`, "{{namespace}}/{{etcd_cluster}} desired"},
			{`etcd_operator_cluster_learners{` + sel + `}`, "{{namespace}}/{{etcd_cluster}} learners"}}},
		{Title: "Leader and alarms", Description: "1 while a leader is known; an alarm (NOSPACE, CORRUPT) while raised.", Queries: []Query{
			{`etcd_operator_cluster_has_leader{` + sel + `}`, "{{namespace}}/{{etcd_cluster}} has leader"},
			{`etcd_operator_cluster_alarm{` + sel + `}`, "{{namespace}}/{{etcd_cluster}} {{alarm}}"}}},
		{Title: "Degraded", Queries: []Query{
			{`etcd_operator_cluster_condition{type="Degraded", ` + sel + `}`, "{{namespace}}/{{etcd_cluster}}"}}},
		{Title: "Certificate expiry", Unit: "s", Queries: []Query{
			{`etcd_operator_certificate_expiry_timestamp_seconds{` + sel + `} - time()`, "{{namespace}}/{{etcd_cluster}} {{certificate}}"}}},
		{Title: "Database size per member", Unit: "bytes", Description: "File size and the part of it in use: the rest is what a defragmentation returns.", Queries: []Query{
			{`etcd_operator_member_db_size_bytes{` + sel + `}`, "{{member}} size"},
			{`etcd_operator_member_db_size_in_use_bytes{` + sel + `}`, "{{member}} in use"}}},
	}},
	{Title: "Members (etcd's own metrics)", Panels: []Panel{
		{Title: "Leader changes", Queries: []Query{
			{`max by (namespace, etcd_cluster) (increase(etcd_server_leader_changes_seen_total{` + sel + `}[$__rate_interval]))`, "{{namespace}}/{{etcd_cluster}}"}}},
		{Title: "Proposals", Unit: "ops", Queries: []Query{
			{`sum by (pod) (rate(etcd_server_proposals_committed_total{` + sel + `}[$__rate_interval]))`, "{{pod}} committed"},
			{`sum by (pod) (rate(etcd_server_proposals_failed_total{` + sel + `}[$__rate_interval]))`, "{{pod}} failed"},
			{`sum by (pod) (etcd_server_proposals_pending{` + sel + `})`, "{{pod}} pending"}}},
		{Title: "WAL fsync p99", Unit: "s", Description: "Over 0.5 s, the disk is too slow for etcd (EtcdHighFsyncDurations).", Queries: []Query{
			{`histogram_quantile(0.99, sum by (pod, le) (rate(etcd_disk_wal_fsync_duration_seconds_bucket{` + sel + `}[$__rate_interval])))`, "{{pod}}"}}},
		{Title: "Backend commit p99", Unit: "s", Queries: []Query{
			{`histogram_quantile(0.99, sum by (pod, le) (rate(etcd_disk_backend_commit_duration_seconds_bucket{` + sel + `}[$__rate_interval])))`, "{{pod}}"}}},
		{Title: "Database size against quota", Unit: "bytes", Queries: []Query{
			{`etcd_mvcc_db_total_size_in_bytes{` + sel + `}`, "{{pod}} size"},
			{`etcd_mvcc_db_total_size_in_use_in_bytes{` + sel + `}`, "{{pod}} in use"},
			{`max by (namespace, etcd_cluster) (etcd_server_quota_backend_bytes{` + sel + `})`, "quota"}}},
		{Title: "gRPC requests", Unit: "reqps", Queries: []Query{
			{`sum by (pod, grpc_code) (rate(grpc_server_handled_total{grpc_type="unary", ` + sel + `}[$__rate_interval]))`, "{{pod}} {{grpc_code}}"}}},
	}},
	{Title: "Operator", Panels: []Panel{
		{Title: "Membership changes", Queries: []Query{
			{`sum by (operation, result) (increase(etcd_operator_membership_changes_total{` + sel + `}[$__rate_interval]))`, "{{operation}} {{result}}"}}},
		{Title: "Reconcile errors", Queries: []Query{
			{`sum by (namespace, etcd_cluster, reason) (increase(etcd_operator_reconcile_errors_total{` + sel + `}[$__rate_interval]))`, "{{namespace}}/{{etcd_cluster}} {{reason}}"}}},
		{Title: "etcd call p99", Unit: "s", Queries: []Query{
			{`histogram_quantile(0.99, sum by (call, le) (rate(etcd_operator_etcd_request_duration_seconds_bucket[$__rate_interval])))`, "{{call}}"}}},
		{Title: "Reconciles", Unit: "ops", Queries: []Query{
			{`sum by (result) (rate(controller_runtime_reconcile_total{controller="etcdcluster"}[$__rate_interval]))`, "{{result}}"}}},
	}},
}

var datasource = common.DataSourceRef{Type: cog.ToPtr("prometheus"), Uid: cog.ToPtr("${datasource}")}

// Build assembles the dashboard from Rows. It is the classic dashboard
// JSON model, which the SDK marks deprecated for its v2 schema: v2 imports
// only into Grafana 12 with the kubernetesDashboards feature, while the
// classic model imports into every Grafana and its ConfigMap sidecar.
//
//nolint:staticcheck // the classic model, on purpose (above)
func Build() (dashboard.Dashboard, error) {
	b := dashboard.NewDashboardBuilder("etcd clusters").
		Uid(UID).
		Tags([]string{"etcd", "etcd-operator"}).
		Refresh("30s").
		Time("now-1h", "now").
		Timezone(common.TimeZoneBrowser).
		WithVariable(dashboard.NewDatasourceVariableBuilder("datasource").Label("Data source").Type("prometheus")).
		WithVariable(labelVariable("namespace", "Namespace", namespacesQuery)).
		WithVariable(labelVariable("cluster", "EtcdCluster", clustersQuery))
	for _, row := range Rows {
		b = b.WithRow(dashboard.NewRowBuilder(row.Title))
		for _, p := range row.Panels {
			b = b.WithPanel(panel(p))
		}
	}
	return b.Build()
}

func labelVariable(name, label, query string) *dashboard.QueryVariableBuilder {
	return dashboard.NewQueryVariableBuilder(name).Label(label).Datasource(datasource).
		Query(dashboard.StringOrMap{String: cog.ToPtr(query)}).
		Refresh(dashboard.VariableRefreshOnTimeRangeChanged).
		Multi(true).IncludeAll(true).AllValue(".*")
}

// panel builds p, two to a row of the grid.
func panel(p Panel) *timeseries.PanelBuilder {
	b := timeseries.NewPanelBuilder().Title(p.Title).Datasource(datasource).Height(8).Span(12)
	if p.Description != "" {
		b = b.Description(p.Description)
	}
	if p.Unit != "" {
		b = b.Unit(p.Unit)
	}
	for j, q := range p.Queries {
		b = b.WithTarget(prometheus.NewDataqueryBuilder().Expr(q.Expr).LegendFormat(q.Legend).
			RefId(string(rune('A' + j))).Datasource(datasource))
	}
	return b
}

// JSON is the dashboard as Grafana imports it.
func JSON() ([]byte, error) {
	d, err := Build()
	if err != nil {
		return nil, err
	}
	out, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding the dashboard: %w", err)
	}
	return append(out, '\n'), nil
}

// Exprs is every query of the dashboard and the series its variables
// list (the clusters' variable lists those of the same series).
func Exprs() []string {
	out := []string{namespacesQuery}
	for _, r := range Rows {
		for _, p := range r.Panels {
			for _, q := range p.Queries {
				out = append(out, strings.TrimSpace(q.Expr))
			}
		}
	}
	return out
}
