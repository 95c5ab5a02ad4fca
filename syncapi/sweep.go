package syncapi

import (
	"context"
	"log/slog"
	"time"
)

// sweep prunes what clients no longer need, once at start and then every
// sync.sweep_interval, until ctx ends. Every instance runs it: each
// delete removes only rows that are past keeping whoever looks, so two
// instances sweeping at once only repeat work.
func (s *SyncAPI) sweep(ctx context.Context) {
	tick := time.NewTicker(s.cfg.Sync.SweepInterval)
	defer tick.Stop()
	for {
		now := time.Now()
		if n, err := s.pruneNotifications(ctx, now.Add(-s.cfg.Sync.NotificationRetention).UnixMilli()); err != nil {
			if ctx.Err() != nil {
				return
			}
			s.log.Warn("pruning read notifications", slog.Any("error", err))
		} else if n > 0 {
			s.log.Info("pruned read notifications", slog.Int64("rows", n))
		}
		if n, err := s.sweepToDevice(ctx, now.Add(-s.cfg.Sync.ToDeviceRetention).UnixMilli()); err != nil {
			if ctx.Err() != nil {
				return
			}
			s.log.Warn("sweeping to-device messages of missing devices", slog.Any("error", err))
		} else if n > 0 {
			s.log.Info("swept to-device messages of missing devices", slog.Int64("rows", n))
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
