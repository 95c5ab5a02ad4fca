package keys

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/spec/errcode"
	"github.com/ocomms/ocomms/storage"
)

func (k *Keys) registerUpload(r *mux.Router) {
	k.handle(r, http.MethodPost, "/keys/upload", k.postUpload)
}

type uploadRequest struct {
	DeviceKeys   json.RawMessage            `json:"device_keys"`
	OneTimeKeys  map[string]json.RawMessage `json:"one_time_keys"`
	FallbackKeys map[string]json.RawMessage `json:"fallback_keys"`
}

// https://spec.matrix.org/latest/client-server-api/#post_matrixclientv3keysupload
func (k *Keys) postUpload(r *http.Request, dev *httpapi.Device) (any, error) {
	var req uploadRequest
	if err := httpapi.DecodeJSON(r, &req); err != nil {
		return nil, err
	}
	ctx := r.Context()
	var deviceJSON []byte
	var devicePub string
	if len(req.DeviceKeys) > 0 && string(req.DeviceKeys) != "null" {
		var err error
		if deviceJSON, devicePub, err = checkDeviceKeys(req.DeviceKeys, dev.UserID, dev.DeviceID); err != nil {
			return nil, err
		}
	} else {
		var err error
		if devicePub, err = k.deviceSigningKey(ctx, k.db, dev.UserID, dev.DeviceID); err != nil {
			return nil, err
		}
	}
	otks, err := parseOneTimeKeys("one_time_keys", req.OneTimeKeys, dev.UserID, dev.DeviceID, devicePub)
	if err != nil {
		return nil, err
	}
	fallbacks, err := parseOneTimeKeys("fallback_keys", req.FallbackKeys, dev.UserID, dev.DeviceID, devicePub)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, f := range fallbacks {
		if seen[f.algorithm] {
			return nil, errcode.InvalidParam("fallback_keys: at most one key per algorithm")
		}
		seen[f.algorithm] = true
	}

	var counts map[string]int
	err = k.db.WithTx(ctx, func(ctx context.Context, tx *storage.Tx) error {
		if deviceJSON != nil {
			changed, err := storeDeviceKeys(ctx, tx, dev.UserID, dev.DeviceID, devicePub, deviceJSON)
			if err != nil {
				return err
			}
			if changed {
				if err := k.out.deviceListChanged(ctx, tx, dev.UserID); err != nil {
					return err
				}
			}
		}
		if err := storeOneTimeKeys(ctx, tx, dev.UserID, dev.DeviceID, otks); err != nil {
			return err
		}
		if err := storeFallbackKeys(ctx, tx, dev.UserID, dev.DeviceID, fallbacks); err != nil {
			return err
		}
		var err error
		counts, err = oneTimeKeyCounts(ctx, tx, dev.UserID, dev.DeviceID)
		return err
	})
	if err != nil {
		return nil, err
	}
	k.out.notify()
	return map[string]any{"one_time_key_counts": counts}, nil
}

// deviceSigningKey returns the ed25519 key of a device that uploaded its
// keys, or "".
func (k *Keys) deviceSigningKey(ctx context.Context, q storage.Querier, userID, deviceID string) (string, error) {
	var pub string
	err := q.QueryRow(ctx, `SELECT ed25519 FROM keys_device_keys WHERE user_id = $1 AND device_id = $2`, userID, deviceID).Scan(&pub)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("reading device keys: %w", err)
	}
	return pub, nil
}

// storeDeviceKeys stores a device's keys and reports whether they changed;
// clients upload the same keys again, which must not look like a new
// device to everyone sharing a room.
func storeDeviceKeys(ctx context.Context, tx *storage.Tx, userID, deviceID, pub string, keyJSON []byte) (bool, error) {
	var old string
	err := tx.QueryRow(ctx, `SELECT key_json FROM keys_device_keys WHERE user_id = $1 AND device_id = $2`, userID, deviceID).Scan(&old)
	if err == nil && old == string(keyJSON) {
		return false, nil
	}
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("reading device keys: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO keys_device_keys (user_id, device_id, ed25519, key_json, updated_ts) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (user_id, device_id) DO UPDATE SET ed25519 = excluded.ed25519, key_json = excluded.key_json, updated_ts = excluded.updated_ts`,
		userID, deviceID, pub, string(keyJSON), nowMS()); err != nil {
		return false, fmt.Errorf("storing device keys: %w", err)
	}
	return true, nil
}

// storeOneTimeKeys adds keys. Uploading a key again is harmless (a retry);
// uploading another key under an ID still held is refused, as Synapse
// does, since one of the two would be unusable.
func storeOneTimeKeys(ctx context.Context, tx *storage.Tx, userID, deviceID string, keys []oneTimeKey) error {
	for _, key := range keys {
		var old string
		err := tx.QueryRow(ctx, `SELECT key_json FROM keys_one_time_keys WHERE user_id = $1 AND device_id = $2 AND algorithm = $3 AND key_id = $4`,
			userID, deviceID, key.algorithm, key.keyID).Scan(&old)
		if err == nil {
			if old != string(key.json) {
				return errcode.InvalidParam(fmt.Sprintf("one-time key %s:%s already exists with another value", key.algorithm, key.keyID))
			}
			continue
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("reading one-time key: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO keys_one_time_keys (user_id, device_id, algorithm, key_id, key_json) VALUES ($1, $2, $3, $4, $5)`,
			userID, deviceID, key.algorithm, key.keyID, string(key.json)); err != nil {
			return fmt.Errorf("storing one-time key: %w", err)
		}
	}
	return nil
}

// storeFallbackKeys replaces the fallback key of each algorithm. The same
// key uploaded again keeps its used flag, so a retry does not hide that it
// was handed out.
func storeFallbackKeys(ctx context.Context, tx *storage.Tx, userID, deviceID string, keys []oneTimeKey) error {
	for _, key := range keys {
		if _, err := tx.Exec(ctx, `INSERT INTO keys_fallback_keys (user_id, device_id, algorithm, key_id, key_json, used) VALUES ($1, $2, $3, $4, $5, FALSE)
			ON CONFLICT (user_id, device_id, algorithm) DO UPDATE SET key_id = excluded.key_id, key_json = excluded.key_json,
				used = CASE WHEN keys_fallback_keys.key_id = excluded.key_id AND keys_fallback_keys.key_json = excluded.key_json
					THEN keys_fallback_keys.used ELSE FALSE END`,
			userID, deviceID, key.algorithm, key.keyID, string(key.json)); err != nil {
			return fmt.Errorf("storing fallback key: %w", err)
		}
	}
	return nil
}

// oneTimeKeyCounts counts a device's unclaimed one-time keys per
// algorithm. signed_curve25519 is always present, as Synapse answers,
// because some clients read a missing count as "do not upload".
func oneTimeKeyCounts(ctx context.Context, q storage.Querier, userID, deviceID string) (map[string]int, error) {
	rows, err := q.Query(ctx, `SELECT algorithm, COUNT(*) FROM keys_one_time_keys WHERE user_id = $1 AND device_id = $2 GROUP BY algorithm`, userID, deviceID)
	if err != nil {
		return nil, fmt.Errorf("counting one-time keys: %w", err)
	}
	defer rows.Close()
	counts := map[string]int{"signed_curve25519": 0}
	for rows.Next() {
		var alg string
		var n int
		if err := rows.Scan(&alg, &n); err != nil {
			return nil, fmt.Errorf("counting one-time keys: %w", err)
		}
		counts[alg] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("counting one-time keys: %w", err)
	}
	return counts, nil
}
