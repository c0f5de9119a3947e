package controller

import (
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/etcd-operator/etcd-operator/internal/certs"
)

// certCache keeps, per cluster, the certificates parsed from the Secrets
// at their resource versions and until when they need no look: a pass
// that finds the same Secrets parses, verifies and signs nothing.
type certCache struct {
	mu      sync.Mutex
	entries map[types.NamespacedName]certEntry
}

type certEntry struct {
	versions string
	set      certs.Set
	// quietUntil: the set was checked and nothing is due before then.
	quietUntil time.Time
}

// versionsOf identifies the Secrets read: kind, UID and resource version.
func versionsOf(secrets map[certs.Kind]*corev1.Secret) string {
	var b strings.Builder
	for _, k := range certs.All {
		if s, ok := secrets[k]; ok {
			b.WriteString(string(k) + "=" + string(s.UID) + "/" + s.ResourceVersion + ";")
		}
	}
	return b.String()
}

// lookup is the cached entry of key if it was made from versions.
func (c *certCache) lookup(key types.NamespacedName, versions string) (certEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	return e, ok && e.versions == versions
}

func (c *certCache) store(key types.NamespacedName, e certEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[types.NamespacedName]certEntry{}
	}
	c.entries[key] = e
}

func (c *certCache) forget(key types.NamespacedName) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, key)
}
