package signing

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/ocomms/ocomms/spec/b64"
	"github.com/ocomms/ocomms/spec/canonicaljson"
)

// Errors about signatures.
var (
	ErrMissingSignature     = errors.New("signing: no signature from this entity and key")
	ErrBadSignature         = errors.New("signing: signature does not verify")
	ErrMalformedSignatures  = errors.New(`signing: "signatures" is not an object of objects of strings`)
	ErrUnsupportedAlgorithm = errors.New("signing: unsupported signing algorithm")
)

// SignJSON signs a JSON object on behalf of signingName (a server name, or
// a user ID for device keys) with key: the canonical JSON of the object
// without "signatures" and "unsigned" is signed, and the result is the
// canonical JSON of the object with the signature added to "signatures"
// (keeping every other signature there) and "unsigned" put back.
//
// https://spec.matrix.org/latest/appendices/#signing-details
func SignJSON(signingName string, key SigningKey, message []byte) ([]byte, error) {
	if len(key.Private) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("%w: private key is %d bytes", ErrInvalidKey, len(key.Private))
	}
	if key.ID.Algorithm() != AlgorithmEd25519 {
		return nil, fmt.Errorf("%w %q", ErrUnsupportedAlgorithm, key.ID.Algorithm())
	}
	if !utf8.ValidString(signingName) || !utf8.ValidString(string(key.ID)) {
		return nil, fmt.Errorf("%w: signing name or key ID is not UTF-8", canonicaljson.ErrInvalidUTF8)
	}
	signed, values, err := canonicaljson.SplitObjectLenient(message, "signatures", "unsigned")
	if err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	signatures, err := decodeSignatures(values[0])
	if err != nil {
		return nil, err
	}
	if signatures == nil {
		signatures = map[string]map[string]string{}
	}
	if signatures[signingName] == nil {
		signatures[signingName] = map[string]string{}
	}
	signatures[signingName][string(key.ID)] = b64.Encode(ed25519.Sign(key.Private, signed))
	signaturesJSON, err := json.Marshal(signatures)
	if err != nil {
		return nil, fmt.Errorf("signing: encode signatures: %w", err)
	}

	out := make([]byte, 0, len(signed)+len(signaturesJSON)+len(values[1])+32)
	out = append(out, signed[:len(signed)-1]...)
	if len(signed) > len("{}") {
		out = append(out, ',')
	}
	out = append(out, `"signatures":`...)
	out = append(out, signaturesJSON...)
	if values[1] != nil {
		out = append(out, `,"unsigned":`...)
		out = append(out, values[1]...)
	}
	out = append(out, '}')
	// Put "signatures" and "unsigned" in their sorted places.
	return canonicaljson.CanonicalizeLenient(out)
}

// VerifyJSON checks that message carries a valid signature by signingName
// with the key keyID, whose public key is publicKey. Finding the public
// key (from the server's published keys, a notary, or a device's keys) is
// the caller's part of the algorithm.
//
// https://spec.matrix.org/latest/appendices/#checking-for-a-signature
func VerifyJSON(signingName string, keyID KeyID, publicKey ed25519.PublicKey, message []byte) error {
	if keyID.Algorithm() != AlgorithmEd25519 {
		return fmt.Errorf("%w %q", ErrUnsupportedAlgorithm, keyID.Algorithm())
	}
	if len(publicKey) != ed25519.PublicKeySize {
		return fmt.Errorf("%w: public key is %d bytes", ErrInvalidKey, len(publicKey))
	}
	signed, values, err := canonicaljson.SplitObjectLenient(message, "signatures", "unsigned")
	if err != nil {
		return fmt.Errorf("signing: %w", err)
	}
	signatures, err := decodeSignatures(values[0])
	if err != nil {
		return err
	}
	encoded, ok := signatures[signingName][string(keyID)]
	if !ok {
		return fmt.Errorf("%w: %s %s", ErrMissingSignature, signingName, keyID)
	}
	signature, err := b64.Decode(encoded)
	if err != nil {
		return fmt.Errorf("%w: %s %s: %w", ErrBadSignature, signingName, keyID, err)
	}
	if len(signature) != ed25519.SignatureSize || !ed25519.Verify(publicKey, signed, signature) {
		return fmt.Errorf("%w: %s %s", ErrBadSignature, signingName, keyID)
	}
	return nil
}

// Signatures returns the signatures a JSON object carries, by signing name
// and key ID, still base64-encoded. An object without "signatures" has none.
func Signatures(message []byte) (map[string]map[KeyID]string, error) {
	_, values, err := canonicaljson.SplitObjectLenient(message, "signatures")
	if err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	signatures, err := decodeSignatures(values[0])
	if err != nil {
		return nil, err
	}
	out := make(map[string]map[KeyID]string, len(signatures))
	for name, byKey := range signatures {
		out[name] = make(map[KeyID]string, len(byKey))
		for id, sig := range byKey {
			out[name][KeyID(id)] = sig
		}
	}
	return out, nil
}

// decodeSignatures reads the canonical value of "signatures"; nil (absent)
// gives no signatures.
func decodeSignatures(raw []byte) (map[string]map[string]string, error) {
	if raw == nil {
		return nil, nil
	}
	var signatures map[string]map[string]string
	if err := json.Unmarshal(raw, &signatures); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformedSignatures, err)
	}
	return signatures, nil
}
