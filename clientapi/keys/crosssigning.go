package keys

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/gorilla/mux"

	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/spec/b64"
	"github.com/ocomms/ocomms/spec/canonicaljson"
	"github.com/ocomms/ocomms/spec/errcode"
	"github.com/ocomms/ocomms/spec/signing"
	"github.com/ocomms/ocomms/storage"
)

// Cross-signing key types, which are also their usage.
const (
	keyTypeMaster      = "master"
	keyTypeSelfSigning = "self_signing"
	keyTypeUserSigning = "user_signing"
)

func (k *Keys) registerCrossSigning(r *mux.Router) {
	k.handle(r, http.MethodPost, "/keys/device_signing/upload", k.postDeviceSigning)
}

type crossSigningKey struct {
	UserID     string                       `json:"user_id"`
	Usage      []string                     `json:"usage"`
	Keys       map[string]string            `json:"keys"`
	Signatures map[string]map[string]string `json:"signatures"`
}

// parsedKey is a checked cross-signing key.
type parsedKey struct {
	keyType string
	pub     string // unpadded base64
	json    []byte // canonical, without "unsigned"
}

// parseCrossSigningKey checks a CrossSigningKey of userID for keyType.
func parseCrossSigningKey(raw json.RawMessage, keyType, userID string) (*parsedKey, error) {
	field := keyType + "_key"
	var key crossSigningKey
	if err := json.Unmarshal(raw, &key); err != nil {
		return nil, errcode.BadJSON(field + ": " + err.Error())
	}
	if key.UserID != userID {
		return nil, errcode.InvalidParam(field + ".user_id does not match the authenticated user")
	}
	if !slices.Contains(key.Usage, keyType) {
		return nil, errcode.InvalidParam(fmt.Sprintf("%s.usage must contain %q", field, keyType))
	}
	if len(key.Keys) != 1 {
		return nil, errcode.InvalidParam(field + ".keys must hold exactly one key")
	}
	var pub string
	for name, value := range key.Keys {
		alg, version, _ := strings.Cut(name, ":")
		raw, err := b64.Decode(value)
		if alg != signing.AlgorithmEd25519 || version != value || err != nil || len(raw) != ed25519.PublicKeySize {
			return nil, errcode.InvalidParam(field + ".keys must be one ed25519:<public key> entry")
		}
		pub = value
	}
	stored, err := canonicaljson.CanonicalizeWithout(raw, "unsigned")
	if err != nil {
		return nil, errcode.BadJSON(field + ": " + err.Error())
	}
	return &parsedKey{keyType: keyType, pub: pub, json: stored}, nil
}

type deviceSigningRequest struct {
	MasterKey      json.RawMessage `json:"master_key"`
	SelfSigningKey json.RawMessage `json:"self_signing_key"`
	UserSigningKey json.RawMessage `json:"user_signing_key"`
	Auth           json.RawMessage `json:"auth"`
}

// https://spec.matrix.org/latest/client-server-api/#post_matrixclientv3keysdevice_signingupload
func (k *Keys) postDeviceSigning(r *http.Request, dev *httpapi.Device) (any, error) {
	var req deviceSigningRequest
	if err := httpapi.DecodeJSON(r, &req); err != nil {
		return nil, err
	}
	ctx := r.Context()
	var uploaded []*parsedKey
	for _, f := range []struct {
		keyType string
		raw     json.RawMessage
	}{{keyTypeMaster, req.MasterKey}, {keyTypeSelfSigning, req.SelfSigningKey}, {keyTypeUserSigning, req.UserSigningKey}} {
		if len(f.raw) == 0 || string(f.raw) == "null" {
			continue
		}
		key, err := parseCrossSigningKey(f.raw, f.keyType, dev.UserID)
		if err != nil {
			return nil, err
		}
		uploaded = append(uploaded, key)
	}
	stored, err := loadCrossSigningKeys(ctx, k.db, dev.UserID)
	if err != nil {
		return nil, err
	}
	changed := slices.DeleteFunc(slices.Clone(uploaded), func(key *parsedKey) bool {
		old := stored[key.keyType]
		return old != nil && string(old.json) == string(key.json)
	})
	if len(changed) == 0 {
		// The same keys again: a retry whose answer was lost.
		return struct{}{}, nil
	}
	if err := k.checkCrossSigningKeys(ctx, dev.UserID, uploaded, stored); err != nil {
		return nil, err
	}
	// Uploading the first master key needs no authentication; replacing
	// keys does, since it would let a stolen access token take over the
	// user's identity.
	var consume func(context.Context, *storage.Tx) error
	if stored[keyTypeMaster] != nil {
		var challenge *httpapi.Response
		consume, challenge, err = k.accounts.InteractiveAuth(ctx, dev, "device_signing_upload", req.Auth)
		if err != nil {
			return nil, err
		}
		if challenge != nil {
			return *challenge, nil
		}
	}
	err = k.db.WithTx(ctx, func(ctx context.Context, tx *storage.Tx) error {
		if consume != nil {
			if err := consume(ctx, tx); err != nil {
				return err
			}
		}
		for _, key := range changed {
			if err := replaceCrossSigningKey(ctx, tx, dev.UserID, key, stored[key.keyType]); err != nil {
				return err
			}
		}
		return k.out.deviceListChanged(ctx, tx, dev.UserID)
	})
	if err != nil {
		return nil, err
	}
	k.out.notify()
	return struct{}{}, nil
}

// checkCrossSigningKeys checks the uploaded keys together: the
// self-signing and user-signing keys must be signed by the master key
// (uploaded with them, or else stored), and no public key may pose as one
// of the user's device IDs, whose key IDs share the namespace.
func (k *Keys) checkCrossSigningKeys(ctx context.Context, userID string, uploaded []*parsedKey, stored map[string]*parsedKey) error {
	master := stored[keyTypeMaster]
	for _, key := range uploaded {
		if key.keyType == keyTypeMaster {
			master = key
		}
	}
	for _, key := range uploaded {
		if key.keyType == keyTypeMaster {
			continue
		}
		if master == nil {
			return errcode.MissingParam("No master key available to check the " + key.keyType + " key")
		}
		if err := verify(key.json, userID, signing.AlgorithmEd25519+":"+master.pub, master.pub); err != nil {
			return err
		}
	}
	devices, err := k.accounts.DeviceNames(ctx, []string{userID})
	if err != nil {
		return err
	}
	for _, key := range uploaded {
		if _, clash := devices[userID][key.pub]; clash {
			return errcode.Forbidden("Key ID in use: a device has the ID of the " + key.keyType + " key")
		}
	}
	return nil
}

// loadCrossSigningKeys returns a user's keys by type.
func loadCrossSigningKeys(ctx context.Context, q storage.Querier, userID string) (map[string]*parsedKey, error) {
	rows, err := q.Query(ctx, `SELECT key_type, public_key, key_json FROM keys_cross_signing_keys WHERE user_id = $1`, userID)
	if err != nil {
		return nil, fmt.Errorf("reading cross-signing keys: %w", err)
	}
	defer rows.Close()
	keys := map[string]*parsedKey{}
	for rows.Next() {
		var key parsedKey
		var js string
		if err := rows.Scan(&key.keyType, &key.pub, &js); err != nil {
			return nil, fmt.Errorf("reading cross-signing keys: %w", err)
		}
		key.json = []byte(js)
		keys[key.keyType] = &key
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading cross-signing keys: %w", err)
	}
	return keys, nil
}

// replaceCrossSigningKey stores a key. Signatures made by the key it
// replaces, and of it, no longer mean anything and are dropped.
func replaceCrossSigningKey(ctx context.Context, tx *storage.Tx, userID string, key, old *parsedKey) error {
	if old != nil && old.pub != key.pub {
		if _, err := tx.Exec(ctx, `DELETE FROM keys_signatures WHERE (signer_user_id = $1 AND signer_key_id = $2) OR (target_user_id = $1 AND target_key_id = $3)`,
			userID, signing.AlgorithmEd25519+":"+old.pub, old.pub); err != nil {
			return fmt.Errorf("dropping signatures of a replaced key: %w", err)
		}
	}
	if _, err := tx.Exec(ctx, `INSERT INTO keys_cross_signing_keys (user_id, key_type, public_key, key_json) VALUES ($1, $2, $3, $4)
		ON CONFLICT (user_id, key_type) DO UPDATE SET public_key = excluded.public_key, key_json = excluded.key_json`,
		userID, key.keyType, key.pub, string(key.json)); err != nil {
		return fmt.Errorf("storing the %s key: %w", key.keyType, err)
	}
	return nil
}
