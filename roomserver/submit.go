package roomserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/ocomms/ocomms/roomserver/api"
	"github.com/ocomms/ocomms/spec/auth"
	"github.com/ocomms/ocomms/spec/event"
	"github.com/ocomms/ocomms/spec/id"
	"github.com/ocomms/ocomms/spec/roomversion"
	"github.com/ocomms/ocomms/storage"
)

const (
	typeCreate    = "m.room.create"
	typeMember    = "m.room.member"
	typeRedaction = "m.room.redaction"
	typePower     = "m.room.power_levels"
)

// Submit builds, authorises and stores the events in order, in one
// transaction: either every event is stored, with its state, its outbox
// row and its transaction ID, or none is.
//
// https://spec.matrix.org/latest/server-server-api/#checks-performed-on-receipt-of-a-pdu
func (r *Roomserver) Submit(ctx context.Context, reqs ...api.SubmitRequest) ([]api.SubmitResponse, error) {
	if len(reqs) == 0 {
		return nil, nil
	}
	prepared := make([]api.SubmitRequest, len(reqs))
	for i, req := range reqs {
		p, err := r.prepare(req, i > 0)
		if err != nil {
			return nil, fmt.Errorf("request %d (%s): %w", i, req.Type, err)
		}
		prepared[i] = p
	}
	var resps []api.SubmitResponse
	err := r.db.WithTx(ctx, func(ctx context.Context, tx *storage.Tx) error {
		s := &submission{r: r, tx: tx, rooms: map[string]*roomTx{}, now: time.Now().UnixMilli()}
		resps = make([]api.SubmitResponse, 0, len(prepared))
		lastRoom := ""
		for _, req := range prepared {
			if req.RoomID == "" && !isCreate(req) {
				req.RoomID = lastRoom
			}
			resp, err := s.submit(ctx, req)
			if err != nil {
				return err
			}
			lastRoom = resp.RoomID
			resps = append(resps, resp)
		}
		return s.finish(ctx)
	})
	if err != nil {
		return nil, err
	}
	r.notifyPublisher()
	return resps, nil
}

func isCreate(req api.SubmitRequest) bool {
	return req.Type == typeCreate && req.StateKey != nil && *req.StateKey == ""
}

// prepare checks what can be checked without the database and fills in
// the content the room version requires of a create event.
func (r *Roomserver) prepare(req api.SubmitRequest, followsAnother bool) (api.SubmitRequest, error) {
	if req.Type == "" {
		return req, fmt.Errorf("%w: no event type", api.ErrInvalidEvent)
	}
	sender, err := id.ParseUserID(req.Sender)
	if err != nil {
		return req, fmt.Errorf("%w: sender: %w", api.ErrInvalidEvent, err)
	}
	if string(sender.ServerName()) != r.cfg.ServerName {
		return req, fmt.Errorf("%w: sender %s is not a user of this server", api.ErrInvalidEvent, req.Sender)
	}
	if req.Content == nil {
		req.Content = json.RawMessage("{}")
	}
	var content map[string]json.RawMessage
	if err := json.Unmarshal(req.Content, &content); err != nil || content == nil {
		return req, fmt.Errorf("%w: content must be a JSON object", api.ErrInvalidEvent)
	}
	if req.Type == typeRedaction && req.Redacts == "" {
		return req, fmt.Errorf("%w: m.room.redaction without the event it redacts", api.ErrInvalidEvent)
	}
	if req.Transaction != nil && (req.Transaction.UserID == "" || req.Transaction.TxnID == "") {
		return req, fmt.Errorf("%w: transaction without user or transaction ID", api.ErrInvalidEvent)
	}
	if !isCreate(req) {
		if req.RoomID == "" && !followsAnother {
			return req, fmt.Errorf("%w: no room ID", api.ErrInvalidEvent)
		}
		return req, nil
	}
	if req.RoomID != "" {
		return req, fmt.Errorf("%w: the roomserver assigns the ID of a new room", api.ErrInvalidEvent)
	}
	defaultVersion := roomversion.ID(r.cfg.Rooms.DefaultVersion)
	if defaultVersion == "" {
		defaultVersion = roomversion.Default
	}
	return prepareCreate(req, content, defaultVersion)
}

// prepareCreate settles the room version (the request's, else the
// content's, else the configured default) and writes it into the create
// event's content, where servers read it (a create event without
// room_version means version 1), with content.creator for the versions
// whose auth rules require it.
//
// https://spec.matrix.org/latest/client-server-api/#mroomcreate
func prepareCreate(req api.SubmitRequest, content map[string]json.RawMessage, defaultVersion roomversion.ID) (api.SubmitRequest, error) {
	version := req.RoomVersion
	if version == "" {
		if raw, ok := content["room_version"]; ok {
			if err := json.Unmarshal(raw, &version); err != nil {
				return req, fmt.Errorf("%w: content.room_version must be a string", api.ErrInvalidEvent)
			}
		}
	}
	if version == "" {
		version = defaultVersion
	}
	rules, err := roomversion.Lookup(version)
	if err != nil {
		return req, fmt.Errorf("room version %q: %w", version, api.ErrUnsupportedRoomVersion)
	}
	req.RoomVersion = rules.ID
	content["room_version"], _ = json.Marshal(string(rules.ID))
	if !rules.ImplicitRoomCreator {
		if _, ok := content["creator"]; !ok {
			content["creator"], _ = json.Marshal(req.Sender)
		}
	}
	if req.Content, err = json.Marshal(content); err != nil {
		return req, fmt.Errorf("%w: content: %w", api.ErrInvalidEvent, err)
	}
	return req, nil
}

// submission is one Submit transaction.
type submission struct {
	r     *Roomserver
	tx    *storage.Tx
	rooms map[string]*roomTx
	now   int64
}

func (s *submission) submit(ctx context.Context, req api.SubmitRequest) (api.SubmitResponse, error) {
	if req.Transaction != nil {
		resp, seen, err := s.claimTransaction(ctx, *req.Transaction)
		if err != nil || seen {
			return resp, err
		}
	}
	var (
		room *roomTx
		ev   *event.Event
		err  error
	)
	if isCreate(req) {
		room, ev, err = s.createRoom(ctx, req)
	} else {
		if room, err = s.room(ctx, req.RoomID); err != nil {
			return api.SubmitResponse{}, err
		}
		ev, err = s.build(ctx, room, req)
	}
	if err != nil {
		return api.SubmitResponse{}, err
	}

	state := &stateProvider{ctx: ctx, q: s.tx, room: room}
	if err := auth.Allowed(room.rules, ev, state); err != nil {
		if state.err != nil {
			return api.SubmitResponse{}, state.err
		}
		return api.SubmitResponse{}, fmt.Errorf("%s from %s in %s: %w", ev.Type(), ev.Sender(), room.id, err)
	}
	if state.err != nil {
		return api.SubmitResponse{}, state.err
	}
	redacts, err := s.checkRedaction(ctx, room, ev)
	if err != nil {
		return api.SubmitResponse{}, err
	}
	if err := s.store(ctx, room, ev, redacts, req.Transaction); err != nil {
		return api.SubmitResponse{}, err
	}
	if req.Transaction != nil {
		if err := s.recordTransaction(ctx, *req.Transaction, room.id, ev.EventID()); err != nil {
			return api.SubmitResponse{}, err
		}
	}
	return api.SubmitResponse{EventID: ev.EventID(), RoomID: room.id}, nil
}

// room returns the room locked for this transaction, locking it on first
// use.
func (s *submission) room(ctx context.Context, roomID string) (*roomTx, error) {
	if room, ok := s.rooms[roomID]; ok {
		return room, nil
	}
	room, err := lockRoom(ctx, s.tx, roomID)
	if err != nil {
		return nil, err
	}
	s.rooms[roomID] = room
	return room, nil
}

// finish writes back every room the transaction changed.
func (s *submission) finish(ctx context.Context) error {
	for _, room := range s.rooms {
		if err := room.save(ctx, s.tx); err != nil {
			return err
		}
	}
	return nil
}

// buildError sorts the errors of event.Build into the API's: the size limit
// keeps its own error, everything else is an invalid event.
func buildError(evType string, err error) error {
	if errors.Is(err, event.ErrEventTooLarge) {
		return fmt.Errorf("build %s: %w", evType, err)
	}
	return fmt.Errorf("%w: build %s: %w", api.ErrInvalidEvent, evType, err)
}
