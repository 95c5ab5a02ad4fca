package rooms

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/internal/ratelimit"
	"github.com/ocomms/ocomms/roomserver/api"
	"github.com/ocomms/ocomms/spec/errcode"
	"github.com/ocomms/ocomms/spec/id"
	"github.com/ocomms/ocomms/spec/roomversion"
)

func (r *Rooms) registerSend(c *mux.Router) {
	r.handleGuests(c, http.MethodPut, "/rooms/{roomId}/send/{eventType}/{txnId}", r.sendMessage)
	r.handle(c, http.MethodPut, "/rooms/{roomId}/redact/{eventId}/{txnId}", r.redact)
}

// readObject reads a request body that must be a JSON object, answering
// the errors DecodeJSON answers.
func readObject(req *http.Request) (json.RawMessage, error) {
	var raw json.RawMessage
	if err := httpapi.DecodeJSON(req, &raw); err != nil {
		return nil, err
	}
	if _, err := decodeObject(raw); err != nil {
		return nil, err
	}
	return raw, nil
}

// sendMessage sends a message event. The transaction ID makes retries
// return the first event (per device, also across restarts: the
// roomserver keeps the transactions).
//
// https://spec.matrix.org/latest/client-server-api/#put_matrixclientv3roomsroomidsendeventtypetxnid
func (r *Rooms) sendMessage(req *http.Request, dev *httpapi.Device) (any, error) {
	v := httpapi.Vars(req)
	roomID, evType, txnID := v["roomId"], v["eventType"], v["txnId"]
	if _, err := id.ParseRoomID(roomID); err != nil {
		return nil, errcode.InvalidParam("invalid room ID")
	}
	content, err := readObject(req)
	if err != nil {
		return nil, err
	}
	if evType == typeRedaction {
		return r.sendRedaction(req, dev, roomID, txnID, content)
	}
	sendToken, err := r.reserveSend(dev.UserID)
	if err != nil {
		return nil, err
	}
	defer sendToken.Cancel()
	if err := r.checkMediaQuota(req.Context(), roomID, evType, content); err != nil {
		return nil, r.sendError(req, roomID, dev.UserID, err)
	}
	res, err := r.rooms.Submit(req.Context(), api.SubmitRequest{
		RoomID: roomID, Type: evType, Sender: dev.UserID, Content: content,
		Transaction: &api.Transaction{UserID: dev.UserID, DeviceID: dev.DeviceID, TxnID: txnID},
	})
	if err != nil {
		return nil, r.sendError(req, roomID, dev.UserID, err)
	}
	countSend(sendToken, res[0])
	return map[string]string{"event_id": res[0].EventID}, nil
}

// reserveSend takes a send from the user's bucket before the event is
// built, so concurrent sends cannot all pass the check; the caller defers
// Cancel, which gives it back unless countSend kept it.
func (r *Rooms) reserveSend(userID string) (*ratelimit.Reservation, error) {
	return r.send.Reserve(userID)
}

// countSend keeps the send counted unless it was a retried transaction
// (answered with the first event), which costs nothing, as in Synapse.
// A send that fails is not counted either.
func countSend(token *ratelimit.Reservation, res api.SubmitResponse) {
	if !res.Duplicate {
		token.Commit()
	}
}

// sendError answers a failed send. A sender who is not in the room gets
// 403 whether or not the room exists, as Synapse answers.
func (r *Rooms) sendError(req *http.Request, roomID, userID string, err error) error {
	mapped := submitError(err)
	var e *errcode.Error
	if ok := asErrcode(mapped, &e); ok && (e.Code == errcode.CodeNotFound || e.Code == errcode.CodeForbidden) {
		m, merr := r.membership(req.Context(), roomID, userID)
		if merr != nil {
			return merr
		}
		if m.Membership != membershipJoin {
			return notInRoom()
		}
	}
	return mapped
}

type redactRequest struct {
	Reason *string `json:"reason"`
}

// redact sends an m.room.redaction for an event.
//
// https://spec.matrix.org/latest/client-server-api/#put_matrixclientv3roomsroomidredacteventidtxnid
func (r *Rooms) redact(req *http.Request, dev *httpapi.Device) (any, error) {
	v := httpapi.Vars(req)
	roomID, eventID, txnID := v["roomId"], v["eventId"], v["txnId"]
	if _, err := id.ParseRoomID(roomID); err != nil {
		return nil, errcode.InvalidParam("invalid room ID")
	}
	if _, err := id.ParseEventID(eventID); err != nil {
		return nil, errcode.InvalidParam("invalid event ID")
	}
	var body redactRequest
	if err := decodeOptionalBody(req, &body); err != nil {
		return nil, err
	}
	content := map[string]json.RawMessage{}
	if body.Reason != nil {
		content["reason"] = mustJSON(*body.Reason)
	}
	return r.submitRedaction(req, dev, roomID, eventID, txnID, content)
}

// decodeOptionalBody decodes a JSON object body that clients may leave
// empty (Synapse accepts a missing body for redact, leave and forget).
func decodeOptionalBody(req *http.Request, v any) error {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return errcode.TooLarge("request body is too large")
		}
		return fmt.Errorf("reading request body: %w", err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	return httpapi.DecodeJSON(req, v)
}

// roomRules are the rules of the room's version.
func roomRules(info api.RoomInfo) (roomversion.Rules, error) {
	rules, err := roomversion.Lookup(info.Version)
	if err != nil {
		return roomversion.Rules{}, fmt.Errorf("room %s: %w", info.RoomID, err)
	}
	return rules, nil
}

func asErrcode(err error, e **errcode.Error) bool { return errors.As(err, e) }
