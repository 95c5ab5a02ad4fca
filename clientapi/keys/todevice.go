package keys

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"time"

	"github.com/gorilla/mux"

	"github.com/ocomms/ocomms/clientapi/api"
	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/spec/errcode"
	"github.com/ocomms/ocomms/storage"
)

// maxToDeviceContent bounds one device's copy of a message, the size of
// the EDU that will carry it over federation.
const maxToDeviceContent = 65536

// toDeviceTxnLifetime is how long a transaction ID is remembered; a client
// retries within seconds.
const toDeviceTxnLifetime = 24 * time.Hour

func (k *Keys) registerToDevice(r *mux.Router) {
	k.handle(r, http.MethodPut, "/sendToDevice/{eventType}/{txnId}", k.putSendToDevice)
}

type sendToDeviceRequest struct {
	Messages map[string]map[string]json.RawMessage `json:"messages"`
}

// https://spec.matrix.org/latest/client-server-api/#put_matrixclientv3sendtodeviceeventtypetxnid
func (k *Keys) putSendToDevice(r *http.Request, dev *httpapi.Device) (any, error) {
	v := httpapi.Vars(r)
	evType, txnID := v["eventType"], v["txnId"]
	var req sendToDeviceRequest
	if err := httpapi.DecodeJSON(r, &req); err != nil {
		return nil, err
	}
	if req.Messages == nil {
		return nil, errcode.MissingParam("messages is required")
	}
	ctx := r.Context()
	msg, err := k.recipients(ctx, dev, evType, req.Messages)
	if err != nil {
		return nil, err
	}
	err = k.db.WithTx(ctx, func(ctx context.Context, tx *storage.Tx) error {
		now := nowMS()
		if _, err := tx.Exec(ctx, `DELETE FROM keys_to_device_txns WHERE user_id = $1 AND device_id = $2 AND created_ts < $3`,
			dev.UserID, dev.DeviceID, now-toDeviceTxnLifetime.Milliseconds()); err != nil {
			return fmt.Errorf("expiring to-device transactions: %w", err)
		}
		res, err := tx.Exec(ctx, `INSERT INTO keys_to_device_txns (user_id, device_id, txn_id, created_ts) VALUES ($1, $2, $3, $4)
			ON CONFLICT (user_id, device_id, txn_id) DO NOTHING`, dev.UserID, dev.DeviceID, txnID, now)
		if err != nil {
			return fmt.Errorf("recording a to-device transaction: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("recording a to-device transaction: %w", err)
		} else if n == 0 || len(msg.Recipients) == 0 {
			return nil // a retry: sent the first time
		}
		return k.out.sendToDevice(ctx, tx, msg)
	})
	if err != nil {
		return nil, err
	}
	k.out.notify()
	return struct{}{}, nil
}

// recipients checks the messages and expands "*" to the devices each
// local user has now. Users of other servers are left out until
// federation carries to-device messages.
func (k *Keys) recipients(ctx context.Context, dev *httpapi.Device, evType string, messages map[string]map[string]json.RawMessage) (api.ToDevice, error) {
	msg := api.ToDevice{Sender: dev.UserID, Type: evType}
	var local []string
	for userID, byDevice := range messages {
		isLocal, err := k.isLocal(userID)
		if err != nil {
			return msg, err
		}
		for deviceID, content := range byDevice {
			var obj map[string]json.RawMessage
			if err := json.Unmarshal(content, &obj); err != nil || obj == nil {
				return msg, errcode.BadJSON(fmt.Sprintf("messages.%s.%s must be an object", userID, deviceID))
			}
			if len(content) > maxToDeviceContent {
				return msg, errcode.TooLarge(fmt.Sprintf("the message for %s %s exceeds %d bytes", userID, deviceID, maxToDeviceContent))
			}
		}
		if isLocal {
			local = append(local, userID)
		} else {
			k.log.WarnContext(ctx, "to-device message for a user of another server left out: federation is not available",
				slog.String("user_id", userID), slog.String("type", evType))
		}
	}
	devices, err := k.accounts.DeviceNames(ctx, local)
	if err != nil {
		return msg, err
	}
	sort.Strings(local)
	for _, userID := range local {
		byDevice := messages[userID]
		ids := make([]string, 0, len(byDevice))
		for deviceID := range byDevice {
			ids = append(ids, deviceID)
		}
		sort.Strings(ids)
		for _, deviceID := range ids {
			content := byDevice[deviceID]
			if deviceID == "*" {
				all := make([]string, 0, len(devices[userID]))
				for d := range devices[userID] {
					all = append(all, d)
				}
				sort.Strings(all)
				for _, d := range all {
					// An explicit message to a device wins over "*".
					if _, explicit := byDevice[d]; !explicit {
						msg.Recipients = append(msg.Recipients, api.ToDeviceRecipient{UserID: userID, DeviceID: d, Content: content})
					}
				}
				continue
			}
			if _, exists := devices[userID][deviceID]; exists {
				msg.Recipients = append(msg.Recipients, api.ToDeviceRecipient{UserID: userID, DeviceID: deviceID, Content: content})
			}
		}
	}
	return msg, nil
}
