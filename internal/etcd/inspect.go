package etcd

import (
	"context"
	"fmt"
	"strconv"
	"sync"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Member is one etcd member and what its status call said.
type Member struct {
	ID         uint64
	Name       string
	PeerURLs   []string
	ClientURLs []string
	Learner    bool
	// Reached is true when the member answered its status call.
	Reached   bool
	Leader    bool
	Version   string
	DBSize    int64
	RaftIndex uint64
	// Errors are the member's own errors (alarms) or why it was not reached.
	Errors []string
}

// Healthy is true for a member that answered and reports no errors.
func (m Member) Healthy() bool { return m.Reached && len(m.Errors) == 0 }

// Started is true once the member's etcd has published itself to the
// cluster (its name and client URLs), which a member added by
// MemberAdd has not done until its own etcd has joined.
func (m Member) Started() bool { return len(m.ClientURLs) > 0 }

// Cluster is a snapshot of a cluster as etcd reports it.
type Cluster struct {
	ID       uint64
	LeaderID uint64
	Members  []Member
}

// HexID formats an etcd ID the way etcdctl prints it.
func HexID(id uint64) string { return strconv.FormatUint(id, 16) }

// Inspect lists the members and asks each started member for its status
// (which also carries the member's alarms, such as NOSPACE),
// concurrently, every call bounded by the pool's call timeout. A member
// that does not answer is reported, not treated as an error: the error is
// only for a cluster whose member list cannot be read at all (no quorum, or
// nothing reachable).
//
// statusEndpoint says where to reach a member for its status call; nil
// means the client URL the member advertises.
func Inspect(ctx context.Context, c *clientv3.Client, t Timeouts, statusEndpoint func(Member) string) (*Cluster, error) {
	listCtx, cancel := context.WithTimeout(ctx, t.Call)
	defer cancel()
	list, err := c.MemberList(listCtx)
	if err != nil {
		return nil, fmt.Errorf("listing members: %w", err)
	}
	cl := &Cluster{ID: list.Header.GetClusterId(), Members: make([]Member, len(list.Members))}

	var wg sync.WaitGroup
	for i, m := range list.Members {
		cl.Members[i] = Member{
			ID:         m.ID,
			Name:       m.Name,
			PeerURLs:   m.PeerURLs,
			ClientURLs: m.ClientURLs,
			Learner:    m.IsLearner,
		}
		if !cl.Members[i].Started() {
			// Added but never started: it has no client URL yet.
			cl.Members[i].Errors = append(cl.Members[i].Errors, "not started")
			continue
		}
		endpoint := m.ClientURLs[0]
		if statusEndpoint != nil {
			endpoint = statusEndpoint(cl.Members[i])
		}
		if endpoint == "" {
			cl.Members[i].Errors = append(cl.Members[i].Errors, "no address to reach it at")
			continue
		}
		wg.Add(1)
		go func(member *Member, endpoint string) {
			defer wg.Done()
			statusCtx, cancel := context.WithTimeout(ctx, t.Call)
			defer cancel()
			st, err := c.Status(statusCtx, endpoint)
			if err != nil {
				member.Errors = append(member.Errors, "unreachable: "+err.Error())
				return
			}
			if id := st.Header.GetMemberId(); id != member.ID {
				// The pod runs another member's data: its answer is
				// not this member's.
				member.Errors = append(member.Errors, "its pod runs member "+HexID(id))
				return
			}
			member.Reached = true
			member.Version = st.Version
			member.DBSize = st.DbSize
			member.RaftIndex = st.RaftIndex
			member.Leader = st.Leader == member.ID
			member.Errors = append(member.Errors, st.Errors...)
			if st.Leader == 0 {
				member.Errors = append(member.Errors, "no leader")
			}
		}(&cl.Members[i], endpoint)
	}
	wg.Wait()
	for _, m := range cl.Members {
		if m.Leader {
			cl.LeaderID = m.ID
		}
	}
	return cl, nil
}

// RaftLag is how many raft entries m trails the leader by; 0 when the
// leader is unknown.
func (c *Cluster) RaftLag(m Member) uint64 {
	for _, l := range c.Members {
		if l.ID == c.LeaderID && l.RaftIndex > m.RaftIndex {
			return l.RaftIndex - m.RaftIndex
		}
	}
	return 0
}
