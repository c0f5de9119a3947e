// Package apply makes live objects match what the chart rendered, with
// server-side apply, and only talks to the API server when they differ.
package apply

import (
	"context"
	"fmt"
	"reflect"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// FieldOwner is the server-side apply field manager of the operator.
const FieldOwner = client.FieldOwner("etcd-operator")

// Applier applies rendered objects owned by one custom resource.
type Applier struct {
	// Client reads from the manager's cache, which holds only the objects
	// the operator labels as its own.
	Client client.Client
	// Live reads from the API server: an object missing from the cache may
	// exist without the operator's label, and must not be taken over.
	Live   client.Reader
	Scheme *runtime.Scheme
}

// ForeignObjectError is an object the chart would render that exists and
// is not controlled by the owner: it is never changed, owned or deleted.
type ForeignObjectError struct {
	Kind, Name string
	// Controller names its controller, "" when it has none.
	Controller string
}

func (e *ForeignObjectError) Error() string {
	if e.Controller == "" {
		return fmt.Sprintf("%s %s exists and is not managed by this EtcdCluster: rename one of them or delete it", e.Kind, e.Name)
	}
	return fmt.Sprintf("%s %s exists and is controlled by %s: rename one of them", e.Kind, e.Name, e.Controller)
}

// Result tells what Apply did.
type Result struct {
	// Applied lists "Kind/name" of objects that were created or corrected.
	Applied []string
}

// Apply sets owner as the controller of each object and applies the ones
// that are missing or whose live state lost part of what was rendered.
// Fields other managers added (defaults, status, annotations) are left alone.
func (a *Applier) Apply(ctx context.Context, owner client.Object, objs []*unstructured.Unstructured) (Result, error) {
	var res Result
	gvk, err := a.Client.GroupVersionKindFor(owner)
	if err != nil {
		return res, err
	}
	ownerRef := metav1.OwnerReference{
		APIVersion:         gvk.GroupVersion().String(),
		Kind:               gvk.Kind,
		Name:               owner.GetName(),
		UID:                owner.GetUID(),
		Controller:         new(true),
		BlockOwnerDeletion: new(true),
	}
	for _, obj := range objs {
		obj.SetOwnerReferences([]metav1.OwnerReference{ownerRef})
		same, err := a.matchesLive(ctx, owner, obj)
		if err != nil {
			return res, err
		}
		if same {
			continue
		}
		if err := a.Client.Apply(ctx, client.ApplyConfigurationFromUnstructured(obj), FieldOwner, client.ForceOwnership); err != nil {
			return res, fmt.Errorf("applying %s %s: %w", obj.GetKind(), obj.GetName(), err)
		}
		res.Applied = append(res.Applied, obj.GetKind()+"/"+obj.GetName())
	}
	return res, nil
}

// matchesLive reads the live object from the informer cache (as its typed
// form, which the manager caches) and reports whether it already holds every
// rendered field with the rendered value.
func (a *Applier) matchesLive(ctx context.Context, owner client.Object, want *unstructured.Unstructured) (bool, error) {
	typed, err := a.Scheme.New(want.GroupVersionKind())
	if err != nil {
		return false, err
	}
	live, ok := typed.(client.Object)
	if !ok {
		return false, fmt.Errorf("%s is not an object kind", want.GroupVersionKind())
	}
	err = a.Client.Get(ctx, client.ObjectKeyFromObject(want), live)
	if apierrors.IsNotFound(err) {
		return false, a.absentLive(ctx, owner, want)
	}
	if err != nil {
		return false, err
	}
	// Never take over what is not ours, labeled or not.
	if err := OwnedBy(owner, want.GetKind(), live); err != nil {
		return false, err
	}
	have, err := runtime.DefaultUnstructuredConverter.ToUnstructured(live)
	if err != nil {
		return false, err
	}
	return Contains(have, want.Object), nil
}

// absentLive checks with the API server that an object the cache does not
// hold does not exist either: one without the operator's label is not in
// the cache. Only its metadata is read, and only on a cache miss (at
// creation), so a settled cluster costs no API read.
func (a *Applier) absentLive(ctx context.Context, owner client.Object, want *unstructured.Unstructured) error {
	return AbsentLive(ctx, a.Live, owner, want.GroupVersionKind(), client.ObjectKeyFromObject(want))
}

// AbsentLive checks, through live (nil: no check), that the object of gvk
// at key, which the cache does not hold, is not someone else's: a
// ForeignObjectError if it exists and owner does not control it. Only its
// metadata is read.
func AbsentLive(ctx context.Context, live client.Reader, owner client.Object, gvk schema.GroupVersionKind, key client.ObjectKey) error {
	if live == nil {
		return nil
	}
	meta := &metav1.PartialObjectMetadata{}
	meta.SetGroupVersionKind(gvk)
	err := live.Get(ctx, key, meta)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	return OwnedBy(owner, gvk.Kind, meta)
}

// OwnedBy is a ForeignObjectError unless owner controls obj.
func OwnedBy(owner client.Object, kind string, obj metav1.Object) error {
	if ref := metav1.GetControllerOf(obj); ref == nil || ref.UID != owner.GetUID() {
		e := &ForeignObjectError{Kind: kind, Name: obj.GetName()}
		if ref != nil {
			e.Controller = ref.Kind + " " + ref.Name
		}
		return e
	}
	return nil
}

// Contains reports whether every field of want is in have with an equal
// value; maps are compared key by key, lists element by element (same
// length), scalars after JSON number normalisation.
func Contains(have, want any) bool {
	switch w := want.(type) {
	case map[string]any:
		h, ok := have.(map[string]any)
		if !ok {
			return false
		}
		for k, wv := range w {
			hv, ok := h[k]
			if !ok {
				if isEmpty(wv) {
					continue
				}
				return false
			}
			if !Contains(hv, wv) {
				return false
			}
		}
		return true
	case []any:
		h, ok := have.([]any)
		if !ok || len(h) != len(w) {
			return isEmpty(w) && have == nil
		}
		for i := range w {
			if !Contains(h[i], w[i]) {
				return false
			}
		}
		return true
	default:
		return scalarEqual(have, want)
	}
}

// isEmpty is true for values the API server drops when it stores an
// object (empty maps and lists, nulls).
func isEmpty(v any) bool {
	switch t := v.(type) {
	case nil:
		return true
	case map[string]any:
		return len(t) == 0
	case []any:
		return len(t) == 0
	}
	return false
}

func scalarEqual(a, b any) bool {
	if af, ok := toFloat(a); ok {
		bf, ok := toFloat(b)
		return ok && af == bf
	}
	return reflect.DeepEqual(a, b)
}

func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case int64:
		return float64(n), true
	case int32:
		return float64(n), true
	case int:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

// GVKs lists the distinct kinds in objs.
func GVKs(objs []*unstructured.Unstructured) []schema.GroupVersionKind {
	seen := map[schema.GroupVersionKind]bool{}
	var out []schema.GroupVersionKind
	for _, o := range objs {
		gvk := o.GroupVersionKind()
		if !seen[gvk] {
			seen[gvk] = true
			out = append(out, gvk)
		}
	}
	return out
}
