package event

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ocomms/ocomms/spec/signing"
)

// Readers of single PDU fields, with the error each format violation gets.

func parseHashes(o object) (map[string]string, error) {
	raw, ok := o["hashes"]
	if !ok {
		return nil, fmt.Errorf("%w: hashes", ErrMissingField)
	}
	hashes, ok := stringMap(raw)
	if !ok {
		return nil, fmt.Errorf("%w: hashes must be an object of strings", ErrInvalidField)
	}
	if _, ok := hashes["sha256"]; !ok {
		return nil, fmt.Errorf("%w: hashes.sha256", ErrMissingField)
	}
	return hashes, nil
}

func parseSignatures(o object) (map[string]map[signing.KeyID]string, error) {
	raw, ok := o["signatures"]
	if !ok {
		return nil, fmt.Errorf("%w: signatures", ErrMissingField)
	}
	if !isObject(raw) {
		return nil, fmt.Errorf("%w: signatures must be an object", ErrInvalidField)
	}
	servers, err := splitObject(raw)
	if err != nil {
		return nil, err
	}
	sigs := make(map[string]map[signing.KeyID]string, len(servers))
	for server, rawKeys := range servers {
		keys, ok := stringMap(rawKeys)
		if !ok {
			return nil, fmt.Errorf("%w: signatures of %q must be an object of strings", ErrInvalidField, server)
		}
		byKey := make(map[signing.KeyID]string, len(keys))
		for k, v := range keys {
			byKey[signing.KeyID(k)] = v
		}
		sigs[server] = byKey
	}
	return sigs, nil
}

func requiredString(o object, key string) (string, error) {
	raw, ok := o[key]
	if !ok {
		return "", fmt.Errorf("%w: %s", ErrMissingField, key)
	}
	s, ok := jsonString(raw)
	if !ok {
		return "", fmt.Errorf("%w: %s must be a string", ErrInvalidField, key)
	}
	return s, nil
}

func requiredInt(o object, key string) (int64, error) {
	raw, ok := o[key]
	if !ok {
		return 0, fmt.Errorf("%w: %s", ErrMissingField, key)
	}
	n, ok := jsonInt(raw)
	if !ok {
		return 0, fmt.Errorf("%w: %s must be an integer", ErrInvalidField, key)
	}
	return n, nil
}

func requiredObject(o object, key string) (json.RawMessage, error) {
	raw, ok := o[key]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrMissingField, key)
	}
	if !isObject(raw) {
		return nil, fmt.Errorf("%w: %s must be an object", ErrInvalidField, key)
	}
	return raw, nil
}

// serverNameOf returns what follows the first colon of a sigil-prefixed
// identifier, the server name of a user ID or of a room version 1 event ID.
// Identifier grammar is checked elsewhere; signature checks only need the
// server name.
//
// https://spec.matrix.org/latest/appendices/#common-identifier-format
func serverNameOf(id string) (string, bool) {
	_, server, ok := strings.Cut(id, ":")
	if !ok || server == "" {
		return "", false
	}
	return server, true
}

// userServerName is serverNameOf for an identifier with the @ sigil.
func userServerName(userID string) (string, bool) {
	if !strings.HasPrefix(userID, "@") {
		return "", false
	}
	return serverNameOf(userID)
}
