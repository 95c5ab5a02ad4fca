package event

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/ocomms/ocomms/spec/b64"
	"github.com/ocomms/ocomms/spec/roomversion"
	"github.com/ocomms/ocomms/spec/signing"
)

// KeyResolver returns a server's public key for a key ID and the time
// (milliseconds since the epoch) until which the key is valid: the lesser
// of its valid_until_ts and seven days from now, or an old key's
// expired_ts. An error means the key is unknown; that signature is then
// skipped, as the spec asks.
//
// https://spec.matrix.org/latest/rooms/v5/#signing-key-validity-period
type KeyResolver func(serverName string, keyID signing.KeyID) (publicKey ed25519.PublicKey, validUntilTS int64, err error)

// ErrKeyExpired is reported (inside ErrMissingSignature) for a signature by
// a key that was no longer valid at the event's origin_server_ts.
var ErrKeyExpired = errors.New("event: signing key expired before origin_server_ts")

// SignEvent adds the content hash and the origin's signature to an event:
// hashes.sha256 is set, the redacted form is signed and the signature is
// copied back to the full event, next to any signatures already there. It
// returns the event as canonical JSON. raw need not be a complete PDU.
//
// https://spec.matrix.org/latest/server-server-api/#adding-hashes-and-signatures-to-outgoing-events
func SignEvent(rules roomversion.Rules, raw []byte, origin string, key signing.SigningKey) ([]byte, error) {
	h, err := ContentHash(rules, raw)
	if err != nil {
		return nil, err
	}
	o, err := decodeCanonical(rules, raw)
	if err != nil {
		return nil, err
	}
	hashes := object{}
	if rawHashes, ok := o["hashes"]; ok {
		if !isObject(rawHashes) {
			return nil, fmt.Errorf("%w: hashes must be an object", ErrInvalidField)
		}
		if hashes, err = splitObject(rawHashes); err != nil {
			return nil, err
		}
	}
	hashes["sha256"] = stringValue(b64.Encode(h[:]))
	if o["hashes"], err = hashes.encodeCanonical(rules); err != nil {
		return nil, err
	}
	if err := addSignature(rules, o, origin, key); err != nil {
		return nil, err
	}
	return o.encodeCanonical(rules)
}

// Sign adds origin's signature to the event without touching its hashes,
// as a resident server does to a join it authorises in a restricted room.
//
// https://spec.matrix.org/latest/server-server-api/#restricted-rooms
func (e *Event) Sign(origin string, key signing.SigningKey) (*Event, error) {
	o, err := decodeObject(e.raw)
	if err != nil {
		return nil, err
	}
	if err := addSignature(e.rules, o, origin, key); err != nil {
		return nil, err
	}
	b, err := o.encodeCanonical(e.rules)
	if err != nil {
		return nil, err
	}
	return parse(e.rules, b, e.eventID)
}

// addSignature signs the redacted form of o and stores the resulting
// signatures object in o.
func addSignature(rules roomversion.Rules, o object, origin string, key signing.SigningKey) error {
	redacted, err := signedForm(rules, o)
	if err != nil {
		return err
	}
	signed, err := signing.SignJSON(origin, key, redacted)
	if err != nil {
		return fmt.Errorf("sign event as %s: %w", origin, err)
	}
	so, err := splitObject(signed)
	if err != nil {
		return fmt.Errorf("sign event as %s: %w", origin, err)
	}
	o["signatures"] = so["signatures"]
	return nil
}

// signedForm is the redacted event without unsigned, as canonical JSON:
// the bytes every signature on an event covers (with signatures, which
// the signing algorithm sets aside itself).
func signedForm(rules roomversion.Rules, o object) ([]byte, error) {
	r, err := redactObject(rules, o)
	if err != nil {
		return nil, err
	}
	delete(r, "unsigned")
	return r.encodeCanonical(rules)
}

// VerifyEventSignatures checks the signatures on the redacted event for
// every server that must have signed it:
//   - the sender's server, except for an invite from a third-party invite
//     (whose signature the auth rules check against the invite instead);
//   - in room versions 1 and 2, the server of the event ID;
//   - for a join through a restricted join rule (version 8+), the server of
//     join_authorised_via_users_server.
//
// For each such server, signatures by keys the resolver does not know are
// skipped, as are (version 5+) keys that expired before origin_server_ts;
// every remaining signature must verify, and at least one must remain.
// Whether the content hash matches is a separate check, CheckContentHash.
//
// https://spec.matrix.org/latest/server-server-api/#validating-hashes-and-signatures-on-received-events
func VerifyEventSignatures(rules roomversion.Rules, ev *Event, keys KeyResolver) error {
	if rules.ID != ev.rules.ID {
		return fmt.Errorf("%w: event of room version %q checked as %q", ErrUnsupportedRules, ev.rules.ID, rules.ID)
	}
	servers, err := requiredSigners(rules, ev)
	if err != nil {
		return err
	}
	if len(servers) == 0 {
		return nil
	}
	o, err := decodeObject(ev.raw)
	if err != nil {
		return err
	}
	signed, err := signedForm(rules, o)
	if err != nil {
		return err
	}
	for _, server := range servers {
		if err := verifyServer(rules, ev, signed, server, keys); err != nil {
			return err
		}
	}
	return nil
}

// RequiredSigners lists the servers whose signatures VerifyEventSignatures
// requires on the event.
func RequiredSigners(rules roomversion.Rules, ev *Event) ([]string, error) {
	return requiredSigners(rules, ev)
}

func requiredSigners(rules roomversion.Rules, ev *Event) ([]string, error) {
	var servers []string
	add := func(s string) {
		if !slices.Contains(servers, s) {
			servers = append(servers, s)
		}
	}
	var content object
	if ev.eventType == typeMember {
		var err error
		if content, err = splitObject(ev.content); err != nil {
			return nil, err
		}
	}
	membership, _ := jsonString(content["membership"])
	_, hasThirdPartyInvite := content["third_party_invite"]
	authorisedVia, hasAuthorisedVia := content["join_authorised_via_users_server"]

	thirdPartyInvite := ev.eventType == typeMember && membership == "invite" && hasThirdPartyInvite
	if !thirdPartyInvite {
		server, ok := userServerName(ev.sender)
		if !ok {
			return nil, fmt.Errorf("%w: sender %q is not a user ID", ErrInvalidField, ev.sender)
		}
		add(server)
	}
	if rules.EventIDFormat == roomversion.EventIDServerAssigned {
		server, ok := serverNameOf(ev.eventID)
		if !ok {
			return nil, fmt.Errorf("%w: event_id %q has no server name", ErrInvalidField, ev.eventID)
		}
		add(server)
	}
	if rules.RestrictedJoinRule && ev.eventType == typeMember && membership == "join" && hasAuthorisedVia {
		via, _ := jsonString(authorisedVia)
		server, ok := userServerName(via)
		if !ok {
			return nil, fmt.Errorf("%w: join_authorised_via_users_server %s is not a user ID", ErrInvalidField, authorisedVia)
		}
		add(server)
	}
	return servers, nil
}

// verifyServer applies the "Checking for a signature" algorithm of the
// appendix to one server, with the skipping rules of the federation API.
//
// https://spec.matrix.org/latest/appendices/#checking-for-a-signature
func verifyServer(rules roomversion.Rules, ev *Event, signed []byte, server string, keys KeyResolver) error {
	sigs := ev.signatures[server]
	keyIDs := make([]signing.KeyID, 0, len(sigs))
	for id := range sigs {
		if strings.HasPrefix(string(id), "ed25519:") {
			keyIDs = append(keyIDs, id)
		}
	}
	// Sorted so that the same event always gives the same error.
	slices.Sort(keyIDs)
	verified := 0
	var skipped []error
	for _, id := range keyIDs {
		pub, validUntil, err := keys(server, id)
		if err != nil {
			skipped = append(skipped, fmt.Errorf("key %s: %w", id, err))
			continue
		}
		if rules.EnforceKeyValidity && validUntil < ev.originServerTS {
			skipped = append(skipped, fmt.Errorf("key %s: %w (%d < %d)", id, ErrKeyExpired, validUntil, ev.originServerTS))
			continue
		}
		if err := signing.VerifyJSON(server, id, pub, signed); err != nil {
			return fmt.Errorf("%w: event %s, server %s, key %s: %w", ErrInvalidSignature, ev.eventID, server, id, err)
		}
		verified++
	}
	if verified > 0 {
		return nil
	}
	if len(skipped) == 0 {
		return fmt.Errorf("%w: event %s has no ed25519 signature from %s", ErrMissingSignature, ev.eventID, server)
	}
	return fmt.Errorf("%w: event %s, server %s: %w", ErrMissingSignature, ev.eventID, server, errors.Join(skipped...))
}
