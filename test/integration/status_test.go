package integration

import (
	"context"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	etcdv1alpha1 "github.com/etcd-operator/etcd-operator/api/v1alpha1"
)

var _ = Describe("Status", func() {
	It("reports each member's advertised URLs and raft lag, and an alarm as the member's error", func(ctx SpecContext) {
		ec := runningCluster(ctx, "alarmed", 3)
		etcdMembers := startedMembers(ec)
		for _, m := range ec.Status.Members {
			Expect(m.PeerURL).To(Equal(etcdMembers.PeerURLOf(m.Name)), m.Name)
			Expect(m.ClientURL).To(Equal(etcdMembers.ClientURLOf(m.Name)), m.Name)
			Expect(m.RaftIndexLag).To(BeNumerically("<", 100), m.Name)
			Expect(m.Errors).To(BeEmpty(), m.Name)
		}

		// A NOSPACE alarm raised on alarmed-1, as etcd raises it when the
		// database reaches its quota.
		cli := etcdClient(ec)
		id := memberIDByName(ctx, cli, "alarmed-1")
		Expect(id).NotTo(BeZero())
		raise(ctx, cli, id, pb.AlarmType_NOSPACE)
		Eventually(func() []string {
			for _, m := range fetch(ctx, ec).Status.Members {
				if m.Name == "alarmed-1" {
					return m.Errors
				}
			}
			return nil
		}, timeout, interval).Should(ContainElement(ContainSubstring("NOSPACE")))
		// etcd reports a raised alarm in every member's status: each member
		// is reported with it, and the cluster Degraded.
		Expect(condition(fetch(ctx, ec), etcdv1alpha1.ConditionDegraded).Status).To(BeEquivalentTo("True"))

		_, err := cli.AlarmDisarm(ctx, &clientv3.AlarmMember{MemberID: id, Alarm: pb.AlarmType_NOSPACE})
		Expect(err).NotTo(HaveOccurred())
		Eventually(func() string {
			for _, m := range fetch(ctx, ec).Status.Members {
				if len(m.Errors) > 0 {
					return m.Name + ": " + strings.Join(m.Errors, "; ")
				}
			}
			return ""
		}, timeout, interval).Should(BeEmpty(), "the disarmed alarm is still reported")
	})
})

// raise activates alarm on member id, through etcd's Maintenance API.
func raise(ctx context.Context, cli *clientv3.Client, id uint64, alarm pb.AlarmType) {
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, err := pb.NewMaintenanceClient(cli.ActiveConnection()).Alarm(cctx,
		&pb.AlarmRequest{Action: pb.AlarmRequest_ACTIVATE, MemberID: id, Alarm: alarm})
	Expect(err).NotTo(HaveOccurred())
}
