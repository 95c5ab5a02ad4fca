package syncapi

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/ocomms/ocomms/bus"
	clientapi "github.com/ocomms/ocomms/clientapi/api"
	"github.com/ocomms/ocomms/storage"
)

// The device list stream: whose devices or cross-signing keys changed.
// /sync's device_lists.changed names every such user who shares a room
// with the syncing user, and users who newly share one; left names users
// who no longer share any.
//
// https://spec.matrix.org/latest/client-server-api/#tracking-the-device-list-for-a-user
const streamDeviceLists = "device_lists"

func (s *SyncAPI) deviceListSection() section {
	return section{
		name:         streamDeviceLists,
		position:     func(t *syncToken) *int64 { return &t.DeviceLists },
		add:          s.addDeviceLists,
		onRoomEvents: true,
	}
}

func (s *SyncAPI) deviceListConsumer() consumer {
	return consumer{stream: clientapi.DeviceListStream, durable: "syncapi_device_lists", subject: clientapi.DeviceListSubject, handle: s.handleDeviceListUpdate}
}

// handleDeviceListUpdate stores a change under the next position and wakes
// the syncs of everyone it may concern.
func (s *SyncAPI) handleDeviceListUpdate(ctx context.Context, m bus.Message) error {
	var u clientapi.DeviceListUpdate
	if err := m.Decode(&u); err != nil {
		return bus.Permanent(err)
	}
	if u.Version != clientapi.DeviceListUpdateVersion {
		return fmt.Errorf("device list update %s has version %d, this syncapi reads %d", u.MessageID, u.Version, clientapi.DeviceListUpdateVersion)
	}
	visible, _ := json.Marshal(u.VisibleTo)
	if u.VisibleTo == nil {
		visible = []byte("[]")
	}
	var pos int64
	err := s.db.WithTx(ctx, func(ctx context.Context, tx *storage.Tx) error {
		pos = 0
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM syncapi_device_list_changes WHERE message_id = $1`, u.MessageID).Scan(&one); err == nil {
			return nil // delivered twice by the bus
		}
		if err := deleteToDeviceOf(ctx, tx, u.UserID, u.DeletedDevices); err != nil {
			return err
		}
		if err := deleteConnectionsOf(ctx, tx, u.UserID, u.DeletedDevices); err != nil {
			return err
		}
		p, err := nextPosition(ctx, tx, streamDeviceLists)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO syncapi_device_list_changes (stream_pos, message_id, user_id, visible_to) VALUES ($1, $2, $3, $4)`,
			p, u.MessageID, u.UserID, string(visible)); err != nil {
			return fmt.Errorf("storing device list update %s: %w", u.MessageID, err)
		}
		pos = p
		return nil
	})
	if err != nil || pos == 0 {
		return err
	}
	wu := wakeUp{Stream: streamDeviceLists, Position: pos, UserIDs: append([]string{u.UserID}, u.VisibleTo...)}
	if len(u.VisibleTo) == 0 {
		if wu.RoomIDs, err = s.currentJoinedRooms(ctx, u.UserID); err != nil {
			// Stored: parked syncs find it at their timeout.
			s.log.Warn("could not list the rooms to wake for a device list update", "error", err)
		}
	}
	s.wake(ctx, wu)
	return nil
}

func (s *SyncAPI) addDeviceLists(ctx context.Context, sc *syncContext, _, _ int64) error {
	if sc.req.since == nil {
		// An initial sync has nothing to compare with: clients query the
		// keys of everyone they share an encrypted room with.
		return nil
	}
	changed, left, err := s.deviceListChanges(ctx, sc.req.device.UserID, sc.since, sc.now)
	if err != nil {
		return err
	}
	sc.resp.DeviceLists = deviceLists{Changed: changed, Left: left}
	return nil
}

// deviceListChanges computes device_lists between two tokens for userID:
// users whose device lists changed in the device list stream, users who
// joined a room userID is in (or whose room userID joined), and users who
// left rooms (or whose room userID left) without still sharing another.
func (s *SyncAPI) deviceListChanges(ctx context.Context, userID string, from, to syncToken) (changed, left []string, err error) {
	// Users told regardless of shared rooms, and those that need one.
	direct, needRoom, maybeLeft := map[string]bool{}, map[string]bool{}, map[string]bool{}
	if from.DeviceLists < to.DeviceLists {
		rows, err := s.db.Query(ctx, `SELECT user_id, visible_to FROM syncapi_device_list_changes WHERE stream_pos > $1 AND stream_pos <= $2`,
			from.DeviceLists, to.DeviceLists)
		if err != nil {
			return nil, nil, fmt.Errorf("reading device list changes: %w", err)
		}
		for rows.Next() {
			var user, visible string
			if err := rows.Scan(&user, &visible); err != nil {
				rows.Close()
				return nil, nil, fmt.Errorf("reading device list changes: %w", err)
			}
			var to []string
			_ = json.Unmarshal([]byte(visible), &to)
			switch {
			case len(to) > 0:
				if slices.Contains(to, userID) {
					direct[user] = true
				}
			case user == userID:
				direct[user] = true
			default:
				needRoom[user] = true
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, nil, fmt.Errorf("reading device list changes: %w", err)
		}
	}
	if from.Rooms < to.Rooms {
		if err := s.membershipDeviceListChanges(ctx, userID, from.Rooms, to.Rooms, needRoom, maybeLeft); err != nil {
			return nil, nil, err
		}
	}
	candidates := make([]string, 0, len(needRoom)+len(maybeLeft))
	for u := range needRoom {
		candidates = append(candidates, u)
	}
	for u := range maybeLeft {
		if !needRoom[u] {
			candidates = append(candidates, u)
		}
	}
	shared, err := s.sharingARoom(ctx, userID, candidates)
	if err != nil {
		return nil, nil, err
	}
	for u := range needRoom {
		if shared[u] {
			direct[u] = true
		}
	}
	changed, left = []string{}, []string{}
	for u := range direct {
		changed = append(changed, u)
	}
	for u := range maybeLeft {
		if !shared[u] && !direct[u] && u != userID {
			left = append(left, u)
		}
	}
	slices.Sort(changed)
	slices.Sort(left)
	return changed, left, nil
}

// membershipDeviceListChanges reads the membership changes in (from, to]
// of the rooms userID has been in.
func (s *SyncAPI) membershipDeviceListChanges(ctx context.Context, userID string, from, to int64, changed, maybeLeft map[string]bool) error {
	rows, err := s.db.Query(ctx, `SELECT m.room_id, m.state_key, COALESCE(m.membership, '') FROM syncapi_room_state m
		WHERE m.type = 'm.room.member' AND m.added_pos > $2 AND m.added_pos <= $3
		AND m.room_id IN (SELECT room_id FROM syncapi_room_state WHERE type = 'm.room.member' AND state_key = $1)
		ORDER BY m.added_pos`, userID, from, to)
	if err != nil {
		return fmt.Errorf("reading membership changes: %w", err)
	}
	type change struct{ roomID, user, membership string }
	var changes []change
	for rows.Next() {
		var c change
		if err := rows.Scan(&c.roomID, &c.user, &c.membership); err != nil {
			rows.Close()
			return fmt.Errorf("reading membership changes: %w", err)
		}
		changes = append(changes, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading membership changes: %w", err)
	}
	for _, c := range changes {
		switch {
		case c.user != userID && c.membership == "join":
			changed[c.user] = true
		case c.user != userID:
			maybeLeft[c.user] = true
		default:
			// The user's own join or leave concerns every member.
			members, err := s.currentMembers(ctx, c.roomID)
			if err != nil {
				return err
			}
			for _, m := range members {
				if m == userID {
					continue
				}
				if c.membership == "join" {
					changed[m] = true
				} else {
					maybeLeft[m] = true
				}
			}
		}
	}
	return nil
}

// sharingARoom returns which of the users are joined to a room userID is
// joined to now.
func (s *SyncAPI) sharingARoom(ctx context.Context, userID string, users []string) (map[string]bool, error) {
	out := map[string]bool{}
	for len(users) > 0 {
		// Bounded batches keep the statement under both databases'
		// parameter limits for rooms of any size.
		batch := users[:min(len(users), 500)]
		users = users[len(batch):]
		marks := make([]string, len(batch))
		args := []any{userID}
		for i, u := range batch {
			marks[i] = fmt.Sprintf("$%d", i+2)
			args = append(args, u)
		}
		rows, err := s.db.Query(ctx, `SELECT DISTINCT o.state_key FROM syncapi_room_state o
			JOIN syncapi_room_state mine ON mine.room_id = o.room_id
			WHERE mine.type = 'm.room.member' AND mine.state_key = $1 AND mine.membership = 'join' AND mine.removed_pos IS NULL
			AND o.type = 'm.room.member' AND o.membership = 'join' AND o.removed_pos IS NULL
			AND o.state_key IN (`+strings.Join(marks, ", ")+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("reading shared rooms: %w", err)
		}
		for rows.Next() {
			var u string
			if err := rows.Scan(&u); err != nil {
				rows.Close()
				return nil, fmt.Errorf("reading shared rooms: %w", err)
			}
			out[u] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("reading shared rooms: %w", err)
		}
	}
	return out, nil
}

// currentMembers lists the users joined to a room now.
func (s *SyncAPI) currentMembers(ctx context.Context, roomID string) ([]string, error) {
	return s.queryStrings(ctx, `SELECT state_key FROM syncapi_room_state WHERE room_id = $1 AND type = 'm.room.member'
		AND membership = 'join' AND removed_pos IS NULL`, roomID)
}

// currentJoinedRooms lists the rooms a user is joined to now.
func (s *SyncAPI) currentJoinedRooms(ctx context.Context, userID string) ([]string, error) {
	return s.queryStrings(ctx, `SELECT room_id FROM syncapi_room_state WHERE state_key = $1 AND type = 'm.room.member'
		AND membership = 'join' AND removed_pos IS NULL`, userID)
}

func (s *SyncAPI) queryStrings(ctx context.Context, query string, args ...any) ([]string, error) {
	rows, err := s.db.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("querying: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("querying: %w", err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
