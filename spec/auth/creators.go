package auth

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ocomms/ocomms/spec/event"
	"github.com/ocomms/ocomms/spec/roomversion"
)

// ErrMissingCreateEvent is returned when a computation needs the room's
// m.room.create event and none was given.
var ErrMissingCreateEvent = errors.New("m.room.create event missing")

// creatorLevelWithoutPowerLevels is the creator's level in a room without
// m.room.power_levels (v1-11).
const creatorLevelWithoutPowerLevels = 100

// RoomCreators are the room's creators according to its m.room.create
// event: content.creator up to v10, the sender from v11, and from v12 the
// sender plus content.additional_creators.
// https://spec.matrix.org/latest/rooms/v12/#authorization-rules
func RoomCreators(rules roomversion.Rules, create event.PDU) []string {
	if create == nil {
		return nil
	}
	if !rules.ImplicitRoomCreator {
		if c, ok := contentString(create.Content(), "creator"); ok {
			return []string{c}
		}
		return nil
	}
	creators := []string{create.Sender()}
	if !rules.PrivilegedCreators {
		return creators
	}
	m, _ := object(create.Content())
	var extra []json.RawMessage
	if raw, ok := m["additional_creators"]; ok && json.Unmarshal(raw, &extra) == nil {
		for _, raw := range extra {
			if s, ok := asString(raw); ok {
				creators = append(creators, s)
			}
		}
	}
	return creators
}

// EffectivePowerLevels are the power levels the rules apply in a room whose
// current m.room.power_levels and m.room.create events are given
// (powerLevels may be nil): in v1-11 a room without power levels gives its
// creator 100, and from v12 the creators have CreatorPowerLevel whatever the
// power levels say.
// https://spec.matrix.org/latest/client-server-api/#mroompower_levels
func EffectivePowerLevels(rules roomversion.Rules, powerLevels, create event.PDU) (PowerLevels, error) {
	if create == nil && (powerLevels == nil || rules.PrivilegedCreators) {
		return PowerLevels{}, ErrMissingCreateEvent
	}
	pl := PowerLevels{top: topLevelDefaults}
	if powerLevels != nil {
		var err error
		if pl, err = ParsePowerLevels(rules, powerLevels.Content()); err != nil {
			return PowerLevels{}, fmt.Errorf("power levels %s: %w", powerLevels.EventID(), err)
		}
	}
	creators := RoomCreators(rules, create)
	switch {
	case rules.PrivilegedCreators:
		pl.creators = creators
	case powerLevels == nil && len(creators) > 0:
		pl.users = map[string]int64{creators[0]: creatorLevelWithoutPowerLevels}
	}
	return pl, nil
}

// SenderPowerLevel is a user's power level given the room's current
// m.room.power_levels (may be nil) and m.room.create events. It is
// CreatorPowerLevel for the creators of a v12 room. State resolution orders
// power events by it.
// https://spec.matrix.org/latest/rooms/v2/#definitions
func SenderPowerLevel(rules roomversion.Rules, sender string, powerLevels, create event.PDU) (int64, error) {
	pl, err := EffectivePowerLevels(rules, powerLevels, create)
	if err != nil {
		return 0, err
	}
	return pl.UserLevel(sender), nil
}
