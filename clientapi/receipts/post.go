package receipts

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/ocomms/ocomms/clientapi/api"
	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/spec/errcode"
	"github.com/ocomms/ocomms/spec/id"
	"github.com/ocomms/ocomms/storage"
)

// Receipt types a client may send here.
const (
	typeRead        = "m.read"
	typeReadPrivate = "m.read.private"
	typeFullyRead   = "m.fully_read"
	// mainThread is the thread_id of the main timeline.
	mainThread = "main"
)

func (r *Receipts) registerReceipt(routes httpapi.Routes) {
	// Guests may send receipts (the spec's list of guest endpoints).
	httpapi.HandleClient(routes.Client, http.MethodPost, "/rooms/{roomId}/receipt/{receiptType}/{eventId}",
		httpapi.Authenticated(r.authn, r.postReceipt), httpapi.ClientR0V3)
}

// postReceipt stores the user's receipt and announces it.
//
// https://spec.matrix.org/latest/client-server-api/#post_matrixclientv3roomsroomidreceiptreceipttypeeventid
func (r *Receipts) postReceipt(req *http.Request, dev *httpapi.Device) (any, error) {
	v := httpapi.Vars(req)
	roomID, receiptType, eventID := v["roomId"], v["receiptType"], v["eventId"]
	if _, err := id.ParseRoomID(roomID); err != nil {
		return nil, errcode.InvalidParam("invalid room ID")
	}
	if _, err := id.ParseEventID(eventID); err != nil {
		return nil, errcode.InvalidParam("invalid event ID")
	}
	threadID, err := decodeThreadID(req)
	if err != nil {
		return nil, err
	}
	switch receiptType {
	case typeRead, typeReadPrivate:
	case typeFullyRead:
		if threadID != "" {
			return nil, errcode.InvalidParam("the read marker (m.fully_read) has no thread")
		}
	default:
		return nil, errcode.InvalidParam(fmt.Sprintf("receipt type must be %s, %s or %s", typeRead, typeReadPrivate, typeFullyRead))
	}
	ctx := req.Context()
	if err := r.checkReadable(ctx, roomID, eventID, dev.UserID); err != nil {
		return nil, err
	}
	if receiptType == typeFullyRead {
		return struct{}{}, r.setFullyRead(ctx, dev.UserID, roomID, eventID)
	}
	if err := r.storeReceipt(ctx, dev.UserID, roomID, receiptType, eventID, threadID); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// storeReceipt stores one receipt of the user.
func (r *Receipts) storeReceipt(ctx context.Context, userID, roomID, receiptType, eventID, threadID string) error {
	rc := api.Receipt{
		Version: api.ReceiptVersion, RoomID: roomID, UserID: userID, Type: receiptType,
		EventID: eventID, ThreadID: threadID, TS: time.Now().UnixMilli(),
	}
	return r.store(ctx, rc)
}

// decodeThreadID reads the optional thread_id of the body: a thread
// root's event ID or "main". An empty body is taken as {}, as older
// clients send none.
func decodeThreadID(req *http.Request) (string, error) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return "", errcode.TooLarge(fmt.Sprintf("request body exceeds %d bytes", tooLarge.Limit))
		}
		return "", fmt.Errorf("reading request body: %w", err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return "", nil
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	var fields map[string]json.RawMessage
	if err := httpapi.DecodeJSON(req, &fields); err != nil {
		return "", err
	}
	if fields == nil {
		return "", errcode.BadJSON("the body must be a JSON object")
	}
	raw, ok := fields["thread_id"]
	if !ok {
		return "", nil
	}
	var threadID string
	if err := json.Unmarshal(raw, &threadID); err != nil || threadID == "" {
		return "", errcode.InvalidParam("thread_id field must be a non-empty string")
	}
	if threadID != mainThread {
		if _, err := id.ParseEventID(threadID); err != nil {
			return "", errcode.InvalidParam(`thread_id must be "main" or the event ID of a thread root`)
		}
	}
	return threadID, nil
}

// checkReadable answers 403 unless the user is joined to the room, and
// 404 unless the event is one of the room's.
func (r *Receipts) checkReadable(ctx context.Context, roomID, eventID, userID string) error {
	m, err := r.rooms.Membership(ctx, roomID, userID)
	if err != nil {
		return fmt.Errorf("membership of %s in %s: %w", userID, roomID, err)
	}
	if m.Membership != "join" {
		return errcode.Forbidden("you are not joined to this room")
	}
	evs, err := r.rooms.Events(ctx, eventID)
	if err != nil {
		return fmt.Errorf("looking up event %s: %w", eventID, err)
	}
	if len(evs) == 0 || evs[0].RoomID() != roomID {
		return errcode.NotFound("the event is not in this room")
	}
	return nil
}

// store saves the receipt as the user's latest for its room, type and
// thread and enqueues its announcement, in one transaction.
func (r *Receipts) store(ctx context.Context, rc api.Receipt) error {
	err := r.db.WithTx(ctx, func(ctx context.Context, tx *storage.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO clientapi_receipts (room_id, user_id, receipt_type, thread_id, event_id, ts)
			VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (room_id, user_id, receipt_type, thread_id) DO UPDATE SET event_id = excluded.event_id, ts = excluded.ts`,
			rc.RoomID, rc.UserID, rc.Type, rc.ThreadID, rc.EventID, rc.TS); err != nil {
			return fmt.Errorf("storing receipt: %w", err)
		}
		return r.outbox.Enqueue(ctx, tx, rc)
	})
	if err != nil {
		return err
	}
	r.outbox.Notify()
	return nil
}
