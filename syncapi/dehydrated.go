package syncapi

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/spec/errcode"
	"github.com/ocomms/ocomms/storage"
)

// DehydratedDevices tells the sync API which device of a user is their
// dehydrated device (MSC3814), whose to-device messages a new device of
// the user fetches. The client API's key store implements it.
type DehydratedDevices interface {
	DehydratedDeviceID(ctx context.Context, userID string) (string, error)
}

// SetDehydratedDevices wires the key store; without one, no user has a
// dehydrated device.
func (s *SyncAPI) SetDehydratedDevices(d DehydratedDevices) { s.dehydrated = d }

func (s *SyncAPI) registerDehydratedEvents(routes httpapi.Routes) {
	httpapi.HandleClient(routes.Client, http.MethodPost, "/dehydrated_device/{deviceId}/events",
		httpapi.Authenticated(s.authn, s.postDehydratedEvents), httpapi.ClientMSC3814)
}

// dehydratedBatchPrefix marks next_batch tokens of this endpoint, which
// are to-device stream positions, apart from sync tokens.
const dehydratedBatchPrefix = "d"

// postDehydratedEvents hands the caller's dehydrated device's to-device
// messages out in batches, in order. Passing a batch's next_batch
// acknowledges it: what came before is deleted, as a since token does in
// /sync.
//
// https://github.com/matrix-org/matrix-spec-proposals/pull/3814
func (s *SyncAPI) postDehydratedEvents(r *http.Request, dev *httpapi.Device) (any, error) {
	var req struct {
		NextBatch *string `json:"next_batch"`
	}
	if err := httpapi.DecodeJSON(r, &req); err != nil {
		return nil, err
	}
	var after int64
	if req.NextBatch != nil {
		n, err := strconv.ParseInt(strings.TrimPrefix(*req.NextBatch, dehydratedBatchPrefix), 10, 64)
		if err != nil || !strings.HasPrefix(*req.NextBatch, dehydratedBatchPrefix) || n < 0 {
			return nil, errcode.InvalidParam("next_batch is not a token of this endpoint")
		}
		after = n
	}
	ctx := r.Context()
	deviceID := httpapi.Vars(r)["deviceId"]
	var dehydrated string
	if s.dehydrated != nil {
		var err error
		if dehydrated, err = s.dehydrated.DehydratedDeviceID(ctx, dev.UserID); err != nil {
			return nil, err
		}
	}
	if dehydrated == "" || dehydrated != deviceID {
		return nil, errcode.Forbidden("You may only fetch the messages of your dehydrated device")
	}
	if after > 0 {
		if err := s.ackToDevice(ctx, dev.UserID, deviceID, after); err != nil {
			return nil, err
		}
	}
	events, last, err := s.toDeviceMessages(ctx, dev.UserID, deviceID, after, math.MaxInt64)
	if err != nil {
		return nil, err
	}
	if last == 0 {
		last = after
	}
	return map[string]any{"events": events, "next_batch": dehydratedBatchPrefix + strconv.FormatInt(last, 10)}, nil
}

// deleteToDeviceOf drops the messages waiting for deleted devices.
func deleteToDeviceOf(ctx context.Context, tx *storage.Tx, userID string, deviceIDs []string) error {
	for _, d := range deviceIDs {
		if _, err := tx.Exec(ctx, `DELETE FROM syncapi_to_device WHERE user_id = $1 AND device_id = $2`, userID, d); err != nil {
			return fmt.Errorf("deleting to-device messages of a deleted device: %w", err)
		}
	}
	return nil
}
