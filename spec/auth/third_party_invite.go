package auth

import (
	"crypto/ed25519"
	"encoding/json"
	"slices"
	"strings"

	"github.com/ocomms/ocomms/spec/b64"
	"github.com/ocomms/ocomms/spec/signing"
)

// checkThirdPartyInvite is the membership=invite rule for an invite that
// redeems a third-party invite: the identity server that the
// m.room.third_party_invite named has signed the binding of the invited
// third-party identifier to the target user. Such an invite needs no
// membership or power level of the sender beyond having sent the
// m.room.third_party_invite.
// https://spec.matrix.org/latest/rooms/v12/#authorization-rules
// https://spec.matrix.org/latest/server-server-api/#verifying-the-invite
func (c *checker) checkThirdPartyInvite(raw json.RawMessage, target string) error {
	rules, sender := c.rules, c.ev.Sender()
	if c.membership(target) == membershipBan {
		return reject(rules, RuleThirdPartyInviteTargetBanned, "%s is banned", target)
	}
	tpi, _ := object(raw)
	signedRaw := tpi["signed"]
	signed, ok := object(signedRaw)
	if !ok {
		return reject(rules, RuleThirdPartyInviteSigned, "third_party_invite has no signed object")
	}
	mxid, hasMxid := stringMember(signed, "mxid")
	token, hasToken := stringMember(signed, "token")
	if !hasMxid || !hasToken {
		return reject(rules, RuleThirdPartyInviteMxidToken, "signed has no string mxid or token")
	}
	if mxid != target {
		return reject(rules, RuleThirdPartyInviteMxid, "mxid %s is not the state_key %s", mxid, target)
	}
	invite := c.state.StateEvent(typeThirdPartyInvite, token)
	if invite == nil {
		return reject(rules, RuleThirdPartyInviteToken, "no m.room.third_party_invite for token %q", token)
	}
	if invite.Sender() != sender {
		return reject(rules, RuleThirdPartyInviteSender, "%s did not send the m.room.third_party_invite, %s did", sender, invite.Sender())
	}
	if verifiesWithAny(signedRaw, signed, inviteKeys(invite.Content())) {
		return nil
	}
	return reject(rules, RuleThirdPartyInviteSignature, "no signature of signed verifies with a key of the m.room.third_party_invite")
}

// inviteKeys are the public keys of an m.room.third_party_invite: public_key
// and every public_keys[].public_key, decoded. Keys that are not valid
// base64 ed25519 keys cannot verify anything and are left out.
// https://spec.matrix.org/latest/client-server-api/#mroomthird_party_invite
func inviteKeys(content json.RawMessage) []ed25519.PublicKey {
	m, _ := object(content)
	var out []ed25519.PublicKey
	add := func(raw json.RawMessage) {
		s, ok := asString(raw)
		if !ok {
			return
		}
		k, err := b64.Decode(s)
		if err != nil || len(k) != ed25519.PublicKeySize {
			return
		}
		out = append(out, ed25519.PublicKey(k))
	}
	if raw, ok := m["public_key"]; ok {
		add(raw)
	}
	var list []json.RawMessage
	if raw, ok := m["public_keys"]; ok && isArray(raw) && json.Unmarshal(raw, &list) == nil {
		for _, entry := range list {
			if e, ok := object(entry); ok {
				if raw, ok := e["public_key"]; ok {
					add(raw)
				}
			}
		}
	}
	return out
}

// verifiesWithAny reports whether any ed25519 signature in signed verifies
// with any of the keys. Every signature is tried against every key, as the
// rule says "any signature ... matches any public key".
func verifiesWithAny(signedRaw json.RawMessage, signed map[string]json.RawMessage, keys []ed25519.PublicKey) bool {
	if len(keys) == 0 {
		return false
	}
	sigs, ok := object(signed["signatures"])
	if !ok {
		return false
	}
	servers := make([]string, 0, len(sigs))
	for server := range sigs {
		servers = append(servers, server)
	}
	slices.Sort(servers)
	for _, server := range servers {
		byKey, ok := object(sigs[server])
		if !ok {
			continue
		}
		for keyID := range byKey {
			if !strings.HasPrefix(keyID, "ed25519:") {
				continue
			}
			for _, k := range keys {
				if signing.VerifyJSON(server, signing.KeyID(keyID), k, signedRaw) == nil {
					return true
				}
			}
		}
	}
	return false
}
