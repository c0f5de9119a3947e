package backup

import (
	"path"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
)

// Key is where a backup's object goes inside its destination: under the
// cluster's namespace and name, so that backups of two clusters sharing a
// bucket or claim never meet, and retention can only touch its own.
func Key(dest etcdv1alpha1.BackupDestination, namespace, cluster, name string) string {
	root := ""
	switch {
	case dest.S3 != nil:
		root = dest.S3.Prefix
	case dest.PersistentVolumeClaim != nil:
		root = dest.PersistentVolumeClaim.Path
	}
	return path.Join(root, namespace, cluster, name+".db")
}

// Location is the object's address for status: s3://bucket/key or
// pvc://claim/key.
func Location(dest etcdv1alpha1.BackupDestination, key string) string {
	if dest.S3 != nil {
		return "s3://" + dest.S3.Bucket + "/" + key
	}
	if dest.PersistentVolumeClaim != nil {
		return "pvc://" + dest.PersistentVolumeClaim.ClaimName + "/" + key
	}
	return ""
}

// RestoreSource is what a cluster bootstrapped from b records and restores.
func RestoreSource(b *etcdv1alpha1.EtcdBackup) *etcdv1alpha1.RestoreStatus {
	return &etcdv1alpha1.RestoreStatus{
		Backup:      b.Name,
		Location:    b.Status.Location,
		SHA256:      b.Status.SHA256,
		Revision:    b.Status.Revision,
		Destination: *b.Spec.Destination.DeepCopy(),
		Key:         Key(b.Spec.Destination, b.Namespace, b.Spec.ClusterName, b.Name),
	}
}
