// Package typing serves PUT /rooms/{roomId}/typing/{userId}: it checks the
// request and publishes the notification on the typing stream, which every
// syncapi instance reads into memory. Nothing is stored: a typing
// notification is worthless once it expired, and a lost one costs a
// client nothing but a missing "is typing…" line.
//
// https://spec.matrix.org/latest/client-server-api/#typing-notifications
package typing

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/ocomms/ocomms/bus"
	clientapi "github.com/ocomms/ocomms/clientapi/api"
	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/roomserver/api"
	"github.com/ocomms/ocomms/spec/errcode"
	"github.com/ocomms/ocomms/spec/id"
	"github.com/ocomms/ocomms/storage"
)

// Typing is the typing notifications' component.
type Typing struct {
	bus   *bus.Bus
	rooms api.API
	authn httpapi.Authenticator
	log   *slog.Logger
}

// New builds the component.
func New(b *bus.Bus, rooms api.API, authn httpapi.Authenticator, log *slog.Logger) *Typing {
	return &Typing{bus: b, rooms: rooms, authn: authn, log: log.With(slog.String("component", "typing"))}
}

// Name identifies the component in logs.
func (t *Typing) Name() string { return "clientapi_typing" }

// Migrations is empty: typing notifications are not stored.
func (t *Typing) Migrations() []storage.Migration { return nil }

// Streams returns the typing stream.
func (t *Typing) Streams() []bus.StreamSpec { return clientapi.TypingStreams() }

// Register mounts the endpoint.
func (t *Typing) Register(routes httpapi.Routes) {
	httpapi.HandleClient(routes.Client, http.MethodPut, "/rooms/{roomId}/typing/{userId}",
		httpapi.Authenticated(t.authn, t.setTyping), httpapi.ClientR0V3)
}

type typingRequest struct {
	Typing  *bool  `json:"typing"`
	Timeout *int64 `json:"timeout"`
}

// setTyping serves PUT /rooms/{roomId}/typing/{userId}: only for oneself,
// only in a room one is joined to.
//
// https://spec.matrix.org/latest/client-server-api/#put_matrixclientv3roomsroomidtypinguserid
func (t *Typing) setTyping(r *http.Request, dev *httpapi.Device) (any, error) {
	v := httpapi.Vars(r)
	roomID, userID := v["roomId"], v["userId"]
	if _, err := id.ParseRoomID(roomID); err != nil {
		return nil, errcode.InvalidParam("invalid room ID")
	}
	if userID != dev.UserID {
		return nil, errcode.Forbidden("cannot set the typing state of another user")
	}
	var body typingRequest
	if err := httpapi.DecodeJSON(r, &body); err != nil {
		return nil, err
	}
	if body.Typing == nil {
		return nil, errcode.BadJSON("typing is required")
	}
	timeout := clientapi.DefaultTypingTimeout
	if body.Timeout != nil {
		if *body.Timeout < 0 {
			return nil, errcode.InvalidParam("timeout must not be negative")
		}
		timeout = min(time.Duration(*body.Timeout)*time.Millisecond, clientapi.MaxTypingTimeout)
	}
	ctx := r.Context()
	m, err := t.rooms.Membership(ctx, roomID, dev.UserID)
	switch {
	case errors.Is(err, api.ErrRoomNotFound):
		return nil, errcode.Forbidden("you are not in this room")
	case err != nil:
		return nil, err
	case m.Membership != "join":
		return nil, errcode.Forbidden("you are not in this room")
	}
	msg := clientapi.Typing{Version: clientapi.TypingVersion, RoomID: roomID, UserID: dev.UserID, Typing: *body.Typing}
	if msg.Typing {
		msg.TimeoutMS = timeout.Milliseconds()
	}
	if err := t.bus.Publish(ctx, clientapi.TypingSubject, msg); err != nil {
		return nil, fmt.Errorf("publishing typing of %s in %s: %w", dev.UserID, roomID, err)
	}
	return struct{}{}, nil
}
