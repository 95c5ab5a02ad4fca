package keys

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"

	"github.com/gorilla/mux"

	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/spec/errcode"
	"github.com/ocomms/ocomms/storage"
)

func (k *Keys) registerQuery(r *mux.Router) {
	k.handle(r, http.MethodPost, "/keys/query", k.postQuery)
}

type queryRequest struct {
	DeviceKeys map[string][]string `json:"device_keys"`
	Timeout    *int64              `json:"timeout"`
}

type queryResponse struct {
	Failures        map[string]any                        `json:"failures"`
	DeviceKeys      map[string]map[string]json.RawMessage `json:"device_keys"`
	MasterKeys      map[string]json.RawMessage            `json:"master_keys"`
	SelfSigningKeys map[string]json.RawMessage            `json:"self_signing_keys"`
	UserSigningKeys map[string]json.RawMessage            `json:"user_signing_keys"`
}

// https://spec.matrix.org/latest/client-server-api/#post_matrixclientv3keysquery
func (k *Keys) postQuery(r *http.Request, dev *httpapi.Device) (any, error) {
	var req queryRequest
	if err := httpapi.DecodeJSON(r, &req); err != nil {
		return nil, err
	}
	if req.DeviceKeys == nil {
		return nil, errcode.MissingParam("device_keys is required")
	}
	return k.query(r.Context(), dev.UserID, req.DeviceKeys)
}

// query answers a key query of requester for local users; remote users'
// servers are listed in failures.
func (k *Keys) query(ctx context.Context, requester string, want map[string][]string) (*queryResponse, error) {
	resp := &queryResponse{
		Failures:        map[string]any{},
		DeviceKeys:      map[string]map[string]json.RawMessage{},
		MasterKeys:      map[string]json.RawMessage{},
		SelfSigningKeys: map[string]json.RawMessage{},
		UserSigningKeys: map[string]json.RawMessage{},
	}
	var local []string
	for userID := range want {
		isLocal, err := k.isLocal(userID)
		if err != nil {
			return nil, err
		}
		if !isLocal {
			resp.Failures[serverOf(userID)] = remoteFailure()
			continue
		}
		local = append(local, userID)
		resp.DeviceKeys[userID] = map[string]json.RawMessage{}
	}
	if len(local) == 0 {
		return resp, nil
	}
	slices.Sort(local)
	names, err := k.accounts.DeviceNames(ctx, local)
	if err != nil {
		return nil, err
	}
	err = k.db.WithTx(ctx, func(ctx context.Context, tx *storage.Tx) error {
		sigs, err := loadSignatures(ctx, tx, local, requester)
		if err != nil {
			return err
		}
		if err := k.queryDeviceKeys(ctx, tx, local, want, names, sigs, resp); err != nil {
			return err
		}
		return queryCrossSigningKeys(ctx, tx, local, requester, sigs, resp)
	}, storage.ReadOnly())
	if err != nil {
		return nil, err
	}
	return resp, nil
}

func (k *Keys) queryDeviceKeys(ctx context.Context, q storage.Querier, users []string, want map[string][]string,
	names map[string]map[string]string, sigs signatureSet, resp *queryResponse,
) error {
	rows, err := q.Query(ctx, `SELECT user_id, device_id, key_json FROM keys_device_keys WHERE user_id IN (`+placeholders(1, len(users))+`)`, anys(users)...)
	if err != nil {
		return fmt.Errorf("querying device keys: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var userID, deviceID, keyJSON string
		if err := rows.Scan(&userID, &deviceID, &keyJSON); err != nil {
			return fmt.Errorf("querying device keys: %w", err)
		}
		if ids := want[userID]; len(ids) > 0 && !slices.Contains(ids, deviceID) {
			continue
		}
		name, exists := names[userID][deviceID]
		if !exists {
			// Deleted while this query ran: its keys go with it.
			continue
		}
		unsigned := map[string]any{}
		if name != "" {
			unsigned["device_display_name"] = name
		}
		obj, err := withSignatures(keyJSON, sigs[target{userID, deviceID}], unsigned)
		if err != nil {
			return err
		}
		resp.DeviceKeys[userID][deviceID] = obj
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("querying device keys: %w", err)
	}
	return nil
}

func queryCrossSigningKeys(ctx context.Context, q storage.Querier, users []string, requester string, sigs signatureSet, resp *queryResponse) error {
	rows, err := q.Query(ctx, `SELECT user_id, key_type, public_key, key_json FROM keys_cross_signing_keys WHERE user_id IN (`+placeholders(1, len(users))+`)`, anys(users)...)
	if err != nil {
		return fmt.Errorf("querying cross-signing keys: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var userID, keyType, pub, keyJSON string
		if err := rows.Scan(&userID, &keyType, &pub, &keyJSON); err != nil {
			return fmt.Errorf("querying cross-signing keys: %w", err)
		}
		obj, err := withSignatures(keyJSON, sigs[target{userID, pub}], nil)
		if err != nil {
			return err
		}
		switch keyType {
		case keyTypeMaster:
			resp.MasterKeys[userID] = obj
		case keyTypeSelfSigning:
			resp.SelfSigningKeys[userID] = obj
		case keyTypeUserSigning:
			// Only its owner uses the user-signing key.
			if userID == requester {
				resp.UserSigningKeys[userID] = obj
			}
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("querying cross-signing keys: %w", err)
	}
	return nil
}

// target is a signed key: a device ID or cross-signing public key of a
// user.
type target struct{ userID, keyID string }

// signatureSet is the signatures added with /keys/signatures/upload, by
// target, then signer and signer key ID.
type signatureSet map[target]map[string]map[string]string

// loadSignatures reads the uploaded signatures of users' keys that
// requester may see: those by the keys' owners (self-signing signatures
// of devices, device signatures of master keys) and requester's own (of
// other users' master keys). Signatures one user made of another's keys
// are the signer's business.
func loadSignatures(ctx context.Context, q storage.Querier, users []string, requester string) (signatureSet, error) {
	n := len(users)
	rows, err := q.Query(ctx, `SELECT target_user_id, target_key_id, signer_user_id, signer_key_id, signature FROM keys_signatures
		WHERE target_user_id IN (`+placeholders(1, n)+`) AND (signer_user_id = target_user_id OR signer_user_id = $`+fmt.Sprint(n+1)+`)`,
		append(anys(users), requester)...)
	if err != nil {
		return nil, fmt.Errorf("reading signatures: %w", err)
	}
	defer rows.Close()
	set := signatureSet{}
	for rows.Next() {
		var t target
		var signer, keyID, sig string
		if err := rows.Scan(&t.userID, &t.keyID, &signer, &keyID, &sig); err != nil {
			return nil, fmt.Errorf("reading signatures: %w", err)
		}
		if set[t] == nil {
			set[t] = map[string]map[string]string{}
		}
		if set[t][signer] == nil {
			set[t][signer] = map[string]string{}
		}
		set[t][signer][keyID] = sig
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading signatures: %w", err)
	}
	return set, nil
}

func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
