// Command provisioner is a small dynamic "local path" volume provisioner for the
// single-node local cluster (hack/local-cluster). It runs as a host process, watches
// PersistentVolumeClaims of StorageClasses whose provisioner is its name, creates a
// directory under -base-dir on this machine for each claim and returns a hostPath
// PersistentVolume pinned to the node; when such a volume is released with reclaim
// policy Delete it removes the directory (and with it the data).
//
// It uses sigs.k8s.io/sig-storage-lib-external-provisioner; the StorageClass should use
// volumeBindingMode WaitForFirstConsumer so that the node is known.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"
	"sigs.k8s.io/sig-storage-lib-external-provisioner/v13/controller"
)

const (
	annPath      = "local-cluster.etcd-operator.io/path"
	annCreatedBy = "local-cluster.etcd-operator.io/provisioned-by"
)

type provisioner struct {
	name    string
	node    string
	baseDir string
}

func (p *provisioner) Provision(ctx context.Context, opts controller.ProvisionOptions) (*v1.PersistentVolume, controller.ProvisioningState, error) {
	pvc := opts.PVC
	if pvc.Spec.VolumeMode != nil && *pvc.Spec.VolumeMode == v1.PersistentVolumeBlock {
		return nil, controller.ProvisioningFinished, errors.New("block volumes are not supported")
	}
	node := opts.SelectedNodeName
	if node == "" {
		node = p.node
	}
	if node != p.node {
		return nil, controller.ProvisioningReschedule, fmt.Errorf("node %q is not served by this provisioner (it serves %q)", node, p.node)
	}
	dir := filepath.Join(p.baseDir, fmt.Sprintf("%s_%s_%s", opts.PVName, pvc.Namespace, pvc.Name))
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return nil, controller.ProvisioningFinished, err
	}
	// World-writable like rancher's local-path-provisioner: pods run as any uid.
	if err := os.Chmod(dir, 0o777); err != nil {
		return nil, controller.ProvisioningFinished, err
	}
	reclaim := v1.PersistentVolumeReclaimDelete
	if opts.StorageClass.ReclaimPolicy != nil {
		reclaim = *opts.StorageClass.ReclaimPolicy
	}
	hostPathType := v1.HostPathDirectoryOrCreate
	fs := v1.PersistentVolumeFilesystem
	pv := &v1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{
			Name:        opts.PVName,
			Annotations: map[string]string{annPath: dir, annCreatedBy: p.name},
		},
		Spec: v1.PersistentVolumeSpec{
			PersistentVolumeReclaimPolicy: reclaim,
			AccessModes:                   pvc.Spec.AccessModes,
			VolumeMode:                    &fs,
			MountOptions:                  opts.StorageClass.MountOptions,
			Capacity:                      v1.ResourceList{v1.ResourceStorage: pvc.Spec.Resources.Requests[v1.ResourceStorage]},
			PersistentVolumeSource: v1.PersistentVolumeSource{
				HostPath: &v1.HostPathVolumeSource{Path: dir, Type: &hostPathType},
			},
			NodeAffinity: &v1.VolumeNodeAffinity{Required: &v1.NodeSelector{
				NodeSelectorTerms: []v1.NodeSelectorTerm{{MatchExpressions: []v1.NodeSelectorRequirement{{
					Key: "kubernetes.io/hostname", Operator: v1.NodeSelectorOpIn, Values: []string{node},
				}}}},
			}},
		},
	}
	klog.InfoS("provisioned", "pv", opts.PVName, "pvc", pvc.Namespace+"/"+pvc.Name, "path", dir)
	return pv, controller.ProvisioningFinished, nil
}

func (p *provisioner) Delete(ctx context.Context, pv *v1.PersistentVolume) error {
	if pv.Annotations[annCreatedBy] != p.name || pv.Spec.HostPath == nil {
		return &controller.IgnoredError{Reason: "not provisioned by " + p.name}
	}
	dir := filepath.Clean(pv.Spec.HostPath.Path)
	if filepath.Dir(dir) != filepath.Clean(p.baseDir) || !strings.HasPrefix(filepath.Base(dir), pv.Name+"_") {
		return fmt.Errorf("refusing to delete %q: not a volume directory under %q", dir, p.baseDir)
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	klog.InfoS("deleted", "pv", pv.Name, "path", dir)
	return nil
}

func main() {
	klog.InitFlags(nil)
	var (
		kubeconfig = flag.String("kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig of the cluster")
		name       = flag.String("provisioner-name", "local-cluster.etcd-operator.io/local-path", "provisioner name (StorageClass .provisioner)")
		node       = flag.String("node", "", "name of the node this machine runs (required)")
		baseDir    = flag.String("base-dir", "/var/lib/etcd-operator-local-cluster/local-path", "directory that holds the volumes")
	)
	flag.Parse()
	if *node == "" {
		klog.Exit("-node is required")
	}
	if err := os.MkdirAll(*baseDir, 0o755); err != nil {
		klog.Exit(err)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		klog.Exit(err)
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		klog.Exit(err)
	}
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer cancel()
	p := &provisioner{name: *name, node: *node, baseDir: *baseDir}
	pc := controller.NewProvisionController(ctx, client, *name, p,
		controller.LeaderElection(false),
		controller.MetricsPort(0),
	)
	klog.InfoS("starting", "provisioner", *name, "node", *node, "baseDir", *baseDir)
	pc.Run(ctx)
}
