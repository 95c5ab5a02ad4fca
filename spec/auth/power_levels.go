package auth

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"

	"github.com/ocomms/ocomms/spec/roomversion"
)

// CreatorPowerLevel is the level UserLevel reports for a room creator in room
// versions with privileged creators (v12): "infinitely high". No level in an
// m.room.power_levels event can reach it, because canonical JSON bounds those
// to 2^53-1, so comparisons with it behave as comparisons with infinity. A
// creator cannot be kicked or banned, even by another creator, since no
// level is greater than it.
// https://spec.matrix.org/latest/rooms/v12/#authorization-rules
const CreatorPowerLevel int64 = math.MaxInt64

// The top-level levels, in the order rule 10.3 lists them.
const (
	levelUsersDefault = iota
	levelEventsDefault
	levelStateDefault
	levelBan
	levelRedact
	levelKick
	levelInvite
	numTopLevels
)

var topLevelNames = [numTopLevels]string{"users_default", "events_default", "state_default", "ban", "redact", "kick", "invite"}

// topLevelDefaults apply when a key is absent or there is no
// m.room.power_levels event at all.
// https://spec.matrix.org/latest/client-server-api/#mroompower_levels
var topLevelDefaults = [numTopLevels]int64{0, 0, 50, 50, 50, 50, 0}

// defaultNotificationLevel applies to a notifications key that is not set;
// the spec defines it for "room".
const defaultNotificationLevel = 50

// PowerLevels are the levels of an m.room.power_levels event, with the
// defaults for everything it leaves out. The zero value is the levels of a
// room without m.room.power_levels and without creators.
// https://spec.matrix.org/latest/client-server-api/#mroompower_levels
type PowerLevels struct {
	top [numTopLevels]int64
	// set records which top-level keys the content had, because rule 10.3
	// tells a key that was added or removed from one whose value is equal to
	// the default.
	set           [numTopLevels]bool
	users         map[string]int64
	events        map[string]int64
	notifications map[string]int64
	// creators have CreatorPowerLevel whatever users says (v12).
	creators []string
}

// plGroup is which part of the content was malformed, so that the rules
// can cite the rule it breaks.
type plGroup int

const (
	plTopLevel plGroup = iota
	plMaps
	plUsers
)

// powerLevelsError says which key of m.room.power_levels is malformed.
type powerLevelsError struct {
	group plGroup
	key   string
	err   error
}

func (e *powerLevelsError) Error() string {
	return fmt.Sprintf("%s: %s is %s", ErrInvalidPowerLevels, e.key, e.err)
}

func (e *powerLevelsError) Unwrap() []error { return []error{ErrInvalidPowerLevels, e.err} }

// ParsePowerLevels reads m.room.power_levels content as the room version
// says: absent keys take their defaults, versions 1-9 accept integers
// written as strings (and 1-5 floats), versions 10 and later integers only.
// It returns an error wrapping ErrInvalidPowerLevels for content the room
// version does not accept. The result knows no room creators; see
// EffectivePowerLevels.
// https://spec.matrix.org/latest/client-server-api/#mroompower_levels
func ParsePowerLevels(rules roomversion.Rules, content json.RawMessage) (PowerLevels, error) {
	pl := PowerLevels{top: topLevelDefaults}
	// Values are parsed once the whole object is read, so that of duplicate
	// keys only the last counts, as in every JSON decoder servers use.
	var topRaw [numTopLevels][]byte
	var eventsRaw, notificationsRaw, usersRaw []byte
	ok := members(content, func(k string, v []byte) {
		switch k {
		case "events":
			eventsRaw = v
		case "notifications":
			notificationsRaw = v
		case "users":
			usersRaw = v
		default:
			for i, name := range topLevelNames {
				if k == name {
					topRaw[i] = v
				}
			}
		}
	})
	if !ok {
		return PowerLevels{}, &powerLevelsError{plTopLevel, "content", errNotObject}
	}
	for i, raw := range topRaw {
		if raw == nil {
			continue
		}
		v, err := parseLevel(rules, raw)
		if err != nil {
			return PowerLevels{}, &powerLevelsError{plTopLevel, topLevelNames[i], err}
		}
		pl.top[i], pl.set[i] = v, true
	}
	var err error
	if pl.events, err = parseLevelMap(rules, eventsRaw, "events", plMaps, true); err != nil {
		return PowerLevels{}, err
	}
	// Versions 1-5 never compare notifications levels, so a malformed entry
	// there cannot make an event fail the rules; it is left out.
	if pl.notifications, err = parseLevelMap(rules, notificationsRaw, "notifications", plMaps, rules.NotificationsPowerLevels); err != nil {
		return PowerLevels{}, err
	}
	if pl.users, err = parseLevelMap(rules, usersRaw, "users", plUsers, true); err != nil {
		return PowerLevels{}, err
	}
	for user := range pl.users {
		if !looksLikeUserID(user) {
			return PowerLevels{}, &powerLevelsError{plUsers, fmt.Sprintf("users key %q", user), errNotUserID}
		}
	}
	return pl, nil
}

var (
	errNotObject = errors.New("not an object")
	errNotUserID = errors.New("not a user ID")
)

// parseLevelMap reads raw, the value of content[key], as a map of levels; a
// nil raw is an absent key. With strict unset, a malformed map or entry is
// skipped instead of failing.
func parseLevelMap(rules roomversion.Rules, raw []byte, key string, group plGroup, strict bool) (map[string]int64, error) {
	if raw == nil {
		return nil, nil
	}
	out := map[string]int64{}
	var firstErr error
	isObject := members(raw, func(k string, v []byte) {
		level, err := parseLevel(rules, v)
		switch {
		case err == nil:
			out[k] = level
		case strict && firstErr == nil:
			firstErr = &powerLevelsError{group, fmt.Sprintf("%s[%q]", key, k), err}
		default:
			// A later duplicate of a malformed entry still replaces it.
			delete(out, k)
		}
	})
	switch {
	case !isObject && strict:
		return nil, &powerLevelsError{group, key, errNotObject}
	case !isObject:
		return nil, nil
	case firstErr != nil:
		return nil, firstErr
	}
	return out, nil
}

// UserLevel is the power level of a user: CreatorPowerLevel for a room
// creator where creators are privileged, else their users entry, else
// users_default.
func (pl PowerLevels) UserLevel(userID string) int64 {
	if slices.Contains(pl.creators, userID) {
		return CreatorPowerLevel
	}
	if v, ok := pl.users[userID]; ok {
		return v
	}
	return pl.top[levelUsersDefault]
}

// EventLevel is the required power level to send an event of the type: its
// events entry, else state_default for state events and events_default for
// the others.
// https://spec.matrix.org/latest/server-server-api/#definitions
func (pl PowerLevels) EventLevel(evType string, isState bool) int64 {
	if v, ok := pl.events[evType]; ok {
		return v
	}
	if isState {
		return pl.top[levelStateDefault]
	}
	return pl.top[levelEventsDefault]
}

// Ban is the ban level (default 50).
func (pl PowerLevels) Ban() int64 { return pl.top[levelBan] }

// Kick is the kick level (default 50).
func (pl PowerLevels) Kick() int64 { return pl.top[levelKick] }

// Invite is the invite level (default 0).
func (pl PowerLevels) Invite() int64 { return pl.top[levelInvite] }

// Redact is the redact level (default 50).
func (pl PowerLevels) Redact() int64 { return pl.top[levelRedact] }

// UsersDefault is the level of users without a users entry (default 0).
func (pl PowerLevels) UsersDefault() int64 { return pl.top[levelUsersDefault] }

// EventsDefault is the level to send message events without an events entry
// (default 0).
func (pl PowerLevels) EventsDefault() int64 { return pl.top[levelEventsDefault] }

// StateDefault is the level to send state events without an events entry
// (default 50).
func (pl PowerLevels) StateDefault() int64 { return pl.top[levelStateDefault] }

// Notification is the level needed to trigger the notification type, such as
// "room" for @room (default 50).
func (pl PowerLevels) Notification(key string) int64 {
	if v, ok := pl.notifications[key]; ok {
		return v
	}
	return defaultNotificationLevel
}

// Users returns a copy of the users entries.
func (pl PowerLevels) Users() map[string]int64 { return maps.Clone(pl.users) }

// Events returns a copy of the events entries.
func (pl PowerLevels) Events() map[string]int64 { return maps.Clone(pl.events) }

// IsCreator reports whether the user is a privileged room creator (v12).
func (pl PowerLevels) IsCreator(userID string) bool { return slices.Contains(pl.creators, userID) }
