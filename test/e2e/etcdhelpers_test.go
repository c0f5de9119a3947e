//go:build e2e

package e2e

import (
	"github.com/etcd-operator/etcd-operator/test/e2e/framework"
)

// The framework's types under the names the specs use.
type (
	// target is an etcd cluster run by a StatefulSet of the chart.
	target = framework.Target
	// clusterState is one look at every live pod of a cluster.
	clusterState = framework.ClusterState
	// memberState is what one pod's etcd said to a Status call.
	memberState = framework.MemberState
	// writer writes through a cluster's client Service in the background.
	writer = framework.Writer
	// writeReport is what a writer saw, once stopped.
	writeReport = framework.WriteReport
)

const (
	pollInterval = framework.PollInterval
	healthyBound = framework.HealthyBound
)

// targetOf is the etcd cluster an EtcdCluster runs.
var targetOf = framework.TargetOf
