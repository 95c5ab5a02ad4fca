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
// Content is read through this rather than into structs because
// encoding/json matches struct fields case-insensitively, and the rules must
// see "membership" and never "Membership".
func object(raw []byte) (map[string]json.RawMessage, bool) {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 || raw[0] != '{' {
		return nil, false
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
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
func asString(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}

// contentString returns content[key] if content is an object and the value a
// string.
func contentString(content []byte, key string) (string, bool) {
	m, ok := object(content)
	if !ok {
		return "", false
	}
	return stringMember(m, key)
}
