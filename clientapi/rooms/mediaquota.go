package rooms

import (
	"context"
	"encoding/json"
)

// RoomMediaQuota refuses an event whose content would take the room past
// its media storage quota; the media component implements it. It is
// asked before the roomserver accepts the event, so an over-quota
// message is never stored.
type RoomMediaQuota interface {
	CheckAttach(ctx context.Context, roomID, eventType string, content json.RawMessage) error
}

// SetRoomMediaQuota plugs in the room media quota. Without one, events
// attach media without limit.
func (r *Rooms) SetRoomMediaQuota(q RoomMediaQuota) { r.mediaQuota = q }

func (r *Rooms) checkMediaQuota(ctx context.Context, roomID, eventType string, content json.RawMessage) error {
	if r.mediaQuota == nil {
		return nil
	}
	return r.mediaQuota.CheckAttach(ctx, roomID, eventType, content)
}
