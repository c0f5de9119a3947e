package etcd

import (
	"context"
	"errors"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// AddLearner adds a non-voting member with peerURL.
func (c *conn) AddLearner(ctx context.Context, peerURL string) error {
	ctx, cancel := c.call(ctx)
	defer cancel()
	_, err := c.cli.MemberAddAsLearner(ctx, []string{peerURL})
	if errors.Is(err, rpctypes.ErrPeerURLExist) || errors.Is(err, rpctypes.ErrMemberExist) {
		return nil
	}
	return err
}

// Promote makes learner id a voting member. etcd refuses while the learner
// is behind; the caller retries on its next pass.
func (c *conn) Promote(ctx context.Context, id uint64) error {
	ctx, cancel := c.call(ctx)
	defer cancel()
	_, err := c.cli.MemberPromote(ctx, id)
	if errors.Is(err, rpctypes.ErrMemberNotLearner) {
		return nil
	}
	return err
}

// Remove removes member id.
func (c *conn) Remove(ctx context.Context, id uint64) error {
	ctx, cancel := c.call(ctx)
	defer cancel()
	_, err := c.cli.MemberRemove(ctx, id)
	if errors.Is(err, rpctypes.ErrMemberNotFound) {
		return nil
	}
	return err
}

// MoveLeader asks the leader, reached at leaderEndpoint, to hand leadership
// to member to. etcd only accepts it from the leader itself, so the call
// goes through a short-lived client pinned to that endpoint, configured
// like every other client of the pool (TLS included).
func (c *conn) MoveLeader(ctx context.Context, leaderEndpoint string, to uint64) error {
	if leaderEndpoint == "" || to == 0 {
		return errors.New("no leader or no healthy member to hand leadership to")
	}
	pinned, err := clientv3.New(c.pool.config([]string{leaderEndpoint}, c.tls))
	if err != nil {
		return err
	}
	defer func() { _ = pinned.Close() }()
	ctx, cancel := c.call(ctx)
	defer cancel()
	_, err = pinned.MoveLeader(ctx, to)
	return err
}

// Nudge has the cluster commit one entry that changes nothing (an alarm
// list goes through raft). A member that joined from a snapshot refuses
// its own proposals ("too many requests") until it applies an entry past
// the snapshot: etcd advances the applied index it checks only on
// entries, not on a snapshot. Until then the member's publish never
// returns and it serves no client, for good on a cluster that receives no
// writes.
func (c *conn) Nudge(ctx context.Context) error {
	ctx, cancel := c.call(ctx)
	defer cancel()
	_, err := c.cli.AlarmList(ctx)
	return err
}
