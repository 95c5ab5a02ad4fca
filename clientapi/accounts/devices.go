package accounts

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

// https://spec.matrix.org/latest/client-server-api/#device-management
func (a *Accounts) registerDevices(r *mux.Router) {
	httpapi.HandleClient(r, http.MethodGet, "/devices", httpapi.Authenticated(a, a.getDevices), httpapi.ClientR0V3)
	httpapi.HandleClient(r, http.MethodGet, "/devices/{deviceId}", httpapi.Authenticated(a, a.getDevice), httpapi.ClientR0V3)
	httpapi.HandleClient(r, http.MethodPut, "/devices/{deviceId}", httpapi.Authenticated(a, a.putDevice), httpapi.ClientR0V3)
	httpapi.HandleClient(r, http.MethodDelete, "/devices/{deviceId}", httpapi.Authenticated(a, a.deleteDevice), httpapi.ClientR0V3)
	httpapi.HandleClient(r, http.MethodPost, "/delete_devices", httpapi.Authenticated(a, a.postDeleteDevices), httpapi.ClientR0V3)
}

// device is the spec's Device object.
type device struct {
	DeviceID    string  `json:"device_id"`
	DisplayName *string `json:"display_name,omitempty"`
	LastSeenIP  *string `json:"last_seen_ip,omitempty"`
	LastSeenTs  *int64  `json:"last_seen_ts,omitempty"`
}

const deviceColumns = `device_id, display_name, last_seen_ip, last_seen_ts`

func scanDevice(row interface{ Scan(...any) error }) (device, error) {
	var d device
	var name, ip sql.NullString
	var ts sql.NullInt64
	if err := row.Scan(&d.DeviceID, &name, &ip, &ts); err != nil {
		return device{}, err
	}
	if name.Valid {
		d.DisplayName = &name.String
	}
	if ip.Valid {
		d.LastSeenIP = &ip.String
	}
	if ts.Valid {
		d.LastSeenTs = &ts.Int64
	}
	return d, nil
}

// https://spec.matrix.org/latest/client-server-api/#get_matrixclientv3devices
func (a *Accounts) getDevices(r *http.Request, caller *httpapi.Device) (any, error) {
	hidden, err := a.hiddenDevice(r.Context(), caller.UserID)
	if err != nil {
		return nil, err
	}
	rows, err := a.db.Query(r.Context(), `SELECT `+deviceColumns+` FROM accounts_devices WHERE user_id = $1 ORDER BY device_id`, caller.UserID)
	if err != nil {
		return nil, fmt.Errorf("listing devices: %w", err)
	}
	defer rows.Close()
	devices := []device{}
	for rows.Next() {
		d, err := scanDevice(rows)
		if err != nil {
			return nil, fmt.Errorf("listing devices: %w", err)
		}
		if hidden != "" && d.DeviceID == hidden {
			continue
		}
		devices = append(devices, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing devices: %w", err)
	}
	return map[string]any{"devices": devices}, nil
}

func errUnknownDevice() error { return errcode.NotFound("Device not found") }

// https://spec.matrix.org/latest/client-server-api/#get_matrixclientv3devicesdeviceid
func (a *Accounts) getDevice(r *http.Request, caller *httpapi.Device) (any, error) {
	d, err := scanDevice(a.db.QueryRow(r.Context(), `SELECT `+deviceColumns+` FROM accounts_devices WHERE user_id = $1 AND device_id = $2`,
		caller.UserID, httpapi.Vars(r)["deviceId"]))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errUnknownDevice()
	}
	if err != nil {
		return nil, fmt.Errorf("reading device: %w", err)
	}
	return d, nil
}

type putDeviceRequest struct {
	DisplayName *string `json:"display_name"`
}

// https://spec.matrix.org/latest/client-server-api/#put_matrixclientv3devicesdeviceid
func (a *Accounts) putDevice(r *http.Request, caller *httpapi.Device) (any, error) {
	var req putDeviceRequest
	if err := httpapi.DecodeJSON(r, &req); err != nil {
		return nil, err
	}
	if err := validateDeviceOptions(nil, req.DisplayName); err != nil {
		return nil, err
	}
	deviceID := httpapi.Vars(r)["deviceId"]
	err := a.db.WithTx(r.Context(), func(ctx context.Context, tx *storage.Tx) error {
		var one int
		err := tx.QueryRow(ctx, `SELECT 1 FROM accounts_devices WHERE user_id = $1 AND device_id = $2`, caller.UserID, deviceID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return errUnknownDevice()
		}
		if err != nil {
			return fmt.Errorf("reading device: %w", err)
		}
		if req.DisplayName == nil {
			return nil
		}
		res, err := tx.Exec(ctx, `UPDATE accounts_devices SET display_name = $1
			WHERE user_id = $2 AND device_id = $3 AND (display_name IS NULL OR display_name <> $1)`,
			*req.DisplayName, caller.UserID, deviceID)
		if err != nil {
			return fmt.Errorf("renaming device: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("renaming device: %w", err)
		} else if n > 0 {
			for _, o := range a.observers {
				if err := o.DeviceRenamed(ctx, tx, caller.UserID, deviceID); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

type deleteDevicesRequest struct {
	Auth    json.RawMessage `json:"auth"`
	Devices []string        `json:"devices"`
}

// https://spec.matrix.org/latest/client-server-api/#delete_matrixclientv3devicesdeviceid
func (a *Accounts) deleteDevice(r *http.Request, caller *httpapi.Device) (any, error) {
	var req deleteDevicesRequest
	// The body only carries auth, and clients send none on the first try.
	if r.ContentLength != 0 {
		if err := httpapi.DecodeJSON(r, &req); err != nil {
			return nil, err
		}
	}
	return a.removeDevices(r, caller, req.Auth, []string{httpapi.Vars(r)["deviceId"]})
}

// https://spec.matrix.org/latest/client-server-api/#post_matrixclientv3delete_devices
func (a *Accounts) postDeleteDevices(r *http.Request, caller *httpapi.Device) (any, error) {
	var req deleteDevicesRequest
	if err := httpapi.DecodeJSON(r, &req); err != nil {
		return nil, err
	}
	if req.Devices == nil {
		return nil, errcode.MissingParam("Missing param: devices")
	}
	return a.removeDevices(r, caller, req.Auth, req.Devices)
}

// removeDevices deletes devices of the caller after user-interactive
// authentication. Devices that do not exist are ignored, as in Synapse,
// so a retried request succeeds.
func (a *Accounts) removeDevices(r *http.Request, caller *httpapi.Device, auth json.RawMessage, deviceIDs []string) (any, error) {
	op, err := passwordOperation("delete_devices", caller)
	if err != nil {
		return nil, err
	}
	sess, challenge, err := a.interactiveAuth(r.Context(), op, auth)
	if err != nil {
		return nil, err
	}
	if challenge != nil {
		return *challenge, nil
	}
	err = a.db.WithTx(r.Context(), func(ctx context.Context, tx *storage.Tx) error {
		if ok, err := finishUIASession(ctx, tx, sess); err != nil || !ok {
			return orSessionUsed(err)
		}
		return a.deleteDevices(ctx, tx, caller.UserID, deviceIDs, "")
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}
