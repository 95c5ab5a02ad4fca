package auth

import (
	"bytes"
	"encoding/json"
)

// Event types and content values the rules look at.
const (
	typeCreate           = "m.room.create"
	typeMember           = "m.room.member"
	typeJoinRules        = "m.room.join_rules"
	typePowerLevels      = "m.room.power_levels"
	typeThirdPartyInvite = "m.room.third_party_invite"
	typeAliases          = "m.room.aliases"
	typeRedaction        = "m.room.redaction"

	membershipJoin   = "join"
	membershipInvite = "invite"
	membershipLeave  = "leave"
	membershipBan    = "ban"
	membershipKnock  = "knock"

	joinRulePublic          = "public"
	joinRuleInvite          = "invite"
	joinRuleKnock           = "knock"
	joinRuleRestricted      = "restricted"
	joinRuleKnockRestricted = "knock_restricted"

	keyAuthorisingUser = "join_authorised_via_users_server"
)

// object decodes a JSON object into its members, keeping each value raw.
// Content is never read into structs because encoding/json matches struct
// fields case-insensitively, and the rules must see "membership" and never
// "Membership".
func object(raw []byte) (map[string]json.RawMessage, bool) {
	m := map[string]json.RawMessage{}
	if !members(raw, func(k string, v []byte) { m[k] = v }) {
		return nil, false
	}
	return m, true
}

// stringMember returns m[key] if it is a JSON string.
func stringMember(m map[string]json.RawMessage, key string) (string, bool) {
	raw, ok := m[key]
	if !ok {
		return "", false
	}
	return asString(raw)
}

// asString decodes raw if it is a JSON string.
func asString(raw []byte) (string, bool) {
	raw = bytes.TrimSpace(raw)
	s := scanner{b: raw}
	if !s.str() || s.i != len(raw) {
		return "", false
	}
	return decodeString(raw)
}

// contentString returns content[key] if content is an object and the value a
// string.
func contentString(content []byte, key string) (string, bool) {
	raw, ok := memberValue(content, key)
	if !ok {
		return "", false
	}
	return asString(raw)
}
