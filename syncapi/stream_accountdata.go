package syncapi

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ocomms/ocomms/bus"
	capi "github.com/ocomms/ocomms/clientapi/api"
	"github.com/ocomms/ocomms/storage"
)

// streamAccountData names the account data stream in
// syncapi_stream_positions.
const streamAccountData = "account_data"

// accountDataConsumer copies the client API's account data changes.
func (s *SyncAPI) accountDataConsumer() consumer {
	return consumer{
		stream: capi.AccountDataStream, durable: consumerName, subject: capi.AccountDataSubject,
		handle: s.handleAccountData,
	}
}

// accountDataSection is the top-level account_data of /sync and the
// account_data of each joined or left room: on an initial sync everything
// current, on an incremental one what changed in the range, and for rooms
// joined in the range all of their account data.
//
// https://spec.matrix.org/latest/client-server-api/#get_matrixclientv3sync
func (s *SyncAPI) accountDataSection() section {
	return section{
		name:     streamAccountData,
		position: func(t *syncToken) *int64 { return &t.AccountData },
		add:      s.addAccountData,
	}
}

// handleAccountData stores one change under the next account data stream
// position. A change with a revision no newer than the stored one (a
// redelivery, or a change that lost a race on the client API's side)
// changes nothing and takes no position.
func (s *SyncAPI) handleAccountData(ctx context.Context, m bus.Message) error {
	var u capi.AccountDataUpdate
	if err := m.Decode(&u); err != nil {
		return bus.Permanent(err)
	}
	if u.Version != capi.AccountDataUpdateVersion {
		return fmt.Errorf("account data update of %s has version %d, this syncapi reads %d", u.UserID, u.Version, capi.AccountDataUpdateVersion)
	}
	if u.UserID == "" || u.Type == "" || !isJSONObject(u.Content) {
		return bus.Permanent(fmt.Errorf("malformed account data update %s of %q", u.Type, u.UserID))
	}
	var pos int64
	err := s.db.WithTx(ctx, func(ctx context.Context, tx *storage.Tx) error {
		// A change still in flight when the user was erased must not
		// bring their account data back.
		if erased, err := isErased(ctx, tx, u.UserID); erased || err != nil {
			return err
		}
		var stored int64
		err := tx.QueryRow(ctx, `SELECT revision FROM syncapi_account_data WHERE user_id = $1 AND room_id = $2 AND type = $3`,
			u.UserID, u.RoomID, u.Type).Scan(&stored)
		switch {
		case err == nil && stored >= u.Revision:
			return nil
		case err != nil && !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("reading account data %s of %s: %w", u.Type, u.UserID, err)
		}
		if pos, err = nextPosition(ctx, tx, streamAccountData); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO syncapi_account_data (user_id, room_id, type, content, revision, stream_pos)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (user_id, room_id, type) DO UPDATE
			SET content = excluded.content, revision = excluded.revision, stream_pos = excluded.stream_pos`,
			u.UserID, u.RoomID, u.Type, string(u.Content), u.Revision, pos)
		if err != nil {
			return fmt.Errorf("storing account data %s of %s: %w", u.Type, u.UserID, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if pos > 0 {
		s.wake(ctx, wakeUp{Stream: streamAccountData, Position: pos, UserIDs: []string{u.UserID}})
	}
	return nil
}

func isJSONObject(b json.RawMessage) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 0 && b[0] == '{' && json.Valid(b)
}

// accountDataEvent is how account data appears in /sync.
type accountDataEvent struct {
	Type    string          `json:"type"`
	Content json.RawMessage `json:"content"`
}

// addAccountData writes the account data changed in (from, to], and all
// account data of the rooms first told about in this sync.
func (s *SyncAPI) addAccountData(ctx context.Context, sc *syncContext, from, to int64) error {
	userID := sc.req.device.UserID
	after := from
	if len(sc.newlyJoined) > 0 {
		after = 0 // the newly joined rooms need their rows from before the range
	}
	rows, err := s.db.Query(ctx, `SELECT room_id, type, content, stream_pos FROM syncapi_account_data
		WHERE user_id = $1 AND stream_pos > $2 AND stream_pos <= $3 ORDER BY stream_pos`, userID, after, to)
	if err != nil {
		return fmt.Errorf("reading account data of %s: %w", userID, err)
	}
	defer rows.Close()
	joined := make(map[string]bool, len(sc.joined))
	for _, r := range sc.joined {
		joined[r] = true
	}
	gf, rf := &sc.req.filter.AccountData, &sc.req.filter.Room.AccountData
	for rows.Next() {
		var roomID, evType, content string
		var pos int64
		if err := rows.Scan(&roomID, &evType, &content, &pos); err != nil {
			return fmt.Errorf("reading account data of %s: %w", userID, err)
		}
		inRange := pos > from
		ev, err := json.Marshal(accountDataEvent{Type: evType, Content: json.RawMessage(content)})
		if err != nil {
			return fmt.Errorf("encoding account data %s: %w", evType, err)
		}
		switch {
		case roomID == "":
			if inRange && gf.matches(evType, userID) {
				sc.resp.AccountData.Events = append(sc.resp.AccountData.Events, ev)
			}
		case !rf.EventFilter.matches(evType, userID) || !allows(rf.Rooms, rf.NotRooms, roomID, false):
		case joined[roomID]:
			if inRange || sc.newlyJoined[roomID] {
				jr := sc.joinedRoom(roomID)
				jr.AccountData.Events = append(jr.AccountData.Events, ev)
			}
		default:
			if lr, ok := sc.resp.Rooms.Leave[roomID]; ok && inRange {
				lr.AccountData.Events = append(lr.AccountData.Events, ev)
			}
		}
	}
	return rows.Err()
}
