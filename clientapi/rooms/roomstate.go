package rooms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ocomms/ocomms/roomserver/api"
	"github.com/ocomms/ocomms/spec/auth"
	"github.com/ocomms/ocomms/spec/errcode"
	"github.com/ocomms/ocomms/spec/event"
	"github.com/ocomms/ocomms/spec/roomversion"
)

// Event types and memberships this package names often.
const (
	typeCreate            = "m.room.create"
	typeMember            = "m.room.member"
	typePowerLevels       = "m.room.power_levels"
	typeJoinRules         = "m.room.join_rules"
	typeHistoryVisibility = "m.room.history_visibility"
	typeGuestAccess       = "m.room.guest_access"
	typeCanonicalAlias    = "m.room.canonical_alias"
	typeName              = "m.room.name"
	typeTopic             = "m.room.topic"
	typeAvatar            = "m.room.avatar"
	typeTombstone         = "m.room.tombstone"
	typeRedaction         = "m.room.redaction"

	membershipJoin   = "join"
	membershipInvite = "invite"
	membershipLeave  = "leave"
	membershipBan    = "ban"
	membershipKnock  = "knock"
)

func key(evType, stateKey string) auth.StateKey {
	return auth.StateKey{Type: evType, StateKey: stateKey}
}

func strPtr(s string) *string { return &s }

// stateMap indexes state events by their type and state key.
type stateMap map[auth.StateKey]*event.Event

func indexState(evs []*event.Event) stateMap {
	m := make(stateMap, len(evs))
	for _, ev := range evs {
		if sk := ev.StateKey(); sk != nil {
			m[key(ev.Type(), *sk)] = ev
		}
	}
	return m
}

// currentState reads the given keys of a room's current state.
func (r *Rooms) currentState(ctx context.Context, roomID string, keys ...auth.StateKey) (stateMap, error) {
	evs, err := r.rooms.CurrentState(ctx, roomID, keys...)
	if err != nil {
		return nil, fmt.Errorf("reading state of %s: %w", roomID, err)
	}
	return indexState(evs), nil
}

// powerLevels are a room's effective power levels with its rules.
func (r *Rooms) powerLevels(ctx context.Context, roomID string) (auth.PowerLevels, roomversion.Rules, error) {
	st, err := r.currentState(ctx, roomID, key(typeCreate, ""), key(typePowerLevels, ""))
	if err != nil {
		return auth.PowerLevels{}, roomversion.Rules{}, err
	}
	return effectivePowerLevels(st)
}

func effectivePowerLevels(st stateMap) (auth.PowerLevels, roomversion.Rules, error) {
	create := st[key(typeCreate, "")]
	if create == nil {
		return auth.PowerLevels{}, roomversion.Rules{}, fmt.Errorf("room state has no m.room.create: %w", api.ErrRoomNotFound)
	}
	rules := create.Rules()
	var pl event.PDU
	if ev := st[key(typePowerLevels, "")]; ev != nil {
		pl = ev
	}
	levels, err := auth.EffectivePowerLevels(rules, pl, create)
	if err != nil {
		return auth.PowerLevels{}, rules, fmt.Errorf("power levels: %w", err)
	}
	return levels, rules, nil
}

// membership is the user's current membership in the room ("" when none
// or when the room is unknown here).
func (r *Rooms) membership(ctx context.Context, roomID, userID string) (api.Membership, error) {
	m, err := r.rooms.Membership(ctx, roomID, userID)
	if errors.Is(err, api.ErrRoomNotFound) {
		return api.Membership{}, nil
	}
	if err != nil {
		return api.Membership{}, fmt.Errorf("membership of %s in %s: %w", userID, roomID, err)
	}
	return m, nil
}

// requireJoined fails with 403 unless the user is joined to the room.
func (r *Rooms) requireJoined(ctx context.Context, roomID, userID string) error {
	m, err := r.membership(ctx, roomID, userID)
	if err != nil {
		return err
	}
	if m.Membership != membershipJoin {
		return notInRoom()
	}
	return nil
}

// roomExists reports whether the roomserver knows the room.
func (r *Rooms) roomExists(ctx context.Context, roomID string) (bool, error) {
	_, err := r.rooms.RoomInfo(ctx, roomID)
	if errors.Is(err, api.ErrRoomNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("room info of %s: %w", roomID, err)
	}
	return true, nil
}

// canSendState reports whether the user's power level allows sending the
// state event type, the test Synapse applies to room-admin actions such as
// publishing the room or deleting its aliases.
func canSendState(levels auth.PowerLevels, userID, evType string) bool {
	return levels.UserLevel(userID) >= levels.EventLevel(evType, true)
}

// contentString reads a string field of an event's content ("" if absent).
func contentString(ev *event.Event, field string) string {
	if ev == nil {
		return ""
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(ev.Content(), &m) != nil {
		return ""
	}
	var s string
	if json.Unmarshal(m[field], &s) != nil {
		return ""
	}
	return s
}

// contentObject decodes an event's content as an object of raw values.
func contentObject(ev *event.Event) map[string]json.RawMessage {
	m := map[string]json.RawMessage{}
	if ev != nil {
		_ = json.Unmarshal(ev.Content(), &m)
	}
	return m
}

// mustJSON marshals values this package builds itself.
func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("marshalling %T: %v", v, err))
	}
	return b
}

// decodeObject checks that a request body is a JSON object.
func decodeObject(body []byte) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil || m == nil {
		return nil, errcode.BadJSON("content must be a JSON object")
	}
	return m, nil
}
