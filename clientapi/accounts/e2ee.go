package accounts

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/spec/errcode"
	"github.com/ocomms/ocomms/storage"
)

// What the end-to-end encryption endpoints (clientapi/keys) need from
// accounts: to be told when devices go, the names of devices, and
// user-interactive authentication for cross-signing uploads.

// DeviceObserver is told about deleted and renamed devices inside the
// transaction that changes them, so a device's keys never outlive it and the change
// of its user's device list is recorded atomically with the deletion.
type DeviceObserver interface {
	DevicesDeleted(ctx context.Context, tx *storage.Tx, userID string, deviceIDs []string) error
	// DeviceRenamed is told inside the renaming transaction: the name is
	// part of what others see of the device list.
	DeviceRenamed(ctx context.Context, tx *storage.Tx, userID, deviceID string) error
}

// AddDeviceObserver adds a component to tell about device changes (the
// key store, the pushers); without any (tools that only manage accounts)
// deleting a device touches accounts only. Observers are told in the order
// they were added; call it before the server starts.
func (a *Accounts) AddDeviceObserver(o DeviceObserver) { a.observers = append(a.observers, o) }

// DeviceNames returns, for each of the users, their device IDs mapped to
// the display names ("" when unset). Users without devices are absent.
func (a *Accounts) DeviceNames(ctx context.Context, userIDs []string) (map[string]map[string]string, error) {
	out := make(map[string]map[string]string, len(userIDs))
	if len(userIDs) == 0 {
		return out, nil
	}
	marks := make([]string, len(userIDs))
	args := make([]any, len(userIDs))
	for i, u := range userIDs {
		marks[i], args[i] = "$"+strconv.Itoa(i+1), u
	}
	rows, err := a.db.Query(ctx, `SELECT user_id, device_id, COALESCE(display_name, '') FROM accounts_devices
		WHERE user_id IN (`+strings.Join(marks, ", ")+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("listing devices: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var user, device, name string
		if err := rows.Scan(&user, &device, &name); err != nil {
			return nil, fmt.Errorf("listing devices: %w", err)
		}
		if out[user] == nil {
			out[user] = map[string]string{}
		}
		out[user][device] = name
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing devices: %w", err)
	}
	return out, nil
}

// InteractiveAuth runs user-interactive authentication (the account's
// password) for an operation of another package, kind naming it so a
// session cannot authorise something else. When the flow is complete it
// returns consume, which the caller runs inside the transaction that
// carries out the operation so that a session authorises it once;
// otherwise it returns the 401 challenge to answer with.
//
// https://spec.matrix.org/latest/client-server-api/#user-interactive-authentication-api
func (a *Accounts) InteractiveAuth(ctx context.Context, caller *httpapi.Device, kind string, auth json.RawMessage) (
	consume func(context.Context, *storage.Tx) error, challenge *httpapi.Response, err error,
) {
	op, err := passwordOperation(kind, caller)
	if err != nil {
		return nil, nil, err
	}
	sess, challenge, err := a.interactiveAuth(ctx, op, auth)
	if err != nil || challenge != nil {
		return nil, challenge, err
	}
	return func(ctx context.Context, tx *storage.Tx) error {
		if ok, err := finishUIASession(ctx, tx, sess); err != nil || !ok {
			return orSessionUsed(err)
		}
		return nil
	}, nil, nil
}

// CreateDeviceWithoutSession creates a device nobody is logged in as, in
// the caller's transaction: a dehydrated device, which exists to receive
// keys while its user has no device online. A device ID already in use is
// refused, so a dehydrated device never takes over a live one.
func (a *Accounts) CreateDeviceWithoutSession(ctx context.Context, tx *storage.Tx, userID, deviceID string, displayName *string) error {
	if err := validateDeviceOptions(&deviceID, displayName); err != nil {
		return err
	}
	res, err := tx.Exec(ctx, `INSERT INTO accounts_devices (user_id, device_id, display_name, created_ts)
		VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, device_id) DO NOTHING`, userID, deviceID, displayName, nowMs())
	if err != nil {
		return fmt.Errorf("creating device: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("creating device: %w", err)
	} else if n == 0 {
		return errcode.InvalidParam("device ID " + strconv.Quote(deviceID) + " is in use")
	}
	return nil
}

// DeleteDevicesIn deletes devices of a user in the caller's transaction,
// with their tokens and (through the observers) their keys and pushers.
func (a *Accounts) DeleteDevicesIn(ctx context.Context, tx *storage.Tx, userID string, deviceIDs []string) error {
	if len(deviceIDs) == 0 {
		return nil // deleteDevices reads an empty list as every device
	}
	return a.deleteDevices(ctx, tx, userID, deviceIDs, "")
}
