//go:build e2e

package e2e

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/types"
)

var _ = Describe("The operator restarting", Label("selfheal", "disruptive"), func() {
	It("still converges when its pod is killed right after the apply", Label("operator-kill"), func(ctx SpecContext) {
		ns := fw.NewNamespace(ctx, "opkill")
		ec := newEtcdCluster(ns, "opkill", 3)
		killed := map[types.UID]bool{}
		for _, p := range operatorPods(ctx) {
			killed[p.UID] = true
		}
		Expect(killed).NotTo(BeEmpty())

		t0 := time.Now()
		Expect(k8s.Create(ctx, ec)).To(Succeed())
		killOperator(ctx)
		bound := 5 * time.Minute
		running, healthy, err := awaitCreated(ctx, ec, t0, bound)
		recordOperator(createOperatorKilledRunning, running, bound)
		recordOperator(createOperatorKilledHealthy, healthy, bound)
		Expect(err).NotTo(HaveOccurred(), "3-member cluster created while the operator restarted")

		st := fw.ExpectHealthy(ctx, targetOf(ec))
		Expect(st.Members).To(HaveLen(3))
		expectRunning(ctx, ec, statusBound)
		expectOperatorAvailable(ctx, time.Minute)
		expectOperatorLeading(ctx, time.Minute)
		for _, p := range operatorPods(ctx) {
			Expect(killed).NotTo(HaveKey(p.UID), "operator pod %s survived", p.Name)
		}
	}, SpecTimeout(specTimeout))
})
