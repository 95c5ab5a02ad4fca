package syncapi

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/ocomms/ocomms/spec/errcode"
	"github.com/ocomms/ocomms/storage"
)

// A sliding sync connection (user, device, conn_id) remembers, in
// syncapi's tables, which rooms it sent and up to which room stream
// position: that makes `initial` right and lets a room that left the
// window and comes back get only what it missed. The state is versioned by
// connection position, the first part of pos ("7/s42_3"): a client that
// retries with its last pos (the response was lost) sees the rooms as they
// were at that pos, not as the lost response left them. Any instance
// serves any pos, as nothing lives in memory.

// streamSlidingSync is the counter of connection positions in
// syncapi_stream_positions; one counter for all connections makes every
// position name one response of one connection.
const streamSlidingSync = "sliding_sync"

type ssConnKey struct{ userID, deviceID, connID string }

// ssPos is a parsed pos: the connection position and the streams' token.
type ssPos struct {
	conn int64
	tok  syncToken
}

func (p ssPos) String() string { return strconv.FormatInt(p.conn, 10) + "/" + p.tok.String() }

func parseSSPos(s string) (ssPos, error) {
	c, t, ok := strings.Cut(s, "/")
	n, err := strconv.ParseInt(c, 10, 64)
	if !ok || err != nil || n <= 0 {
		return ssPos{}, errcode.UnknownPos(fmt.Sprintf("unknown pos %q", s))
	}
	tok, err := parseSyncToken(t)
	if err != nil {
		return ssPos{}, errcode.UnknownPos(fmt.Sprintf("unknown pos %q", s))
	}
	return ssPos{conn: n, tok: tok}, nil
}

// sentRoom is what the connection sent of a room: events up to roomPos,
// with that timeline limit and required_state.
type sentRoom struct {
	roomPos       int64
	timelineLimit int
	stateSig      string
}

// openConnection returns the rooms the connection had sent as of pos, and
// forgets what responses after pos recorded (the client never processed
// them) and what pos superseded. Without pos the connection starts again.
// A pos this user's device was not given answers M_UNKNOWN_POS.
func (s *SyncAPI) openConnection(ctx context.Context, k ssConnKey, pos *ssPos) (map[string]sentRoom, error) {
	sent := map[string]sentRoom{}
	keyArgs := []any{k.userID, k.deviceID, k.connID}
	const keyWhere = `user_id = $1 AND device_id = $2 AND conn_id = $3`
	err := s.db.WithTx(ctx, func(ctx context.Context, tx *storage.Tx) error {
		clear(sent)
		if pos == nil {
			for _, t := range []string{"syncapi_sliding_sync_rooms", "syncapi_sliding_sync_positions"} {
				if _, err := tx.Exec(ctx, `DELETE FROM `+t+` WHERE `+keyWhere, keyArgs...); err != nil {
					return fmt.Errorf("resetting a sliding sync connection: %w", err)
				}
			}
			return nil
		}
		args := append(keyArgs, pos.conn)
		var one int
		err := tx.QueryRow(ctx, `SELECT 1 FROM syncapi_sliding_sync_positions WHERE `+keyWhere+` AND pos = $4`, args...).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return errcode.UnknownPos("unknown or expired pos: start the connection again without pos")
		}
		if err != nil {
			return fmt.Errorf("reading a sliding sync position: %w", err)
		}
		for _, q := range []string{
			`DELETE FROM syncapi_sliding_sync_positions WHERE ` + keyWhere + ` AND pos <> $4`,
			`DELETE FROM syncapi_sliding_sync_rooms WHERE ` + keyWhere + ` AND conn_pos > $4`,
			`DELETE FROM syncapi_sliding_sync_rooms WHERE ` + keyWhere + ` AND conn_pos < (SELECT MAX(n.conn_pos)
				FROM syncapi_sliding_sync_rooms n WHERE n.user_id = $1 AND n.device_id = $2 AND n.conn_id = $3
				AND n.room_id = syncapi_sliding_sync_rooms.room_id AND n.conn_pos <= $4)`,
		} {
			if _, err := tx.Exec(ctx, q, args...); err != nil {
				return fmt.Errorf("pruning a sliding sync connection: %w", err)
			}
		}
		rows, err := tx.Query(ctx, `SELECT room_id, room_pos, timeline_limit, state_sig FROM syncapi_sliding_sync_rooms
			WHERE `+keyWhere, keyArgs...)
		if err != nil {
			return fmt.Errorf("reading a sliding sync connection: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var roomID string
			var r sentRoom
			if err := rows.Scan(&roomID, &r.roomPos, &r.timelineLimit, &r.stateSig); err != nil {
				return fmt.Errorf("reading a sliding sync connection: %w", err)
			}
			sent[roomID] = r
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return sent, nil
}

// recordSent takes a new connection position and stores under it the
// rooms the response sends.
func (s *SyncAPI) recordSent(ctx context.Context, k ssConnKey, sent map[string]sentRoom) (int64, error) {
	var pos int64
	err := s.db.WithTx(ctx, func(ctx context.Context, tx *storage.Tx) error {
		var err error
		if pos, err = nextPosition(ctx, tx, streamSlidingSync); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO syncapi_sliding_sync_positions (user_id, device_id, conn_id, pos) VALUES ($1, $2, $3, $4)`,
			k.userID, k.deviceID, k.connID, pos); err != nil {
			return fmt.Errorf("storing a sliding sync position: %w", err)
		}
		for roomID, r := range sent {
			if _, err := tx.Exec(ctx, `INSERT INTO syncapi_sliding_sync_rooms
				(user_id, device_id, conn_id, room_id, conn_pos, room_pos, timeline_limit, state_sig) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
				k.userID, k.deviceID, k.connID, roomID, pos, r.roomPos, r.timelineLimit, r.stateSig); err != nil {
				return fmt.Errorf("storing a sliding sync room: %w", err)
			}
		}
		return nil
	})
	return pos, err
}

// deleteConnectionsOf drops the sliding sync connections of deleted
// devices, in the transaction that records the deletion.
func deleteConnectionsOf(ctx context.Context, tx *storage.Tx, userID string, deviceIDs []string) error {
	for _, d := range deviceIDs {
		for _, t := range []string{"syncapi_sliding_sync_rooms", "syncapi_sliding_sync_positions"} {
			if _, err := tx.Exec(ctx, `DELETE FROM `+t+` WHERE user_id = $1 AND device_id = $2`, userID, d); err != nil {
				return fmt.Errorf("deleting the sliding sync connections of a deleted device: %w", err)
			}
		}
	}
	return nil
}
