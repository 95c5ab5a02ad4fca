package syncapi

import (
	"context"
	"encoding/json"
)

// pendingTimeline is a room's timeline in the sync being computed whose
// events are formatted once the aggregations of every room are loaded.
type pendingTimeline struct {
	dst    *timeline
	events []*eventRow
	vis    *visibility
}

// deferTimeline has entry's events formatted into dst by formatTimelines.
func (rs *roomSync) deferTimeline(dst *timeline, entry *roomEntry) {
	dst.Events = []json.RawMessage{}
	rs.sc.timelines = append(rs.sc.timelines, pendingTimeline{dst: dst, events: entry.picked, vis: entry.vis})
}

// formatTimelines loads the bundled aggregations of every timeline event of
// the sync, with children up to the sync's position now, in one batch, and
// formats the timelines.
func (s *SyncAPI) formatTimelines(ctx context.Context, sc *syncContext, now int64) error {
	groups := make([]roomEvents, 0, len(sc.timelines))
	for _, p := range sc.timelines {
		if len(p.events) > 0 {
			groups = append(groups, roomEvents{vis: p.vis, events: p.events})
		}
	}
	if err := s.attachBundles(ctx, sc.req.device.UserID, now, groups...); err != nil {
		return err
	}
	fm := newFormatter(sc.req.device.UserID, sc.req.device.DeviceID, sc.req.filter)
	for _, p := range sc.timelines {
		p.dst.Events = fm.events(p.events)
	}
	sc.timelines = nil
	return nil
}
