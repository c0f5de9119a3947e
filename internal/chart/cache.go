package chart

import (
	"crypto/sha256"
	"encoding/json"
	"sync"
	"sync/atomic"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Cache remembers the last render of each release, so that a reconcile
// whose values did not change skips Helm's template engine, which is most
// of a no-op reconcile's cost.
type Cache struct {
	renderer *Renderer

	mu      sync.Mutex
	entries map[Release]cached
	// renders counts the renders that went through Helm.
	renders atomic.Int64
}

type cached struct {
	sum  [sha256.Size]byte
	objs []*unstructured.Unstructured
}

// NewCache returns a cache in front of r.
func NewCache(r *Renderer) *Cache {
	return &Cache{renderer: r, entries: map[Release]cached{}}
}

// Render returns copies of the objects for rel and values, rendering only
// when the values differ from the last render of rel.
func (c *Cache) Render(rel Release, values map[string]any) ([]*unstructured.Unstructured, error) {
	data, err := json.Marshal(values)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	c.mu.Lock()
	e, ok := c.entries[rel]
	c.mu.Unlock()
	if !ok || e.sum != sum {
		c.renders.Add(1)
		objs, err := c.renderer.Render(rel, values)
		if err != nil {
			return nil, err
		}
		e = cached{sum: sum, objs: objs}
		c.mu.Lock()
		c.entries[rel] = e
		c.mu.Unlock()
	}
	out := make([]*unstructured.Unstructured, len(e.objs))
	for i, o := range e.objs {
		out[i] = o.DeepCopy()
	}
	return out, nil
}

// Renders is how many renders went through Helm's engine (cache misses).
func (c *Cache) Renders() int64 { return c.renders.Load() }

// Forget drops the render of a deleted release.
func (c *Cache) Forget(rel Release) {
	c.mu.Lock()
	delete(c.entries, rel)
	c.mu.Unlock()
}
