package syncapi

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/ocomms/ocomms/spec/auth"
	"github.com/ocomms/ocomms/spec/event"
	"github.com/ocomms/ocomms/spec/id"
	"github.com/ocomms/ocomms/spec/pushrules"
	"github.com/ocomms/ocomms/spec/roomversion"
)

// PushRules gives the push rules of local users; the client API keeps them
// (the /pushrules endpoints). The sync API evaluates them when it stores
// an event, to count unread notifications.
type PushRules interface {
	// Rulesets returns the effective ruleset of each user: the server
	// defaults merged with what the user changed.
	Rulesets(ctx context.Context, userIDs []string) (map[string]pushrules.Ruleset, error)
}

// SetPushRules sets where the push rules of users come from. Without it
// every user has the server-default rules.
func (s *SyncAPI) SetPushRules(p PushRules) { s.pushRules = p }

// notification is an event that notifies one user.
type notification struct {
	userID, threadID string
	highlight        bool
	// actions are those of the rule that matched, for /notifications and
	// push gateways.
	actions pushrules.Actions
}

// threadMain is the thread ID of the main timeline in receipts and counts.
const threadMain = "main"

// pushRoom is what push rule conditions need to know of a room's state
// before an event: its joined members with their display names, and the
// power levels.
type pushRoom struct {
	// version is the room's last state change position, which tells
	// whether a cached copy is still current.
	version     int64
	memberCount int
	local       []pushMember
	levels      auth.PowerLevels
	levelsOK    bool
}

type pushMember struct {
	userID, displayName string
}

// pushRoomCache keeps the push state of recently active rooms, so an event
// in a room of thousands of members does not re-read them all.
type pushRoomCache struct {
	mu    sync.Mutex
	rooms map[string]*pushRoom
}

const pushRoomCacheSize = 1024

// notificationsFor evaluates the push rules of every local member of the
// room except the sender against ev, in the room's state before ev.
func (s *SyncAPI) notificationsFor(ctx context.Context, rules roomversion.Rules, ev *event.Event) ([]notification, error) {
	room, err := s.pushRoomState(ctx, rules, ev.RoomID())
	if err != nil {
		return nil, err
	}
	if len(room.local) == 0 {
		return nil, nil
	}
	users := make([]string, 0, len(room.local))
	for _, m := range room.local {
		if m.userID != ev.Sender() {
			users = append(users, m.userID)
		}
	}
	if len(users) == 0 {
		return nil, nil
	}
	rulesets, err := s.rulesets(ctx, users)
	if err != nil {
		return nil, err
	}
	return evaluatePush(ev, room, rulesets)
}

// evaluatePush is the pure part of notificationsFor.
func evaluatePush(ev *event.Event, room *pushRoom, rulesets map[string]pushrules.Ruleset) ([]notification, error) {
	evaluator, err := pushrules.NewEvaluator(ev.JSON())
	if err != nil {
		return nil, err
	}
	pctx := pushrules.Context{RoomMemberCount: room.memberCount}
	if room.levelsOK {
		pctx.SenderPowerLevel = room.levels.UserLevel(ev.Sender())
		pctx.NotificationPowerLevels = map[string]int64{"room": room.levels.Notification("room")}
	}
	thread := threadOf(ev.Content())
	var out []notification
	for _, m := range room.local {
		rs, ok := rulesets[m.userID]
		if !ok || m.userID == ev.Sender() {
			continue
		}
		pctx.UserID, pctx.DisplayName = m.userID, m.displayName
		_, actions := evaluator.Evaluate(rs, pctx)
		if actions.Notify() {
			out = append(out, notification{userID: m.userID, threadID: thread, highlight: actions.Highlight(), actions: actions})
		}
	}
	return out, nil
}

// threadOf is the thread an event belongs to: the root of an m.thread
// relation, or the main timeline.
// https://spec.matrix.org/latest/client-server-api/#threading
func threadOf(content json.RawMessage) string {
	var c struct {
		RelatesTo struct {
			RelType string `json:"rel_type"`
			EventID string `json:"event_id"`
		} `json:"m.relates_to"`
	}
	if json.Unmarshal(content, &c) == nil && c.RelatesTo.RelType == "m.thread" && c.RelatesTo.EventID != "" {
		return c.RelatesTo.EventID
	}
	return threadMain
}

func (s *SyncAPI) rulesets(ctx context.Context, users []string) (map[string]pushrules.Ruleset, error) {
	if s.pushRules != nil {
		rs, err := s.pushRules.Rulesets(ctx, users)
		if err != nil {
			return nil, fmt.Errorf("push rules: %w", err)
		}
		return rs, nil
	}
	out := make(map[string]pushrules.Ruleset, len(users))
	for _, u := range users {
		out[u] = pushrules.DefaultRuleset(u)
	}
	return out, nil
}

// pushRoomState reads the room's current members and power levels, or
// takes them from the cache when the room's state did not change since.
// The room event consumer is the only writer and handles one event at a
// time across instances, so the state read here is the state before the
// event being stored.
func (s *SyncAPI) pushRoomState(ctx context.Context, rules roomversion.Rules, roomID string) (*pushRoom, error) {
	var version int64
	if err := s.db.QueryRow(ctx, `SELECT COALESCE(MAX(added_pos), 0) FROM syncapi_room_state WHERE room_id = $1`,
		roomID).Scan(&version); err != nil {
		return nil, fmt.Errorf("reading the state version of %s: %w", roomID, err)
	}
	s.pushCache.mu.Lock()
	cached := s.pushCache.rooms[roomID]
	s.pushCache.mu.Unlock()
	if cached != nil && cached.version == version {
		return cached, nil
	}
	room := &pushRoom{version: version}
	if err := s.loadPushMembers(ctx, roomID, room); err != nil {
		return nil, err
	}
	if err := s.loadPushLevels(ctx, rules, roomID, room); err != nil {
		return nil, err
	}
	s.pushCache.mu.Lock()
	if s.pushCache.rooms == nil || len(s.pushCache.rooms) >= pushRoomCacheSize {
		s.pushCache.rooms = map[string]*pushRoom{}
	}
	s.pushCache.rooms[roomID] = room
	s.pushCache.mu.Unlock()
	return room, nil
}

func (s *SyncAPI) loadPushMembers(ctx context.Context, roomID string, room *pushRoom) error {
	rows, err := s.db.Query(ctx, `SELECT rs.state_key, COALESCE(e.event_json, '') FROM syncapi_room_state rs
		LEFT JOIN syncapi_events e ON e.event_id = rs.event_id
		WHERE rs.room_id = $1 AND rs.type = 'm.room.member' AND rs.removed_pos IS NULL AND rs.membership = 'join'`, roomID)
	if err != nil {
		return fmt.Errorf("reading the members of %s: %w", roomID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var userID, js string
		if err := rows.Scan(&userID, &js); err != nil {
			return fmt.Errorf("reading the members of %s: %w", roomID, err)
		}
		room.memberCount++
		if string(id.UserID(userID).ServerName()) != s.cfg.ServerName {
			continue
		}
		var m struct {
			Content struct {
				DisplayName string `json:"displayname"`
			} `json:"content"`
		}
		_ = json.Unmarshal([]byte(js), &m)
		room.local = append(room.local, pushMember{userID: userID, displayName: m.Content.DisplayName})
	}
	return rows.Err()
}

// loadPushLevels reads the power levels for sender_notification_permission.
// A room whose create or power levels event cannot be read notifies as if
// the sender had no power, so @room needs a level nobody has.
func (s *SyncAPI) loadPushLevels(ctx context.Context, rules roomversion.Rules, roomID string, room *pushRoom) error {
	var create, levels event.PDU
	for _, evType := range []string{"m.room.create", "m.room.power_levels"} {
		var eventID, js string
		err := s.db.QueryRow(ctx, `SELECT rs.event_id, COALESCE(e.event_json, '') FROM syncapi_room_state rs
			LEFT JOIN syncapi_events e ON e.event_id = rs.event_id
			WHERE rs.room_id = $1 AND rs.type = $2 AND rs.state_key = '' AND rs.removed_pos IS NULL`, roomID, evType).Scan(&eventID, &js)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return fmt.Errorf("reading %s of %s: %w", evType, roomID, err)
		}
		var pdu event.PDU
		if js != "" {
			if ev, err := event.ParseWithEventID(rules, []byte(js), eventID); err == nil {
				pdu = ev
			}
		} else if s.rooms != nil {
			// State that state resolution brought in without this
			// component storing the event.
			if evs, err := s.rooms.Events(ctx, eventID); err == nil && len(evs) > 0 {
				pdu = evs[0]
			}
		}
		if evType == "m.room.create" {
			create = pdu
		} else {
			levels = pdu
		}
	}
	pl, err := auth.EffectivePowerLevels(rules, levels, create)
	if err == nil {
		room.levels, room.levelsOK = pl, true
	}
	return nil
}
