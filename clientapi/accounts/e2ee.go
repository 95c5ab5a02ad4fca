package accounts

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/storage"
)

// What the end-to-end encryption endpoints (clientapi/keys) need from
// accounts: to be told when devices go, the names of devices, and
// user-interactive authentication for cross-signing uploads.

// DeviceObserver is told about deleted devices inside the transaction
// that deletes them, so a device's keys never outlive it and the change
// of its user's device list is recorded atomically with the deletion.
type DeviceObserver interface {
	DevicesDeleted(ctx context.Context, tx *storage.Tx, userID string, deviceIDs []string) error
}

// SetDeviceObserver wires the key store; without one (tools that only
// manage accounts) deleting a device touches accounts only.
func (a *Accounts) SetDeviceObserver(o DeviceObserver) { a.observer = o }

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
