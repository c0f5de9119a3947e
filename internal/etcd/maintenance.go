package etcd

import (
	"context"
	"errors"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// maintenance bounds a compaction or defragmentation.
func (c *conn) maintenance(ctx context.Context) (context.Context, context.CancelFunc) {
	d := c.pool.timeouts.Maintenance
	if d <= 0 {
		d = DefaultTimeouts.Maintenance
	}
	return context.WithTimeout(ctx, d)
}

// Compact compacts the history up to revision. Physical: the call returns
// once the members' databases have let the old revisions go, so the next
// status call reports the space in use after it.
func (c *conn) Compact(ctx context.Context, revision int64) error {
	ctx, cancel := c.maintenance(ctx)
	defer cancel()
	_, err := c.cli.Compact(ctx, revision, clientv3.WithCompactPhysical())
	if errors.Is(err, rpctypes.ErrCompacted) {
		return nil
	}
	return err
}

// Defragment defragments the member reached at endpoint.
func (c *conn) Defragment(ctx context.Context, endpoint string) error {
	ctx, cancel := c.maintenance(ctx)
	defer cancel()
	_, err := c.cli.Defragment(ctx, endpoint)
	return err
}

// Disarm clears every raised alarm of type alarm, member by member.
func (c *conn) Disarm(ctx context.Context, alarm string) error {
	typ, ok := pb.AlarmType_value[alarm]
	if !ok {
		return errors.New("unknown alarm " + alarm)
	}
	ctx, cancel := c.call(ctx)
	defer cancel()
	list, err := c.cli.AlarmList(ctx)
	if err != nil {
		return err
	}
	for _, a := range list.Alarms {
		if a.Alarm != pb.AlarmType(typ) {
			continue
		}
		if _, err := c.cli.AlarmDisarm(ctx, &clientv3.AlarmMember{MemberID: a.MemberID, Alarm: a.Alarm}); err != nil {
			return err
		}
	}
	return nil
}
