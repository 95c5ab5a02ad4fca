package mediaapi

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/spec/errcode"
	"github.com/ocomms/ocomms/spec/id"
)

// Room media quotas bound the total size of the distinct local media a
// room's events refer to (see roomrefs.go for how references are
// learnt). The quota is checked when a client sends an event, before the
// roomserver accepts it (CheckAttach, called by the client API), against
// the usage recorded so far: events being sent at the same instant are
// not yet counted, so a room may overshoot by their media.

// roomQuotaInfo is a room's quota as the admin API shows it.
type roomQuotaInfo struct {
	RoomID string `json:"room_id"`
	// MaxBytes is the quota in force, 0 for unlimited; Custom says an
	// admin set it rather than media.default_room_quota_bytes.
	MaxBytes   int64 `json:"max_bytes"`
	Custom     bool  `json:"custom"`
	UsedBytes  int64 `json:"used_bytes"`
	MediaCount int64 `json:"media_count"`
}

func (m *MediaAPI) roomQuota(ctx context.Context, roomID string) (roomQuotaInfo, error) {
	info := roomQuotaInfo{RoomID: roomID}
	var err error
	if info.MaxBytes, info.Custom, err = m.roomLimit(ctx, roomID); err != nil {
		return info, err
	}
	info.UsedBytes, info.MediaCount, err = m.roomUsage(ctx, roomID)
	return info, err
}

// roomLimit is the room's quota in force, 0 for unlimited, and whether
// an admin set it.
func (m *MediaAPI) roomLimit(ctx context.Context, roomID string) (maxBytes int64, custom bool, err error) {
	err = m.db.QueryRow(ctx, `SELECT max_bytes FROM mediaapi_room_quotas WHERE room_id = $1`, roomID).Scan(&maxBytes)
	switch {
	case err == nil:
		return maxBytes, true, nil
	case errors.Is(err, sql.ErrNoRows):
		return m.cfg.Media.DefaultRoomQuotaBytes, false, nil
	}
	return 0, false, fmt.Errorf("reading room media quota: %w", err)
}

// roomUsage is the total size and count of the distinct local media the
// room's events refer to. Media deleted by an admin or by retention no
// longer counts.
func (m *MediaAPI) roomUsage(ctx context.Context, roomID string) (usedBytes, count int64, err error) {
	err = m.db.QueryRow(ctx, `SELECT COALESCE(SUM(size), 0), COUNT(*) FROM mediaapi_media
		WHERE origin = $1 AND media_id IN (SELECT media_id FROM mediaapi_room_media WHERE room_id = $2)`,
		m.cfg.ServerName, roomID).Scan(&usedBytes, &count)
	if err != nil {
		return 0, 0, fmt.Errorf("reading room media usage: %w", err)
	}
	return usedBytes, count, nil
}

// CheckAttach refuses, with 403 M_FORBIDDEN, an event of type evType
// whose content would attach local media to roomID past the room's
// quota. Media the room already refers to costs nothing, and neither do
// events without media, so a full room can still talk.
//
// M_FORBIDDEN is what the spec answers for an upload over quota;
// M_RESOURCE_LIMIT_EXCEEDED is for limits of the whole server (and
// needs an admin_contact) and M_USER_LIMIT_EXCEEDED for limits of the
// user's account, while this limit is the room's.
func (m *MediaAPI) CheckAttach(ctx context.Context, roomID, evType string, content json.RawMessage) error {
	refs := m.localMediaRefs(evType, content)
	if len(refs) == 0 {
		return nil
	}
	maxBytes, _, err := m.roomLimit(ctx, roomID)
	if err != nil || maxBytes == 0 {
		return err
	}
	var added int64
	for _, mediaID := range refs {
		var size int64
		err := m.db.QueryRow(ctx, `SELECT size FROM mediaapi_media WHERE origin = $1 AND media_id = $2
			AND NOT EXISTS (SELECT 1 FROM mediaapi_room_media WHERE room_id = $3 AND media_id = $2)`,
			m.cfg.ServerName, mediaID, roomID).Scan(&size)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("reading media size: %w", err)
		}
		added += size
	}
	if added == 0 {
		// Media the room already refers to, or none of ours: the
		// room's usage need not be summed.
		return nil
	}
	used, _, err := m.roomUsage(ctx, roomID)
	if err != nil {
		return err
	}
	if used+added > maxBytes {
		return errcode.Forbidden(fmt.Sprintf("Room media quota exceeded: this event attaches %d bytes of media, %d of the room's %d bytes are used",
			added, used, maxBytes))
	}
	return nil
}

// The room quota admin API. Synapse has no room media quota, so it
// lives under this server's admin prefix.
func (m *MediaAPI) registerRoomQuota(r *mux.Router) {
	m.mountQuota(r, quotaEndpoint{
		path: "/_ocomms/admin/v1/rooms/{roomId}/media_quota",
		key:  roomParam, table: "mediaapi_room_quotas", column: "room_id",
		show: func(ctx context.Context, roomID string) (any, error) { return m.roomQuota(ctx, roomID) },
	})
}

func roomParam(r *http.Request) (string, error) {
	roomID := httpapi.Vars(r)["roomId"]
	if _, err := id.ParseRoomID(roomID); err != nil {
		return "", errcode.InvalidParam(fmt.Sprintf("%q is not a room ID", roomID))
	}
	return roomID, nil
}
