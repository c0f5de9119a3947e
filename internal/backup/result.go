// Package backup holds the pure decisions of backups and restores: object
// names, which member to stream from, what an EtcdBackup does next, which
// snapshots retention keeps, and the report its pod leaves behind.
package backup

import (
	"encoding/json"
	"fmt"
)

// Result is what the backup agent reports through its container's
// termination message: the snapshot it wrote, or why it wrote none.
type Result struct {
	// Reason is empty on success, otherwise one of the EtcdBackup reasons
	// (ClaimFull, BucketNotFound, AccessDenied, EtcdUnavailable, ...).
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`

	SizeBytes int64  `json:"sizeBytes,omitempty"`
	SHA256    string `json:"sha256,omitempty"`
	Revision  int64  `json:"revision,omitempty"`
	Version   string `json:"version,omitempty"`
	ClusterID string `json:"clusterID,omitempty"`
	Member    string `json:"member,omitempty"`
}

// maxMessage keeps a report under the kubelet's 4096-byte limit of a
// termination message, which would otherwise cut the JSON.
const maxMessage = 2048

// Encode is the termination message of r.
func (r Result) Encode() []byte {
	if len(r.Message) > maxMessage {
		r.Message = r.Message[:maxMessage] + "..."
	}
	data, _ := json.Marshal(r) // a struct of strings and numbers always encodes
	return data
}

// Decode reads a termination message written by Encode.
func Decode(message string) (Result, error) {
	var r Result
	if err := json.Unmarshal([]byte(message), &r); err != nil {
		return Result{}, fmt.Errorf("the backup pod's report is not JSON: %w", err)
	}
	return r, nil
}
