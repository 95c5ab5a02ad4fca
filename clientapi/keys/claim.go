package keys

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"

	"github.com/gorilla/mux"

	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/spec/errcode"
	"github.com/ocomms/ocomms/storage"
)

func (k *Keys) registerClaim(r *mux.Router) {
	k.handle(r, http.MethodPost, "/keys/claim", k.postClaim)
}

type claimRequest struct {
	OneTimeKeys map[string]map[string]string `json:"one_time_keys"`
	Timeout     *int64                       `json:"timeout"`
}

type claimResponse struct {
	Failures    map[string]any                                   `json:"failures"`
	OneTimeKeys map[string]map[string]map[string]json.RawMessage `json:"one_time_keys"`
}

// https://spec.matrix.org/latest/client-server-api/#post_matrixclientv3keysclaim
func (k *Keys) postClaim(r *http.Request, dev *httpapi.Device) (any, error) {
	var req claimRequest
	if err := httpapi.DecodeJSON(r, &req); err != nil {
		return nil, err
	}
	if req.OneTimeKeys == nil {
		return nil, errcode.MissingParam("one_time_keys is required")
	}
	return k.claim(r.Context(), req.OneTimeKeys)
}

// claim hands out one key per requested device: its oldest one-time key,
// or its fallback key (flagged as used) when none is left.
func (k *Keys) claim(ctx context.Context, want map[string]map[string]string) (*claimResponse, error) {
	resp := &claimResponse{Failures: map[string]any{}, OneTimeKeys: map[string]map[string]map[string]json.RawMessage{}}
	type wanted struct{ userID, deviceID, algorithm string }
	var local []wanted
	for userID, devices := range want {
		isLocal, err := k.isLocal(userID)
		if err != nil {
			return nil, err
		}
		for deviceID, alg := range devices {
			if !slices.Contains(oneTimeKeyAlgorithms, alg) {
				return nil, errcode.InvalidParam(fmt.Sprintf("unsupported one-time key algorithm %q for %s %s", alg, userID, deviceID))
			}
			if isLocal {
				local = append(local, wanted{userID, deviceID, alg})
			}
		}
		if !isLocal {
			resp.Failures[serverOf(userID)] = remoteFailure()
		}
	}
	// A stable order keeps concurrent claims of overlapping devices from
	// waiting on each other's rows in opposite orders.
	sort.Slice(local, func(i, j int) bool {
		if local[i].userID != local[j].userID {
			return local[i].userID < local[j].userID
		}
		return local[i].deviceID < local[j].deviceID
	})
	err := k.db.WithTx(ctx, func(ctx context.Context, tx *storage.Tx) error {
		clear(resp.OneTimeKeys)
		for _, w := range local {
			keyID, obj, err := claimOne(ctx, tx, w.userID, w.deviceID, w.algorithm)
			if errors.Is(err, errNoRows) {
				continue
			}
			if err != nil {
				return err
			}
			if resp.OneTimeKeys[w.userID] == nil {
				resp.OneTimeKeys[w.userID] = map[string]map[string]json.RawMessage{}
			}
			resp.OneTimeKeys[w.userID][w.deviceID] = map[string]json.RawMessage{w.algorithm + ":" + keyID: json.RawMessage(obj)}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// claimOne takes one key of a device, or returns errNoRows. A one-time
// key is deleted as it is handed out; when a concurrent claim deleted the
// candidate first, the next one is tried, so no key goes out twice.
func claimOne(ctx context.Context, tx *storage.Tx, userID, deviceID, alg string) (string, string, error) {
	for {
		var nid int64
		var keyID, obj string
		err := tx.QueryRow(ctx, `SELECT key_nid, key_id, key_json FROM keys_one_time_keys
			WHERE user_id = $1 AND device_id = $2 AND algorithm = $3 ORDER BY key_nid LIMIT 1`, userID, deviceID, alg).Scan(&nid, &keyID, &obj)
		if errors.Is(err, sql.ErrNoRows) {
			break
		}
		if err != nil {
			return "", "", fmt.Errorf("claiming a one-time key: %w", err)
		}
		res, err := tx.Exec(ctx, `DELETE FROM keys_one_time_keys WHERE key_nid = $1`, nid)
		if err != nil {
			return "", "", fmt.Errorf("claiming a one-time key: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return "", "", fmt.Errorf("claiming a one-time key: %w", err)
		} else if n == 1 {
			return keyID, obj, nil
		}
	}
	var keyID, obj string
	err := tx.ExecReturning(ctx, `UPDATE keys_fallback_keys SET used = TRUE WHERE user_id = $1 AND device_id = $2 AND algorithm = $3
		RETURNING key_id, key_json`, userID, deviceID, alg).Scan(&keyID, &obj)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", errNoRows
	}
	if err != nil {
		return "", "", fmt.Errorf("claiming a fallback key: %w", err)
	}
	return keyID, obj, nil
}

// OneTimeKeyCounts is what /sync reports of a device's keys: unclaimed
// one-time keys per algorithm, and the algorithms whose fallback key was
// not handed out yet.
func (k *Keys) OneTimeKeyCounts(ctx context.Context, userID, deviceID string) (map[string]int, []string, error) {
	counts, err := oneTimeKeyCounts(ctx, k.db, userID, deviceID)
	if err != nil {
		return nil, nil, err
	}
	rows, err := k.db.Query(ctx, `SELECT algorithm FROM keys_fallback_keys WHERE user_id = $1 AND device_id = $2 AND NOT used ORDER BY algorithm`, userID, deviceID)
	if err != nil {
		return nil, nil, fmt.Errorf("reading fallback keys: %w", err)
	}
	defer rows.Close()
	unused := []string{}
	for rows.Next() {
		var alg string
		if err := rows.Scan(&alg); err != nil {
			return nil, nil, fmt.Errorf("reading fallback keys: %w", err)
		}
		unused = append(unused, alg)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("reading fallback keys: %w", err)
	}
	return counts, unused, nil
}
