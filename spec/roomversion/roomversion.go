// Package roomversion is the registry of room versions: for each version, the
// algorithms (event format, event IDs, redaction, authorization rules, state
// resolution) that every server in a room must apply identically.
//
// https://spec.matrix.org/latest/rooms/
package roomversion

import (
	"errors"
	"fmt"
	"sort"
)

// ID is a room version identifier as it appears in m.room.create content,
// such as "11".
type ID string

// ErrUnknown is returned for a room version this server does not implement.
var ErrUnknown = errors.New("unsupported room version")

// Stability says whether a version may be used for new rooms by default.
// https://spec.matrix.org/latest/rooms/#feature-matrix
type Stability string

const (
	Stable   Stability = "stable"
	Unstable Stability = "unstable"
)

// EventFormat is the shape of a PDU on the wire.
type EventFormat int

const (
	// EventFormatV1 carries event_id in the event and references other
	// events as [event_id, {hashes}] pairs (room versions 1 and 2).
	EventFormatV1 EventFormat = iota + 1
	// EventFormatV3 has no event_id field; prev_events and auth_events are
	// lists of event IDs (room versions 3 to 11).
	EventFormatV3
	// EventFormatV12 is EventFormatV3 where the create event has no room_id
	// and the room ID is derived from the create event's reference hash, and
	// the create event is left out of auth_events (room version 12).
	EventFormatV12
)

// EventIDFormat is how an event's ID is produced.
type EventIDFormat int

const (
	// EventIDServerAssigned is "$opaque:server", chosen by the origin.
	EventIDServerAssigned EventIDFormat = iota + 1
	// EventIDReferenceHash is "$" + standard unpadded base64 of the
	// reference hash (room version 3).
	EventIDReferenceHash
	// EventIDReferenceHashURLSafe is "$" + URL-safe unpadded base64 of the
	// reference hash (room versions 4 and later).
	EventIDReferenceHashURLSafe
)

// RedactionAlgorithm names the set of keys a redaction keeps.
type RedactionAlgorithm int

const (
	RedactionV1  RedactionAlgorithm = iota + 1 // room versions 1-5
	RedactionV6                                // 6-7: m.room.aliases content no longer kept
	RedactionV8                                // 8: join_rules keeps "allow"
	RedactionV9                                // 9-10: member keeps join_authorised_via_users_server
	RedactionV11                               // 11-12
)

// StateResAlgorithm names the state resolution algorithm.
type StateResAlgorithm int

const (
	StateResV1  StateResAlgorithm = iota + 1 // room version 1
	StateResV2                               // room versions 2-11
	StateResV21                              // room version 12 (MSC4297)
)

// Rules is everything that differs between room versions. Code branches on
// these capabilities, never on the version string, so a new version is one
// new entry in the registry.
type Rules struct {
	ID        ID
	Stability Stability

	EventFormat   EventFormat
	EventIDFormat EventIDFormat
	Redaction     RedactionAlgorithm
	StateRes      StateResAlgorithm

	// EnforceKeyValidity requires signing keys to be valid at the event's
	// origin_server_ts (v5+).
	EnforceKeyValidity bool
	// StrictCanonicalJSON rejects floats and integers outside
	// [-(2^53)+1, 2^53-1] in events (v6+).
	StrictCanonicalJSON bool
	// SpecialCasedAliasesAuth applies the m.room.aliases auth rule (v1-5).
	SpecialCasedAliasesAuth bool
	// NotificationsPowerLevels checks changes to the "notifications" key of
	// m.room.power_levels (v6+).
	NotificationsPowerLevels bool
	// RedactionAuthByDomain lets a redaction through the auth rules when the
	// redacted event's sender domain matches (v1-2); from v3 the check
	// moves to the point of serving the event.
	RedactionAuthByDomain bool
	// KnockJoinRule allows join_rule "knock" and membership "knock" (v7+).
	KnockJoinRule bool
	// RestrictedJoinRule allows join_rule "restricted" (v8+).
	RestrictedJoinRule bool
	// KnockRestrictedJoinRule allows join_rule "knock_restricted" (v10+).
	KnockRestrictedJoinRule bool
	// IntegerPowerLevels requires power level values to be JSON integers,
	// not strings (v10+).
	IntegerPowerLevels bool
	// ImplicitRoomCreator: the creator is the create event's sender, the
	// "creator" content key is gone and redacts moves into content (v11+).
	ImplicitRoomCreator bool
	// PrivilegedCreators: the create event's sender and additional_creators
	// have infinite power and cannot appear in m.room.power_levels (v12+).
	PrivilegedCreators bool
	// RoomIDFromCreateEvent: the room ID is "!" + the create event's
	// reference hash, and the create event is not listed in auth_events
	// (v12+).
	RoomIDFromCreateEvent bool
}

// Default is the version used for new rooms unless configured otherwise.
const Default ID = "11"

func v1() Rules {
	return Rules{
		ID: "1", Stability: Stable,
		EventFormat: EventFormatV1, EventIDFormat: EventIDServerAssigned,
		Redaction: RedactionV1, StateRes: StateResV1,
		SpecialCasedAliasesAuth: true, RedactionAuthByDomain: true,
	}
}

var registry = func() map[ID]Rules {
	m := map[ID]Rules{}
	r := v1()
	m["1"] = r

	r.ID, r.StateRes = "2", StateResV2
	m["2"] = r

	r.ID, r.EventFormat, r.EventIDFormat, r.RedactionAuthByDomain = "3", EventFormatV3, EventIDReferenceHash, false
	m["3"] = r

	r.ID, r.EventIDFormat = "4", EventIDReferenceHashURLSafe
	m["4"] = r

	r.ID, r.EnforceKeyValidity = "5", true
	m["5"] = r

	r.ID, r.Redaction, r.StrictCanonicalJSON, r.SpecialCasedAliasesAuth, r.NotificationsPowerLevels = "6", RedactionV6, true, false, true
	m["6"] = r

	r.ID, r.KnockJoinRule = "7", true
	m["7"] = r

	r.ID, r.Redaction, r.RestrictedJoinRule = "8", RedactionV8, true
	m["8"] = r

	r.ID, r.Redaction = "9", RedactionV9
	m["9"] = r

	r.ID, r.KnockRestrictedJoinRule, r.IntegerPowerLevels = "10", true, true
	m["10"] = r

	r.ID, r.Redaction, r.ImplicitRoomCreator = "11", RedactionV11, true
	m["11"] = r

	r.ID, r.EventFormat, r.StateRes, r.PrivilegedCreators, r.RoomIDFromCreateEvent = "12", EventFormatV12, StateResV21, true, true
	m["12"] = r
	return m
}()

// Lookup returns the rules of a room version, or ErrUnknown.
func Lookup(id ID) (Rules, error) {
	r, ok := registry[id]
	if !ok {
		return Rules{}, fmt.Errorf("%w: %q", ErrUnknown, string(id))
	}
	return r, nil
}

// All returns every implemented version, ordered numerically.
func All() []Rules {
	out := make([]Rules, 0, len(registry))
	for _, r := range registry {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		return len(out[i].ID) < len(out[j].ID) || len(out[i].ID) == len(out[j].ID) && out[i].ID < out[j].ID
	})
	return out
}
