package keys

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"

	"github.com/gorilla/mux"

	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/spec/canonicaljson"
	"github.com/ocomms/ocomms/spec/errcode"
	"github.com/ocomms/ocomms/spec/signing"
	"github.com/ocomms/ocomms/storage"
)

func (k *Keys) registerSignatures(r *mux.Router) {
	k.handle(r, http.MethodPost, "/keys/signatures/upload", k.postSignatures)
}

// newSignature is a checked signature to store.
type newSignature struct {
	target             target
	signerKeyID, value string
}

// https://spec.matrix.org/latest/client-server-api/#post_matrixclientv3keyssignaturesupload
func (k *Keys) postSignatures(r *http.Request, dev *httpapi.Device) (any, error) {
	var req map[string]map[string]json.RawMessage
	if err := httpapi.DecodeJSON(r, &req); err != nil {
		return nil, err
	}
	ctx := r.Context()
	own, err := loadCrossSigningKeys(ctx, k.db, dev.UserID)
	if err != nil {
		return nil, err
	}
	failures := map[string]map[string]*errcode.Error{}
	var accepted []newSignature
	for userID, objects := range req {
		for keyID, obj := range objects {
			sigs, err := k.checkSignedObject(ctx, dev.UserID, own, userID, keyID, obj)
			var e *errcode.Error
			if errors.As(err, &e) {
				if failures[userID] == nil {
					failures[userID] = map[string]*errcode.Error{}
				}
				failures[userID][keyID] = e
				continue
			}
			if err != nil {
				return nil, err
			}
			accepted = append(accepted, sigs...)
		}
	}
	if len(accepted) > 0 {
		sort.Slice(accepted, func(i, j int) bool {
			return accepted[i].target.userID+accepted[i].target.keyID < accepted[j].target.userID+accepted[j].target.keyID
		})
		err := k.db.WithTx(ctx, func(ctx context.Context, tx *storage.Tx) error {
			changed := map[string]bool{}
			for _, s := range accepted {
				if _, err := tx.Exec(ctx, `INSERT INTO keys_signatures (target_user_id, target_key_id, signer_user_id, signer_key_id, signature)
					VALUES ($1, $2, $3, $4, $5) ON CONFLICT (target_user_id, target_key_id, signer_user_id, signer_key_id) DO UPDATE SET signature = excluded.signature`,
					s.target.userID, s.target.keyID, dev.UserID, s.signerKeyID, s.value); err != nil {
					return fmt.Errorf("storing a signature: %w", err)
				}
				changed[s.target.userID] = true
			}
			for userID := range changed {
				// A signature of another user's key is only visible to the
				// signer, so only the signer is told.
				var visibleTo []string
				if userID != dev.UserID {
					visibleTo = []string{dev.UserID}
				}
				if err := k.out.deviceListChangedFor(ctx, tx, userID, visibleTo); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		k.out.notify()
	}
	return map[string]any{"failures": failures}, nil
}

// checkSignedObject checks one uploaded object against the stored key it
// names and returns the caller's valid signatures of it. The caller may
// sign their own devices with their self-signing key, their own master
// key with one of their devices, and other users' master keys with their
// user-signing key.
func (k *Keys) checkSignedObject(ctx context.Context, caller string, own map[string]*parsedKey, userID, keyID string, obj json.RawMessage) ([]newSignature, error) {
	isLocal, err := k.isLocal(userID)
	if err != nil {
		return nil, err
	}
	if !isLocal {
		return nil, errcode.NotFound("keys of users of other servers are not known here")
	}
	stored, signers, err := k.signableKey(ctx, caller, own, userID, keyID)
	if err != nil {
		return nil, err
	}
	want, err := canonicaljson.CanonicalizeWithout([]byte(stored), "signatures", "unsigned")
	if err != nil {
		return nil, fmt.Errorf("reading a stored key: %w", err)
	}
	got, err := canonicaljson.CanonicalizeWithout(obj, "signatures", "unsigned")
	if err != nil {
		return nil, errcode.BadJSON(err.Error())
	}
	if string(got) != string(want) {
		return nil, errcode.InvalidSignature("the signed object does not match the stored key")
	}
	all, err := signing.Signatures(obj)
	if err != nil {
		return nil, errcode.BadJSON(err.Error())
	}
	var out []newSignature
	for signerKeyID, value := range all[caller] {
		pub, ok := signers[string(signerKeyID)]
		if !ok {
			continue
		}
		if err := verify(obj, caller, string(signerKeyID), pub); err != nil {
			return nil, err
		}
		out = append(out, newSignature{target: target{userID, keyID}, signerKeyID: string(signerKeyID), value: value})
	}
	if len(out) == 0 {
		return nil, errcode.InvalidSignature("no signature by a key that may sign this key")
	}
	return out, nil
}

// signableKey returns the stored JSON of the key userID's keyID and the
// caller's keys allowed to sign it, by key ID.
func (k *Keys) signableKey(ctx context.Context, caller string, own map[string]*parsedKey, userID, keyID string) (string, map[string]string, error) {
	ed := signing.AlgorithmEd25519 + ":"
	if userID != caller {
		usk := own[keyTypeUserSigning]
		if usk == nil {
			return "", nil, errcode.InvalidSignature("you have no user-signing key to sign other users' keys with")
		}
		theirs, err := loadCrossSigningKeys(ctx, k.db, userID)
		if err != nil {
			return "", nil, err
		}
		if m := theirs[keyTypeMaster]; m != nil && m.pub == keyID {
			return string(m.json), map[string]string{ed + usk.pub: usk.pub}, nil
		}
		return "", nil, errcode.NotFound("unknown master key " + keyID)
	}
	if m := own[keyTypeMaster]; m != nil && m.pub == keyID {
		// The master key is signed by the user's devices.
		signers, err := k.deviceSigningKeys(ctx, caller)
		return string(m.json), signers, err
	}
	var stored string
	err := k.db.QueryRow(ctx, `SELECT key_json FROM keys_device_keys WHERE user_id = $1 AND device_id = $2`, caller, keyID).Scan(&stored)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil, errcode.NotFound("unknown device or key " + keyID)
	}
	if err != nil {
		return "", nil, fmt.Errorf("reading device keys: %w", err)
	}
	ssk := own[keyTypeSelfSigning]
	if ssk == nil {
		return "", nil, errcode.InvalidSignature("you have no self-signing key to sign devices with")
	}
	return stored, map[string]string{ed + ssk.pub: ssk.pub}, nil
}

// deviceSigningKeys returns the ed25519 keys of a user's devices by key ID.
func (k *Keys) deviceSigningKeys(ctx context.Context, userID string) (map[string]string, error) {
	rows, err := k.db.Query(ctx, `SELECT device_id, ed25519 FROM keys_device_keys WHERE user_id = $1`, userID)
	if err != nil {
		return nil, fmt.Errorf("reading device keys: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var deviceID, pub string
		if err := rows.Scan(&deviceID, &pub); err != nil {
			return nil, fmt.Errorf("reading device keys: %w", err)
		}
		out[signing.AlgorithmEd25519+":"+deviceID] = pub
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading device keys: %w", err)
	}
	return out, nil
}
