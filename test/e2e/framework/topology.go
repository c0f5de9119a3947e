//go:build e2e || olm

package framework

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Topology is the Kubernetes cluster the suites run in: its nodes and
// what a spec may do to them. The suites ask it instead of assuming one
// cluster, so that another kind of cluster (several nodes that can be
// stopped) is one more implementation, and no spec changes.
type Topology interface {
	// Name says which kind of cluster this is.
	Name() string
	// Nodes lists the cluster's nodes.
	Nodes(ctx context.Context) ([]corev1.Node, error)
	// StopNode makes a node unavailable, as a machine that fails.
	StopNode(ctx context.Context, node string) error
	// StartNode brings a stopped node back.
	StartNode(ctx context.Context, node string) error
}

// ErrNotSupported is what a topology answers to what it cannot do.
var ErrNotSupported = errors.New("not supported")

// LocalNode is the only node of hack/local-cluster.
const LocalNode = "local-node"

// DetectTopology is the topology of the cluster c talks to. The suites
// kill the operator and create namespaces, so only known clusters are
// accepted: today the single-node local cluster of hack/local-cluster.
func DetectTopology(ctx context.Context, c client.Client) (Topology, error) {
	local := SingleNode{K8s: c}
	nodes, err := local.Nodes(ctx)
	if err != nil {
		return nil, err
	}
	if len(nodes) == 1 && nodes[0].Name == LocalNode {
		return local, nil
	}
	names := make([]string, 0, len(nodes))
	for _, n := range nodes {
		names = append(names, n.Name)
	}
	return nil, fmt.Errorf("nodes %v are no known topology: the suites run on hack/local-cluster (one node, %s)", names, LocalNode)
}

// SingleNode is hack/local-cluster: one node that runs the control plane,
// the kubelet and the suite itself, which therefore reaches pod IPs and
// sees the pods' processes. Its node cannot be stopped.
type SingleNode struct {
	K8s client.Client
}

func (s SingleNode) Name() string { return "single-node local cluster (hack/local-cluster)" }

func (s SingleNode) Nodes(ctx context.Context) ([]corev1.Node, error) {
	list := &corev1.NodeList{}
	if err := s.K8s.List(ctx, list); err != nil {
		return nil, err
	}
	return list.Items, nil
}

func (s SingleNode) StopNode(_ context.Context, node string) error {
	return fmt.Errorf("stopping node %s: %w on a single-node cluster (it runs the control plane and the suite)", node, ErrNotSupported)
}

func (s SingleNode) StartNode(_ context.Context, node string) error {
	return fmt.Errorf("starting node %s: %w on a single-node cluster", node, ErrNotSupported)
}
