package auth

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/ocomms/ocomms/spec/b64"
	"github.com/ocomms/ocomms/spec/event"
	"github.com/ocomms/ocomms/spec/signing"
)

// identityKey is an identity server key made from a fixed seed.
func identityKey(t *testing.T, seed byte) signing.SigningKey {
	t.Helper()
	k, err := signing.NewSigningKey("ed25519:0", bytes.Repeat([]byte{seed}, ed25519.SeedSize))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// signedBlock is the identity server's signed object binding token to mxid.
func signedBlock(t *testing.T, key signing.SigningKey, mxid, token string) string {
	t.Helper()
	unsigned, err := json.Marshal(map[string]string{"mxid": mxid, "token": token, "sender": carol})
	if err != nil {
		t.Fatal(err)
	}
	signed, err := signing.SignJSON("id.example", key, unsigned)
	if err != nil {
		t.Fatal(err)
	}
	return string(signed)
}

// thirdPartyRoom adds carol's m.room.third_party_invite for token "tok",
// carrying key1 as public_key and key2 in public_keys.
func thirdPartyRoom(t *testing.T) func(r *room) {
	return func(r *room) {
		pub1, pub2 := identityKey(t, 1).Public(), identityKey(t, 2).Public()
		r.set(typeThirdPartyInvite, "tok", carol, fmt.Sprintf(
			`{"display_name":"m…@e.example","key_validity_url":"https://id.example/_matrix/identity/v2/pubkey/isvalid","public_key":%q,"public_keys":[{"public_key":"not base64!"},{"public_key":%q}]}`,
			b64.Encode(pub1), b64.EncodeURLSafe(pub2)))
	}
}

// thirdPartyInvite is sender's invite of target redeeming the signed block.
func thirdPartyInvite(sender, target, signed string) func(r *room) event.PDU {
	return func(r *room) event.PDU {
		tpi := `{"display_name":"m…@e.example"}`
		if signed != "" {
			tpi = `{"display_name":"m…@e.example","signed":` + signed + `}`
		}
		return r.ev(typeMember, target, sender, `{"membership":"invite","third_party_invite":`+tpi+`}`)
	}
}

func TestAllowedThirdPartyInvite(t *testing.T) {
	k1, k2, other := identityKey(t, 1), identityKey(t, 2), identityKey(t, 3)
	good := signedBlock(t, k1, mallory, "tok")
	runAllowed(t, []allowedCase{
		{name: "third-party invite rule allows a signature by the public_key", versions: "1-12",
			setup: thirdPartyRoom(t), event: thirdPartyInvite(carol, mallory, good)},
		{name: "third-party invite rule allows a signature by a key in public_keys", versions: "1-12",
			setup: thirdPartyRoom(t), event: thirdPartyInvite(carol, mallory, signedBlock(t, k2, mallory, "tok"))},
		{name: "third-party invite rule needs no membership or invite level of the sender", versions: "1-12",
			setup: func(r *room) {
				thirdPartyRoom(t)(r)
				setPowerLevels(r, `"invite":100`)
				r.set(typeMember, carol, carol, `{"membership":"leave"}`)
			},
			event: thirdPartyInvite(carol, mallory, good)},
		{name: "third-party invite rule allows any valid signature among invalid ones", versions: "1-12",
			setup: thirdPartyRoom(t),
			event: func(r *room) event.PDU {
				var s map[string]any
				if err := json.Unmarshal([]byte(good), &s); err != nil {
					t.Fatal(err)
				}
				sigs := s["signatures"].(map[string]any)
				sigs["aaa.example"] = map[string]string{"ed25519:0": b64.Encode(make([]byte, 64))}
				sigs["id.example"].(map[string]any)["ed25519:a"] = b64.Encode(make([]byte, 64))
				b, err := json.Marshal(s)
				if err != nil {
					t.Fatal(err)
				}
				return thirdPartyInvite(carol, mallory, string(b))(r)
			}},
		{name: "third-party invite rule rejects a banned target", versions: "1-12",
			setup: thirdPartyRoom(t), event: thirdPartyInvite(carol, erin, signedBlock(t, k1, erin, "tok")),
			want: RuleThirdPartyInviteTargetBanned},
		{name: "third-party invite rule rejects a third_party_invite without signed", versions: "1-12",
			setup: thirdPartyRoom(t), event: thirdPartyInvite(carol, mallory, ""),
			want: RuleThirdPartyInviteSigned},
		{name: "third-party invite rule rejects a third_party_invite that is not an object", versions: "1-12",
			setup: thirdPartyRoom(t),
			event: func(r *room) event.PDU {
				return r.ev(typeMember, mallory, carol, `{"membership":"invite","third_party_invite":"tok"}`)
			},
			want: RuleThirdPartyInviteSigned},
		{name: "third-party invite rule rejects signed without a token", versions: "1-12",
			setup: thirdPartyRoom(t), event: thirdPartyInvite(carol, mallory, fmt.Sprintf(`{"mxid":%q,"signatures":{}}`, mallory)),
			want: RuleThirdPartyInviteMxidToken},
		{name: "third-party invite rule rejects signed without an mxid", versions: "1-12",
			setup: thirdPartyRoom(t), event: thirdPartyInvite(carol, mallory, `{"token":"tok","signatures":{}}`),
			want: RuleThirdPartyInviteMxidToken},
		{name: "third-party invite rule rejects an mxid other than the state key", versions: "1-12",
			setup: thirdPartyRoom(t), event: thirdPartyInvite(carol, dave, good),
			want: RuleThirdPartyInviteMxid},
		{name: "third-party invite rule rejects a token without an m.room.third_party_invite", versions: "1-12",
			setup: thirdPartyRoom(t), event: thirdPartyInvite(carol, mallory, signedBlock(t, k1, mallory, "other")),
			want: RuleThirdPartyInviteToken},
		{name: "third-party invite rule rejects a sender who did not send the m.room.third_party_invite", versions: "1-12",
			setup: thirdPartyRoom(t), event: thirdPartyInvite(bob, mallory, good),
			want: RuleThirdPartyInviteSender},
		{name: "third-party invite rule rejects a signature by another key", versions: "1-12",
			setup: thirdPartyRoom(t), event: thirdPartyInvite(carol, mallory, signedBlock(t, other, mallory, "tok")),
			want: RuleThirdPartyInviteSignature},
		{name: "third-party invite rule rejects a signed object changed after signing", versions: "1-12",
			setup: thirdPartyRoom(t),
			event: thirdPartyInvite(carol, mallory, string(bytes.Replace([]byte(good), []byte(`"sender":"@carol`), []byte(`"sender":"@bobby`), 1))),
			want:  RuleThirdPartyInviteSignature},
		{name: "third-party invite rule rejects signed without signatures", versions: "1-12",
			setup: thirdPartyRoom(t), event: thirdPartyInvite(carol, mallory, fmt.Sprintf(`{"mxid":%q,"token":"tok"}`, mallory)),
			want: RuleThirdPartyInviteSignature},
	})
}
