package syncapi

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math"

	"github.com/ocomms/ocomms/bus"
	clientapi "github.com/ocomms/ocomms/clientapi/api"
	"github.com/ocomms/ocomms/storage"
)

// streamPresence names the presence stream in syncapi_stream_positions.
const streamPresence = "presence"

// presenceConsumer is the durable consumer of presence changes shared by
// every syncapi instance.
const presenceConsumer = "syncapi_presence"

// PresenceTracker is told about every /sync and its set_presence, so the
// user counts as online (or unavailable) while they sync. The client API's
// presence component implements it and keeps the presence itself; this
// component reads the changes back from the bus.
//
// https://spec.matrix.org/latest/client-server-api/#get_matrixclientv3sync
type PresenceTracker interface {
	Synced(ctx context.Context, userID, setPresence string) error
}

// UsePresence makes /sync report each sync to p. Without it, syncs do not
// change anyone's presence (tools and benchmarks that run the sync API
// alone).
func (s *SyncAPI) UsePresence(p PresenceTracker) { s.presence = p }

// synced reports a sync to the presence tracker. Presence is best effort
// next to the sync itself, so a failure is logged, not returned.
func (s *SyncAPI) synced(ctx context.Context, req syncRequest) {
	if s.presence == nil {
		return
	}
	if err := s.presence.Synced(ctx, req.device.UserID, req.setPresence); err != nil && ctx.Err() == nil {
		s.log.Warn("could not record presence of a sync", slog.String("user_id", req.device.UserID), slog.Any("error", err))
	}
}

// handlePresence stores a presence change under the next presence
// position and wakes the syncs of everyone sharing a room with the user.
// A change older than (or the same as) the stored one is a redelivery and
// takes no position.
func (s *SyncAPI) handlePresence(ctx context.Context, m bus.Message) error {
	var p clientapi.Presence
	if err := m.Decode(&p); err != nil {
		return bus.Permanent(err)
	}
	if p.Version != clientapi.PresenceVersion {
		return fmt.Errorf("presence of %s has version %d, this syncapi reads %d", p.UserID, p.Version, clientapi.PresenceVersion)
	}
	var pos int64
	err := s.db.WithTx(ctx, func(ctx context.Context, tx *storage.Tx) error {
		pos = 0
		var serial int64
		err := tx.QueryRow(ctx, `SELECT serial FROM syncapi_presence WHERE user_id = $1`, p.UserID).Scan(&serial)
		switch {
		case err == nil && serial >= p.Serial:
			return nil
		case err != nil && !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("reading presence of %s: %w", p.UserID, err)
		}
		if pos, err = nextPosition(ctx, tx, streamPresence); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO syncapi_presence (user_id, serial, presence, status_msg, last_active_ts, currently_active, stream_pos)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (user_id) DO UPDATE SET serial = excluded.serial, presence = excluded.presence,
				status_msg = excluded.status_msg, last_active_ts = excluded.last_active_ts,
				currently_active = excluded.currently_active, stream_pos = excluded.stream_pos`,
			p.UserID, p.Serial, p.Presence, p.StatusMsg, p.LastActiveTS, p.CurrentlyActive, pos)
		if err != nil {
			return fmt.Errorf("storing presence of %s: %w", p.UserID, err)
		}
		return nil
	})
	if err != nil || pos == 0 {
		return err
	}
	// The rooms the user is joined to now: past the last position.
	rooms, err := s.joinedRoomsAt(ctx, p.UserID, math.MaxInt64)
	if err != nil {
		// The change is stored; syncs still see it by their timeout.
		s.log.Warn("could not find who shares a room with a user whose presence changed", slog.Any("error", err))
	}
	s.wake(ctx, wakeUp{Stream: streamPresence, Position: pos, RoomIDs: rooms, UserIDs: []string{p.UserID}})
	return nil
}
