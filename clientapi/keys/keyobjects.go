package keys

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/ocomms/ocomms/spec/b64"
	"github.com/ocomms/ocomms/spec/canonicaljson"
	"github.com/ocomms/ocomms/spec/errcode"
	"github.com/ocomms/ocomms/spec/signing"
)

// Algorithms of one-time and fallback keys a device can upload and
// others can claim. signed_curve25519 is what Olm uses; curve25519 is the
// unsigned form of early clients.
//
// https://spec.matrix.org/latest/client-server-api/#key-algorithms
var oneTimeKeyAlgorithms = []string{"signed_curve25519", "curve25519"}

// deviceKeys is the spec's DeviceKeys object.
type deviceKeys struct {
	UserID     string                       `json:"user_id"`
	DeviceID   string                       `json:"device_id"`
	Algorithms []string                     `json:"algorithms"`
	Keys       map[string]string            `json:"keys"`
	Signatures map[string]map[string]string `json:"signatures"`
}

// checkDeviceKeys validates device keys uploaded by userID's deviceID: they
// must name that user and device and be signed by the device's own ed25519
// key. It returns the canonical JSON to store (without "unsigned") and the
// ed25519 key.
func checkDeviceKeys(raw json.RawMessage, userID, deviceID string) ([]byte, string, error) {
	var dk deviceKeys
	if err := json.Unmarshal(raw, &dk); err != nil {
		return nil, "", errcode.BadJSON("device_keys: " + err.Error())
	}
	switch {
	case dk.UserID != userID:
		return nil, "", errcode.InvalidParam("device_keys.user_id does not match the authenticated user")
	case dk.DeviceID != deviceID:
		return nil, "", errcode.InvalidParam("device_keys.device_id does not match the authenticated device")
	case dk.Algorithms == nil:
		return nil, "", errcode.BadJSON("device_keys.algorithms is required")
	case dk.Signatures == nil:
		return nil, "", errcode.BadJSON("device_keys.signatures is required")
	}
	keyID := signing.AlgorithmEd25519 + ":" + deviceID
	pub, ok := dk.Keys[keyID]
	if !ok {
		return nil, "", errcode.BadJSON("device_keys.keys has no " + keyID + " key")
	}
	for name := range dk.Keys {
		if alg, dev, ok := strings.Cut(name, ":"); !ok || alg == "" || dev != deviceID {
			return nil, "", errcode.InvalidParam(fmt.Sprintf("device_keys.keys: %q is not <algorithm>:%s", name, deviceID))
		}
	}
	stored, err := canonicaljson.CanonicalizeWithout(raw, "unsigned")
	if err != nil {
		return nil, "", errcode.BadJSON("device_keys: " + err.Error())
	}
	if err := verify(stored, userID, keyID, pub); err != nil {
		return nil, "", err
	}
	return stored, pub, nil
}

// verify checks the signature of signer's key keyID (public key pub, in
// unpadded base64) on a JSON object, answering M_INVALID_SIGNATURE.
func verify(object []byte, signer, keyID, pub string) error {
	key, err := b64.Decode(pub)
	if err != nil || len(key) != ed25519.PublicKeySize {
		return errcode.InvalidSignature(fmt.Sprintf("%s is not an ed25519 public key", keyID))
	}
	err = signing.VerifyJSON(signer, signing.KeyID(keyID), ed25519.PublicKey(key), object)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, signing.ErrMissingSignature):
		return errcode.InvalidSignature(fmt.Sprintf("not signed by %s's key %s", signer, keyID))
	default:
		return errcode.InvalidSignature(fmt.Sprintf("invalid signature by %s's key %s", signer, keyID))
	}
}

// oneTimeKey is one uploaded one-time or fallback key.
type oneTimeKey struct {
	algorithm, keyID string
	json             []byte // canonical
}

// parseOneTimeKeys validates a one_time_keys or fallback_keys map. Signed
// keys are checked against the device's ed25519 key when it is known
// (devicePub != ""): a claimer would refuse a badly signed key anyway, and
// refusing it here tells the uploading client its bug.
func parseOneTimeKeys(field string, raw map[string]json.RawMessage, userID, deviceID, devicePub string) ([]oneTimeKey, error) {
	out := make([]oneTimeKey, 0, len(raw))
	for name, value := range raw {
		alg, keyID, ok := strings.Cut(name, ":")
		if !ok || alg == "" || keyID == "" {
			return nil, errcode.InvalidParam(fmt.Sprintf("%s: %q is not <algorithm>:<key_id>", field, name))
		}
		if !slices.Contains(oneTimeKeyAlgorithms, alg) {
			return nil, errcode.InvalidParam(fmt.Sprintf("%s: unsupported key algorithm %q", field, alg))
		}
		canonical, err := canonicaljson.Canonicalize(value)
		if err != nil {
			return nil, errcode.BadJSON(fmt.Sprintf("%s.%s: %v", field, name, err))
		}
		if err := checkKeyObject(canonical, alg, userID, deviceID, devicePub); err != nil {
			return nil, fmt.Errorf("%s.%s: %w", field, name, err)
		}
		out = append(out, oneTimeKey{algorithm: alg, keyID: keyID, json: canonical})
	}
	// Keys of one upload are equivalent; a stable order makes claims
	// reproducible.
	slices.SortFunc(out, func(a, b oneTimeKey) int { return strings.Compare(a.algorithm+":"+a.keyID, b.algorithm+":"+b.keyID) })
	return out, nil
}

// checkKeyObject checks one key: a string for curve25519, a signed
// KeyObject for signed_curve25519.
func checkKeyObject(canonical []byte, alg, userID, deviceID, devicePub string) error {
	if alg == "curve25519" {
		var s string
		if err := json.Unmarshal(canonical, &s); err != nil {
			return errcode.BadJSON("a curve25519 key is a string")
		}
		return nil
	}
	var obj struct {
		Key        string                       `json:"key"`
		Signatures map[string]map[string]string `json:"signatures"`
	}
	if err := json.Unmarshal(canonical, &obj); err != nil || obj.Key == "" || obj.Signatures == nil {
		return errcode.BadJSON("a signed key is an object with key and signatures")
	}
	if devicePub == "" {
		return nil
	}
	return verify(canonical, userID, signing.AlgorithmEd25519+":"+deviceID, devicePub)
}

// withSignatures returns a stored key object with extra signatures merged
// into its own and, when unsigned is not nil, an "unsigned" member.
func withSignatures(stored string, extra map[string]map[string]string, unsigned map[string]any) (json.RawMessage, error) {
	if len(extra) == 0 && unsigned == nil {
		return json.RawMessage(stored), nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal([]byte(stored), &obj); err != nil {
		return nil, fmt.Errorf("decoding a stored key: %w", err)
	}
	if len(extra) > 0 {
		sigs := map[string]map[string]string{}
		if raw, ok := obj["signatures"]; ok {
			if err := json.Unmarshal(raw, &sigs); err != nil {
				return nil, fmt.Errorf("decoding a stored key's signatures: %w", err)
			}
		}
		for user, byKey := range extra {
			if sigs[user] == nil {
				sigs[user] = map[string]string{}
			}
			for k, v := range byKey {
				sigs[user][k] = v
			}
		}
		b, _ := json.Marshal(sigs)
		obj["signatures"] = b
	}
	if unsigned != nil {
		b, _ := json.Marshal(unsigned)
		obj["unsigned"] = b
	}
	out, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("encoding a key: %w", err)
	}
	return out, nil
}
