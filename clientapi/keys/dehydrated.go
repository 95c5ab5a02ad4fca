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
	"github.com/ocomms/ocomms/spec/canonicaljson"
	"github.com/ocomms/ocomms/spec/errcode"
	"github.com/ocomms/ocomms/storage"
)

// Dehydrated devices (MSC3814): a client leaves a device behind, its
// private keys encrypted in device_data with a key only the user holds, so
// that others can share room keys with the user while none of the user's
// devices is online. A new device of the user later fetches the
// dehydrated device's to-device messages (syncapi serves
// .../dehydrated_device/{deviceId}/events), decrypts them, and puts up a
// new dehydrated device, which replaces the old one with its keys.
//
// The spec has no stable version yet, so the endpoints live under the
// MSC's unstable prefix, as Synapse serves them.
//
// https://github.com/matrix-org/matrix-spec-proposals/pull/3814

func (k *Keys) registerDehydrated(r *mux.Router) {
	path := "/dehydrated_device"
	for method, h := range map[string]httpapi.AuthedHandlerFunc{
		http.MethodPut: k.putDehydrated, http.MethodGet: k.getDehydrated, http.MethodDelete: k.deleteDehydrated,
	} {
		httpapi.HandleClient(r, method, path, httpapi.Authenticated(k.accounts, h), httpapi.ClientMSC3814)
	}
}

type putDehydratedRequest struct {
	DeviceID    string          `json:"device_id"`
	DeviceData  json.RawMessage `json:"device_data"`
	DisplayName *string         `json:"initial_device_display_name"`
	uploadRequest
}

func (k *Keys) putDehydrated(r *http.Request, dev *httpapi.Device) (any, error) {
	var req putDehydratedRequest
	if err := httpapi.DecodeJSON(r, &req); err != nil {
		return nil, err
	}
	if req.DeviceID == "" {
		return nil, errcode.MissingParam("device_id is required")
	}
	data, err := checkDeviceData(req.DeviceData)
	if err != nil {
		return nil, err
	}
	up, err := checkUpload(req.uploadRequest, dev.UserID, req.DeviceID, "")
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	err = k.db.WithTx(ctx, func(ctx context.Context, tx *storage.Tx) error {
		// Deleting the old device (its keys and its row here go with it,
		// through DevicesDeleted) before creating the new one lets a
		// client put up a device under the same ID again.
		old, err := dehydratedDeviceID(ctx, tx, dev.UserID)
		if err != nil {
			return err
		}
		if old != "" {
			if err := k.accounts.DeleteDevicesIn(ctx, tx, dev.UserID, []string{old}); err != nil {
				return err
			}
		}
		if err := k.accounts.CreateDeviceWithoutSession(ctx, tx, dev.UserID, req.DeviceID, req.DisplayName); err != nil {
			return err
		}
		if err := k.storeUpload(ctx, tx, dev.UserID, req.DeviceID, up); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO keys_dehydrated_devices (user_id, device_id, device_data, created_ts) VALUES ($1, $2, $3, $4)
			ON CONFLICT (user_id) DO UPDATE SET device_id = excluded.device_id, device_data = excluded.device_data, created_ts = excluded.created_ts`,
			dev.UserID, req.DeviceID, string(data), nowMS()); err != nil {
			return fmt.Errorf("storing the dehydrated device: %w", err)
		}
		// A new device, even one without keys yet.
		return k.out.deviceListChanged(ctx, tx, dev.UserID)
	})
	if err != nil {
		return nil, err
	}
	k.out.notify()
	return map[string]string{"device_id": req.DeviceID}, nil
}

// checkDeviceData checks that device_data is an object naming its
// algorithm, which a client needs to rehydrate it; the rest is opaque.
func checkDeviceData(raw json.RawMessage) ([]byte, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, errcode.MissingParam("device_data is required")
	}
	var data struct {
		Algorithm string `json:"algorithm"`
	}
	if err := json.Unmarshal(raw, &data); err != nil {
		return nil, errcode.BadJSON("device_data must be an object")
	}
	if data.Algorithm == "" {
		return nil, errcode.MissingParam("device_data.algorithm is required")
	}
	canonical, err := canonicaljson.Canonicalize(raw)
	if err != nil {
		return nil, errcode.BadJSON("device_data: " + err.Error())
	}
	return canonical, nil
}

func errNoDehydratedDevice() error { return errcode.NotFound("No dehydrated device available") }

func (k *Keys) getDehydrated(r *http.Request, dev *httpapi.Device) (any, error) {
	var deviceID, data string
	err := k.db.QueryRow(r.Context(), `SELECT device_id, device_data FROM keys_dehydrated_devices WHERE user_id = $1`, dev.UserID).Scan(&deviceID, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoDehydratedDevice()
	}
	if err != nil {
		return nil, fmt.Errorf("reading the dehydrated device: %w", err)
	}
	return map[string]any{"device_id": deviceID, "device_data": json.RawMessage(data)}, nil
}

func (k *Keys) deleteDehydrated(r *http.Request, dev *httpapi.Device) (any, error) {
	var deviceID string
	err := k.db.WithTx(r.Context(), func(ctx context.Context, tx *storage.Tx) error {
		var err error
		if deviceID, err = dehydratedDeviceID(ctx, tx, dev.UserID); err != nil {
			return err
		}
		if deviceID == "" {
			return errNoDehydratedDevice()
		}
		return k.accounts.DeleteDevicesIn(ctx, tx, dev.UserID, []string{deviceID})
	})
	if err != nil {
		return nil, err
	}
	k.out.notify()
	return map[string]string{"device_id": deviceID}, nil
}

// DehydratedDeviceID returns the user's dehydrated device, or "" (for
// syncapi, which serves its to-device messages).
func (k *Keys) DehydratedDeviceID(ctx context.Context, userID string) (string, error) {
	return dehydratedDeviceID(ctx, k.db, userID)
}

func dehydratedDeviceID(ctx context.Context, q storage.Querier, userID string) (string, error) {
	var deviceID string
	err := q.QueryRow(ctx, `SELECT device_id FROM keys_dehydrated_devices WHERE user_id = $1`, userID).Scan(&deviceID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("reading the dehydrated device: %w", err)
	}
	return deviceID, nil
}
