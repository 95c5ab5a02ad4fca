package mediaapi

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"

	"github.com/ocomms/ocomms/bus"
	"github.com/ocomms/ocomms/roomserver/api"
	"github.com/ocomms/ocomms/storage"
)

// Uploads are not tied to a room in Matrix: a room "holds" the media its
// events refer to. The component learns those references by consuming
// the roomserver's output stream into mediaapi_room_media (one row per
// event and local media it names), and a room's usage is the total size
// of the distinct local media referenced there (roomquota.go). Encrypted
// events hide their references, so media sent in encrypted rooms is not
// counted: the server cannot see it.

// roomMediaConsumer is the durable consumer every instance shares.
const roomMediaConsumer = "mediaapi_room_media"

// maxRefsPerEvent bounds the references taken from one event; the fields
// read below cannot name more.
const maxRefsPerEvent = 8

// mediaContent is the part of an event's content that names media:
// m.image, m.file, m.video, m.audio and m.sticker messages (url, or file
// for encrypted attachments, and their thumbnails), m.room.avatar (url),
// and the replacement content of an edit. Member events' avatar_url is
// the user's profile picture, which belongs to no room, so it is not read.
type mediaContent struct {
	URL  string        `json:"url"`
	File *encryptedRef `json:"file"`
	Info *struct {
		ThumbnailURL  string        `json:"thumbnail_url"`
		ThumbnailFile *encryptedRef `json:"thumbnail_file"`
	} `json:"info"`
	NewContent *mediaContent `json:"m.new_content"`
}

type encryptedRef struct {
	URL string `json:"url"`
}

// localMediaRefs returns the distinct IDs of media of this server that
// the content of an event of type evType names.
func (m *MediaAPI) localMediaRefs(evType string, content json.RawMessage) []string {
	if evType == "m.room.member" || len(content) == 0 {
		return nil
	}
	var c mediaContent
	if err := json.Unmarshal(content, &c); err != nil {
		// Content with fields of unexpected types names no media we
		// could count; the event itself is the roomserver's concern.
		return nil
	}
	var uris []string
	for cur, depth := &c, 0; cur != nil && depth < 2; cur, depth = cur.NewContent, depth+1 {
		uris = append(uris, cur.URL)
		if cur.File != nil {
			uris = append(uris, cur.File.URL)
		}
		if cur.Info != nil {
			uris = append(uris, cur.Info.ThumbnailURL)
			if cur.Info.ThumbnailFile != nil {
				uris = append(uris, cur.Info.ThumbnailFile.URL)
			}
		}
	}
	var ids []string
	seen := map[string]bool{}
	for _, uri := range uris {
		rest, ok := strings.CutPrefix(uri, "mxc://")
		server, mediaID, ok2 := strings.Cut(rest, "/")
		if !ok || !ok2 || server != m.cfg.ServerName || !validMediaID(mediaID) || seen[mediaID] {
			continue
		}
		seen[mediaID] = true
		ids = append(ids, mediaID)
	}
	if len(ids) > maxRefsPerEvent {
		ids = ids[:maxRefsPerEvent]
	}
	return ids
}

// consumeRoomEvents joins the shared consumer of the roomserver's output.
// Delivery is ordered so a redaction is applied after the event it
// redacts.
func (m *MediaAPI) consumeRoomEvents(ctx context.Context) (bus.Subscription, error) {
	return m.bus.Consume(ctx, api.OutputStream, roomMediaConsumer, m.handleRoomEvent,
		bus.WithFilterSubjects(api.OutputSubject), bus.WithOrderedDelivery())
}

// handleRoomEvent records the local media an accepted event names, and
// forgets those of the event a redaction removed: redacting a message
// frees its media from the room's quota. Redelivery is harmless: the
// rows are keyed by event.
func (m *MediaAPI) handleRoomEvent(ctx context.Context, msg bus.Message) error {
	var oe api.OutputEvent
	if err := msg.Decode(&oe); err != nil {
		return bus.Permanent(err)
	}
	if oe.Version != api.OutputEventVersion {
		// A newer roomserver during a rolling upgrade: leave it for an
		// upgraded instance rather than misread it.
		return fmt.Errorf("output event %s has version %d, this mediaapi reads %d", oe.EventID, oe.Version, api.OutputEventVersion)
	}
	var ev struct {
		Type    string          `json:"type"`
		Content json.RawMessage `json:"content"`
	}
	if err := json.Unmarshal(oe.Event, &ev); err != nil {
		return bus.Permanent(fmt.Errorf("output event %s: %w", oe.EventID, err))
	}
	refs := m.localMediaRefs(ev.Type, ev.Content)
	if len(refs) == 0 && oe.RedactsEventID == "" {
		return nil
	}
	err := m.db.WithTx(ctx, func(ctx context.Context, tx *storage.Tx) error {
		if oe.RedactsEventID != "" {
			if _, err := tx.Exec(ctx, `DELETE FROM mediaapi_room_media WHERE room_id = $1 AND event_id = $2`,
				oe.RoomID, oe.RedactsEventID); err != nil {
				return err
			}
		}
		for _, mediaID := range refs {
			if _, err := tx.Exec(ctx, `INSERT INTO mediaapi_room_media (room_id, event_id, media_id) VALUES ($1, $2, $3)
				ON CONFLICT DO NOTHING`, oe.RoomID, oe.EventID, mediaID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("recording media of event %s: %w", oe.EventID, err)
	}
	if len(refs) > 0 {
		m.log.DebugContext(ctx, "media referenced in room", slog.String("room_id", oe.RoomID), slog.Int("count", len(refs)))
	}
	return nil
}
