package difftest

import (
	"encoding/json"
	"errors"
	"slices"

	"github.com/tidwall/gjson"

	"github.com/ocomms/ocomms/spec/auth"
	"github.com/ocomms/ocomms/spec/event"
)

// gomatrixserverlib departs from the authorization rules in a few known
// ways, each written in its source as deliberate. A disagreement with it is
// accepted when it is one of these and we follow the spec; every other
// disagreement fails the test. The tests log how often each occurred.
//
// Each departure is also a hand-built case of the same name in
// TestGomatrixserverlibAuthDeviations (gmsl_deviation_cases_test.go), which
// quotes the spec and fails once gomatrixserverlib decides as we do: then
// the case and its classifier here can go.

// deviationSelfLeave: gomatrixserverlib allows a leave by a user whose
// membership is already leave (or who was never in the room); the rules
// allow a self-leave "if and only if that user's current membership state
// is invite, join, or knock" (rule 5.4.1 of room version 1; knock from v7).
// https://spec.matrix.org/latest/rooms/v1/#authorization-rules
const deviationSelfLeave = "self-leave while not invited, joined or knocking"

// deviationPowerLevelDefaults: in an m.room.power_levels change,
// gomatrixserverlib compares users and events entries that only one side
// has against users_default or events_default, and never checks a change of
// users_default itself. The rules check only entries "being added to,
// changed in, or removed from" the maps, and list users_default among the
// top-level keys whose change is checked (rules 10.3 to 10.5 of room
// version 1). Synapse's _check_power_levels does the same as the rules.
// https://spec.matrix.org/latest/rooms/v1/#authorization-rules
const deviationPowerLevelDefaults = "power levels entries compared with defaults, users_default unchecked"

// deviationNotificationsAtSenderLevel: gomatrixserverlib refuses to change
// a notifications entry whose current value equals the sender's level, as
// it does for users entries; for notifications the rules reject only "If
// the current value is greater than that of the sender's current power
// level" (rule 10.4 of room version 6).
// https://spec.matrix.org/latest/rooms/v6/#authorization-rules
const deviationNotificationsAtSenderLevel = "notifications entry at the sender's level"

// deviationCreatorNotifications: in room version 12 gomatrixserverlib
// checks changes to notifications against the creator's users entry (0),
// not the infinite power level that room creators have.
// https://spec.matrix.org/latest/rooms/v12/#authorization-rules
const deviationCreatorNotifications = "v12 creator changing notifications"

// deviationUnban: gomatrixserverlib lets a user at the ban level unban
// anyone; the rules also apply the kick rule to an unban ("If the target
// user's current membership state is ban, and the sender's power level is
// less than the ban level, reject. If the sender's power level is greater
// than or equal to the kick level, and the target user's power level is less
// than the sender's power level, allow. Otherwise, reject."), as Synapse does.
// https://spec.matrix.org/latest/rooms/v1/#authorization-rules
const deviationUnban = "unban of a user at or above the sender's level, or below the kick level"

// deviationKnockThenPublicJoin: gomatrixserverlib refuses a join by a
// user whose membership is knock when the join rule is public; the rules
// say "If the join_rule is public, allow" whatever the previous membership
// (short of a ban). https://spec.matrix.org/latest/rooms/v7/#authorization-rules
const deviationKnockThenPublicJoin = "join from knock in a public room"

// layerAuthorisedSignature is not a disagreement: rule 4.2.1 of room
// version 8 ("If the event is not validly signed by the homeserver of the
// user ID denoted by the key, reject") is checked by gomatrixserverlib's
// VerifyEventSignatures rather than its Allowed, while our Allowed checks it
// (and our VerifyEventSignatures checks the signature itself).
const layerAuthorisedSignature = "join_authorised_via_users_server signature checked at signature verification"

// knownGmslDeviation returns the known deviation that explains why
// gomatrixserverlib (answer theirs) disagrees with us on ev, or "".
func knownGmslDeviation(rm *room, ev *event.Event, state map[auth.StateKey]*event.Event, ours, theirs error) string {
	var re *auth.RuleError
	if errors.As(ours, &re) && re.Rule == auth.RuleMemberAuthorisedSignature && theirs == nil {
		return layerAuthorisedSignature
	}
	switch ev.Type() {
	case typeMember:
		if sk := ev.StateKey(); sk != nil && *sk != ev.Sender() && membershipOf(ev) == "leave" && theirs == nil &&
			errors.As(ours, &re) && re.Rule == auth.RuleLeaveKick {
			if m, ok := state[auth.StateKey{Type: typeMember, StateKey: *sk}]; ok && membershipOf(m) == "ban" {
				return deviationUnban
			}
		}
		if !ev.StateKeyEquals(ev.Sender()) {
			return ""
		}
		membership := membershipOf(ev)
		cur := "leave"
		if m, ok := state[auth.StateKey{Type: typeMember, StateKey: ev.Sender()}]; ok {
			cur = membershipOf(m)
		}
		if membership == "leave" && cur == "leave" && theirs == nil {
			return deviationSelfLeave
		}
		if jr, ok := state[auth.StateKey{Type: typeJoinRules}]; ok && membership == "join" && cur == "knock" &&
			gjson.GetBytes(jr.Content(), "join_rule").Str == "public" && ours == nil {
			return deviationKnockThenPublicJoin
		}
	case typePowerLevels:
		old, ok := state[auth.StateKey{Type: typePowerLevels}]
		if ok && ev.StateKeyEquals("") && powerLevelsDefaultsMatter(old.Content(), ev.Content()) {
			return deviationPowerLevelDefaults
		}
		if ok && ours == nil && rm.rules.PrivilegedCreators && slices.Contains(auth.RoomCreators(rm.rules, rm.create), ev.Sender()) &&
			gjson.GetBytes(old.Content(), "notifications").Raw != gjson.GetBytes(ev.Content(), "notifications").Raw {
			return deviationCreatorNotifications
		}
		if ok && ours == nil && notificationAtSenderLevel(rm, old, ev) {
			return deviationNotificationsAtSenderLevel
		}
	}
	return ""
}

// notificationAtSenderLevel reports whether the change touches a
// notifications entry whose current value is the sender's own level.
func notificationAtSenderLevel(rm *room, old, ev *event.Event) bool {
	pl, err := auth.EffectivePowerLevels(rm.rules, old, rm.create)
	if err != nil {
		return false
	}
	level := pl.UserLevel(ev.Sender())
	o, n := gjson.GetBytes(old.Content(), "notifications").Map(), gjson.GetBytes(ev.Content(), "notifications").Map()
	for k, v := range o {
		if v.Raw != n[k].Raw && v.Int() == level {
			return true
		}
	}
	return false
}

// membershipOf is content.membership of a member event.
func membershipOf(ev *event.Event) string {
	return gjson.GetBytes(ev.Content(), "membership").Str
}

// powerLevelsDefaultsMatter reports whether a power levels change is one
// where gomatrixserverlib's reading differs from the rules': users_default
// changes, a top-level level or a users, events or notifications entry is
// in only one of the two contents.
func powerLevelsDefaultsMatter(oldRaw, newRaw json.RawMessage) bool {
	if gjson.GetBytes(oldRaw, "users_default").Raw != gjson.GetBytes(newRaw, "users_default").Raw {
		return true
	}
	for _, k := range []string{"ban", "kick", "redact", "invite", "state_default", "events_default"} {
		if gjson.GetBytes(oldRaw, k).Exists() != gjson.GetBytes(newRaw, k).Exists() {
			return true
		}
	}
	for _, k := range []string{"users", "events", "notifications"} {
		o, n := gjson.GetBytes(oldRaw, k).Map(), gjson.GetBytes(newRaw, k).Map()
		for key := range o {
			if _, ok := n[key]; !ok {
				return true
			}
		}
		for key := range n {
			if _, ok := o[key]; !ok {
				return true
			}
		}
	}
	return false
}
