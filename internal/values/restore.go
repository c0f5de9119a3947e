package values

import (
	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
)

// Restore is the chart's restore block: every member restores r's
// snapshot before it first starts, with agentImage's agent.
func Restore(r *etcdv1alpha1.RestoreStatus, agentImage string, bumpRevision int64) map[string]any {
	out := map[string]any{
		"enabled":      true,
		"agentImage":   agentImage,
		"sha256":       r.SHA256,
		"key":          r.Key,
		"bumpRevision": float64(bumpRevision),
	}
	if c := r.Destination.PersistentVolumeClaim; c != nil {
		out["claim"] = c.ClaimName
		return out
	}
	if s := r.Destination.S3; s != nil {
		out["s3"] = map[string]any{
			"endpoint": s.Endpoint, "bucket": s.Bucket, "region": s.Region, "pathStyle": s.PathStyleAddressing(),
			"credentialsSecret": s.CredentialsSecret, "caSecret": s.CASecret,
		}
	}
	return out
}
