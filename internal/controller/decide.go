package controller

import (
	"time"

	"github.com/etcd-operator/etcd-operator/internal/membership"
)

const (
	// maxLearnerLag is how many raft entries a learner may trail the leader
	// by and still be promoted.
	maxLearnerLag = 1000
	// learnerStartGrace is how long a learner's pod may run etcd before,
	// the learner still not started, the pod gets fresh storage. A learner
	// publishes itself within seconds (a lost publish is retried after
	// about 7 s); an etcd up for a minute without it runs other data.
	learnerStartGrace = time.Minute
)

// decide is the membership step for what the pass read: pure.
func decide(p *pass) membership.Step {
	if p.ec.Spec.Paused {
		return membership.Step{}
	}
	return membership.Plan(planInput(p))
}

// planInput is the planner's view of the pass.
func planInput(p *pass) membership.Input {
	return membership.Input{
		Namer:             p.namer,
		Size:              p.ec.Spec.Size,
		Replicas:          p.replicas,
		Formed:            p.formed,
		Cluster:           p.cluster,
		KnownMembers:      statusMemberNames(p.ec),
		DataLost:          dataLost(p, p.data),
		RemovedData:       removedData(p.pods),
		EtcdUp:            etcdUp(p.pods, p.now),
		LearnerStartGrace: learnerStartGrace,
		Lingering:         lingering(p),
		Claims:            liveClaims(p),
		MaxLearnerLag:     maxLearnerLag,
	}
}
