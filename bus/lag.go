package bus

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// ConsumerLag reports, for every durable consumer on this deployment's
// streams, how many messages it has not yet finished: those not yet
// delivered plus those delivered and awaiting acknowledgement. Keys are
// "<stream>/<durable>" without the deployment prefix. Every instance sees
// the same numbers, so a dashboard should take the max, not the sum.
func (b *Bus) ConsumerLag(ctx context.Context) (map[string]uint64, error) {
	lag := make(map[string]uint64)
	names := b.js.StreamNames(ctx, jetstream.WithStreamListSubject(b.names.allSubjects()))
	for name := range names.Name() {
		short, ok := b.names.unstream(name)
		if !ok {
			continue
		}
		stream, err := b.js.Stream(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("consumer lag of stream %s: %w", short, err)
		}
		consumers := stream.ListConsumers(ctx)
		for info := range consumers.Info() {
			// Fan-out subscriptions are ephemeral and start at "now"; their
			// backlog is not work anyone is waiting for.
			if info.Config.Durable == "" {
				continue
			}
			lag[short+"/"+info.Name] = info.NumPending + uint64(info.NumAckPending)
		}
		if err := consumers.Err(); err != nil {
			return nil, fmt.Errorf("consumer lag of stream %s: %w", short, err)
		}
	}
	if err := names.Err(); err != nil {
		return nil, fmt.Errorf("consumer lag: list streams: %w", err)
	}
	return lag, nil
}
