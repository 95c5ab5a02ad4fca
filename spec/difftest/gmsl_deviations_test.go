package difftest

import (
	"encoding/json"
	"errors"
	"maps"

	"github.com/matrix-org/gomatrixserverlib"
	"github.com/tidwall/gjson"

	"github.com/ocomms/ocomms/spec/auth"
	"github.com/ocomms/ocomms/spec/event"
)

// gomatrixserverlib departs from the authorization rules in a few known
// ways, each written in its source as deliberate. A disagreement with it is
// accepted when it is one of these and we follow the spec; every other
// disagreement fails the test. The tests log how often each occurred.

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
		if !ev.StateKeyEquals("") {
			return ""
		}
		old, ok := state[auth.StateKey{Type: typePowerLevels}]
		if !ok {
			return ""
		}
		// Rewrite both contents the way gomatrixserverlib reads them and
		// ask our rules again: if they now give gomatrixserverlib's
		// answer, the defaults explain the difference.
		oldC, newC := gmslNormalizePowerLevels(rm, old.Content(), ev.Content())
		if oldC == "" {
			return ""
		}
		st := maps.Clone(state)
		saved := rm.tips
		st[auth.StateKey{Type: typePowerLevels}] = rm.build(rm.template(old.Sender(), typePowerLevels, ptr(""), oldC))
		cand := rm.build(rm.template(ev.Sender(), typePowerLevels, ptr(""), newC))
		rm.tips = saved
		if again := auth.Allowed(rm.rules, cand, stateMap(st)); (again == nil) == (theirs == nil) {
			return deviationPowerLevelDefaults
		}
	}
	return ""
}

// membershipOf is content.membership of a member event.
func membershipOf(ev *event.Event) string {
	return gjson.GetBytes(ev.Content(), "membership").Str
}

// gmslNormalizePowerLevels makes every users, events and notifications
// entry that one content has explicit in the other, with that content's
// default, and gives the new content the old users_default.
func gmslNormalizePowerLevels(rm *room, oldRaw, newRaw json.RawMessage) (string, string) {
	var o, n map[string]any
	if json.Unmarshal(oldRaw, &o) != nil || json.Unmarshal(newRaw, &n) != nil {
		return "", ""
	}
	var oldPL, newPL gomatrixserverlib.PowerLevelContent
	if rm.gv.ParsePowerLevels(oldRaw, &oldPL) != nil || rm.gv.ParsePowerLevels(newRaw, &newPL) != nil {
		return "", ""
	}
	creators := map[string]bool{}
	for _, c := range auth.RoomCreators(rm.rules, rm.create) {
		creators[c] = rm.rules.PrivilegedCreators
	}
	fill := func(key string, dflt func(pl gomatrixserverlib.PowerLevelContent) int64) {
		om, _ := o[key].(map[string]any)
		nm, _ := n[key].(map[string]any)
		if om == nil {
			om = map[string]any{}
		}
		if nm == nil {
			nm = map[string]any{}
		}
		for k := range om {
			if _, ok := nm[k]; !ok && !creators[k] {
				nm[k] = dflt(newPL)
			}
		}
		for k := range nm {
			if _, ok := om[k]; !ok && !creators[k] {
				om[k] = dflt(oldPL)
			}
		}
		o[key], n[key] = om, nm
	}
	fill("users", func(pl gomatrixserverlib.PowerLevelContent) int64 { return pl.UsersDefault })
	fill("events", func(pl gomatrixserverlib.PowerLevelContent) int64 { return pl.EventsDefault })
	fill("notifications", func(gomatrixserverlib.PowerLevelContent) int64 { return 50 })
	if v, ok := o["users_default"]; ok {
		n["users_default"] = v
	} else {
		delete(n, "users_default")
	}
	return mustJSON(o), mustJSON(n)
}
