package etcd

import (
	"context"
	"crypto/tls"
	"fmt"
	"sync"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/etcd-operator/etcd-operator/internal/etcdstate"
)

// conn is the Pool's Client of one cluster.
type conn struct {
	cli       *clientv3.Client
	pool      *Pool
	tls       *tls.Config
	endpoints []string
}

var _ Client = (*conn)(nil)

// call bounds one request by the call timeout.
func (c *conn) call(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, c.pool.timeouts.Call)
}

// Inspect lists the members and asks each started member for its status
// (which also carries the member's alarms, such as NOSPACE), concurrently.
func (c *conn) Inspect(ctx context.Context, statusEndpoint func(etcdstate.Member) string) (*etcdstate.Cluster, error) {
	listCtx, cancel := c.call(ctx)
	defer cancel()
	list, err := c.cli.MemberList(listCtx)
	if err != nil {
		return nil, fmt.Errorf("listing members: %w", err)
	}
	cl := &etcdstate.Cluster{ID: list.Header.GetClusterId(), Members: make([]etcdstate.Member, len(list.Members))}
	var wg sync.WaitGroup
	for i, m := range list.Members {
		member := &cl.Members[i]
		*member = etcdstate.Member{ID: m.ID, Name: m.Name, PeerURLs: m.PeerURLs, ClientURLs: m.ClientURLs, Learner: m.IsLearner}
		if !member.Started() {
			// Added but never started: it has no client URL yet.
			member.Errors = append(member.Errors, "not started")
			continue
		}
		endpoint := m.ClientURLs[0]
		if statusEndpoint != nil {
			endpoint = statusEndpoint(*member)
		}
		if endpoint == "" {
			member.Errors = append(member.Errors, "no address to reach it at")
			continue
		}
		wg.Go(func() { c.status(ctx, member, endpoint) })
	}
	wg.Wait()
	for _, m := range cl.Members {
		if m.Leader {
			cl.LeaderID = m.ID
		}
	}
	return cl, nil
}

// status fills member from its status call at endpoint.
func (c *conn) status(ctx context.Context, member *etcdstate.Member, endpoint string) {
	ctx, cancel := c.call(ctx)
	defer cancel()
	st, err := c.cli.Status(ctx, endpoint)
	if err != nil {
		member.Errors = append(member.Errors, "unreachable: "+err.Error())
		return
	}
	if id := st.Header.GetMemberId(); id != member.ID {
		// The pod runs another member's data: its answer is not this member's.
		member.Errors = append(member.Errors, "its pod runs member "+etcdstate.HexID(id))
		return
	}
	member.Reached = true
	member.Version = st.Version
	member.DBSize = st.DbSize
	member.DBSizeInUse = st.DbSizeInUse
	member.RaftIndex = st.RaftIndex
	member.Revision = st.Header.GetRevision()
	member.Leader = st.Leader == member.ID
	member.Errors = append(member.Errors, st.Errors...)
	if st.Leader == 0 {
		member.Errors = append(member.Errors, "no leader")
	}
}
