package syncapi

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	clientapi "github.com/ocomms/ocomms/clientapi/api"
)

// sharedMembers selects the users joined to a room the user $1 is joined
// to, now.
const sharedMembers = `SELECT b.state_key FROM syncapi_room_state a
	JOIN syncapi_room_state b ON b.room_id = a.room_id AND b.type = 'm.room.member' AND b.membership = 'join' AND b.removed_pos IS NULL
	WHERE a.type = 'm.room.member' AND a.state_key = $1 AND a.membership = 'join' AND a.removed_pos IS NULL`

// presenceSection reports the top-level presence events: the changes in
// (from, to] of the user and of everyone sharing a room with them; on an
// initial sync, and for the members of newly joined rooms, everyone's
// current presence but offline.
//
// https://spec.matrix.org/latest/client-server-api/#presence
func (s *SyncAPI) presenceSection() section {
	return section{
		name:     streamPresence,
		position: func(t *syncToken) *int64 { return &t.Presence },
		add:      s.addPresence,
	}
}

func (s *SyncAPI) addPresence(ctx context.Context, sc *syncContext, from, to int64) error {
	f := &sc.req.filter.Presence
	if !s.cfg.Presence.Enabled || !allows(f.Types, f.NotTypes, "m.presence", true) {
		return nil
	}
	me := sc.req.device.UserID
	rows, err := s.db.Query(ctx, `SELECT user_id, presence, status_msg, last_active_ts, currently_active
		FROM syncapi_presence WHERE stream_pos > $2 AND stream_pos <= $3
		AND ($2 > 0 OR presence <> 'offline')
		AND (user_id = $1 OR user_id IN (`+sharedMembers+`))
		ORDER BY stream_pos`, me, from, to)
	if err != nil {
		return fmt.Errorf("reading presence changes: %w", err)
	}
	seen := map[string]bool{}
	if err := s.appendPresence(sc, rows, seen); err != nil {
		return err
	}
	if from == 0 || len(sc.newlyJoined) == 0 {
		return nil
	}
	// Members of a room joined in the range are new to the user: their
	// presence did not change, but the user has not seen it.
	args := []any{to}
	var marks []string
	for r := range sc.newlyJoined {
		args = append(args, r)
		marks = append(marks, "$"+strconv.Itoa(len(args)))
	}
	rows, err = s.db.Query(ctx, `SELECT user_id, presence, status_msg, last_active_ts, currently_active
		FROM syncapi_presence WHERE stream_pos <= $1 AND presence <> 'offline'
		AND user_id IN (SELECT state_key FROM syncapi_room_state WHERE type = 'm.room.member'
			AND membership = 'join' AND removed_pos IS NULL AND room_id IN (`+strings.Join(marks, ", ")+`))
		ORDER BY stream_pos`, args...)
	if err != nil {
		return fmt.Errorf("reading presence of new room members: %w", err)
	}
	return s.appendPresence(sc, rows, seen)
}

// appendPresence adds an m.presence event per row to the response, once
// per user, within the presence filter's senders and limit.
func (s *SyncAPI) appendPresence(sc *syncContext, rows *sql.Rows, seen map[string]bool) error {
	defer rows.Close()
	f := &sc.req.filter.Presence
	now := time.Now().UnixMilli()
	for rows.Next() {
		var (
			userID, presence string
			statusMsg        sql.NullString
			lastActive       int64
			active           bool
		)
		if err := rows.Scan(&userID, &presence, &statusMsg, &lastActive, &active); err != nil {
			return fmt.Errorf("reading presence: %w", err)
		}
		if seen[userID] || !allows(f.Senders, f.NotSenders, userID, false) {
			continue
		}
		if f.Limit != nil && len(sc.resp.Presence.Events) >= *f.Limit {
			break
		}
		seen[userID] = true
		content := map[string]any{"presence": presence}
		if lastActive > 0 {
			content["last_active_ago"] = max(now-lastActive, 0)
			content["currently_active"] = active && presence == clientapi.PresenceOnline
		}
		if statusMsg.Valid {
			content["status_msg"] = statusMsg.String
		}
		ev, err := json.Marshal(map[string]any{"type": "m.presence", "sender": userID, "content": content})
		if err != nil {
			return fmt.Errorf("encoding m.presence: %w", err)
		}
		sc.resp.Presence.Events = append(sc.resp.Presence.Events, ev)
	}
	return rows.Err()
}
