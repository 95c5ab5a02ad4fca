package rooms

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/gorilla/mux"

	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/roomserver/api"
	"github.com/ocomms/ocomms/spec/errcode"
	"github.com/ocomms/ocomms/spec/id"
	"github.com/ocomms/ocomms/storage"
)

func (r *Rooms) registerAliases(c *mux.Router) {
	r.handle(c, http.MethodPut, "/directory/room/{roomAlias}", r.putAlias)
	r.handlePublic(c, http.MethodGet, "/directory/room/{roomAlias}", r.getAlias)
	r.handle(c, http.MethodDelete, "/directory/room/{roomAlias}", r.deleteAliasHandler)
	r.handle(c, http.MethodGet, "/rooms/{roomId}/aliases", r.getRoomAliases)
}

// parseLocalAlias checks an alias a client wants to create or delete
// here: it must be valid and belong to this server.
func (r *Rooms) parseLocalAlias(s string) (id.RoomAlias, error) {
	a, err := id.ParseRoomAlias(s)
	if err != nil || strings.ContainsAny(a.Localpart(), " \t\n\r") {
		return "", errcode.InvalidParam("invalid room alias")
	}
	if string(a.ServerName()) != r.cfg.ServerName {
		return "", errcode.InvalidParam("room alias must be on server " + r.cfg.ServerName)
	}
	return a, nil
}

type putAliasRequest struct {
	RoomID string `json:"room_id"`
}

// putAlias maps a local alias to a room the caller is joined to.
//
// https://spec.matrix.org/latest/client-server-api/#put_matrixclientv3directoryroomroomalias
func (r *Rooms) putAlias(req *http.Request, dev *httpapi.Device) (any, error) {
	alias, err := r.parseLocalAlias(httpapi.Vars(req)["roomAlias"])
	if err != nil {
		return nil, err
	}
	var body putAliasRequest
	if err := httpapi.DecodeJSON(req, &body); err != nil {
		return nil, err
	}
	if body.RoomID == "" {
		return nil, errcode.MissingParam("missing room_id")
	}
	if _, err := id.ParseRoomID(body.RoomID); err != nil {
		return nil, errcode.InvalidParam("invalid room_id")
	}
	ctx := req.Context()
	exists, err := r.roomExists(ctx, body.RoomID)
	if err != nil {
		return nil, err
	}
	if !exists {
		return nil, errcode.NotFound("unknown room")
	}
	if !dev.IsAdmin {
		if err := r.requireJoined(ctx, body.RoomID, dev.UserID); err != nil {
			return nil, err
		}
	}
	err = r.db.WithTx(ctx, func(ctx context.Context, tx *storage.Tx) error {
		return insertAlias(ctx, tx, string(alias), body.RoomID, dev.UserID)
	})
	if errors.Is(err, errAliasTaken) {
		return nil, aliasConflict(alias)
	}
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// getAlias resolves an alias of this server.
//
// https://spec.matrix.org/latest/client-server-api/#get_matrixclientv3directoryroomroomalias
func (r *Rooms) getAlias(req *http.Request) (any, error) {
	alias, err := id.ParseRoomAlias(httpapi.Vars(req)["roomAlias"])
	if err != nil {
		return nil, errcode.InvalidParam("invalid room alias")
	}
	roomID, err := r.resolveAlias(req.Context(), alias)
	if err != nil {
		return nil, err
	}
	return map[string]any{"room_id": roomID, "servers": []string{r.cfg.ServerName}}, nil
}

// resolveAlias returns the room of an alias, or 404. Aliases of other
// servers need federation and are unknown here.
func (r *Rooms) resolveAlias(ctx context.Context, alias id.RoomAlias) (string, error) {
	if string(alias.ServerName()) != r.cfg.ServerName {
		return "", errcode.NotFound("room alias " + string(alias) + " not found")
	}
	a, ok, err := r.lookupAlias(ctx, string(alias))
	if err != nil {
		return "", err
	}
	if !ok {
		return "", errcode.NotFound("room alias " + string(alias) + " not found")
	}
	return a.RoomID, nil
}

// deleteAliasHandler removes an alias; its creator, a server admin or a
// room admin (who may change m.room.canonical_alias) may. The alias also
// leaves the room's canonical alias event, when the caller may send it.
//
// https://spec.matrix.org/latest/client-server-api/#delete_matrixclientv3directoryroomroomalias
func (r *Rooms) deleteAliasHandler(req *http.Request, dev *httpapi.Device) (any, error) {
	alias, err := r.parseLocalAlias(httpapi.Vars(req)["roomAlias"])
	if err != nil {
		return nil, err
	}
	ctx := req.Context()
	a, ok, err := r.lookupAlias(ctx, string(alias))
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errcode.NotFound("room alias " + string(alias) + " not found")
	}
	if a.Creator != dev.UserID && !dev.IsAdmin {
		levels, _, err := r.powerLevels(ctx, a.RoomID)
		if err != nil && !errors.Is(err, api.ErrRoomNotFound) {
			return nil, err
		}
		if err != nil || !canSendState(levels, dev.UserID, typeCanonicalAlias) {
			return nil, errcode.Forbidden("you may not delete this alias")
		}
	}
	if _, err := r.deleteAlias(ctx, string(alias)); err != nil {
		return nil, err
	}
	r.dropFromCanonicalAlias(ctx, a.RoomID, string(alias), dev.UserID)
	return struct{}{}, nil
}

// dropFromCanonicalAlias removes a deleted alias from the room's
// m.room.canonical_alias. Failing to (the user lacks the power) leaves the
// event as it is: the alias is gone either way.
func (r *Rooms) dropFromCanonicalAlias(ctx context.Context, roomID, alias, sender string) {
	st, err := r.currentState(ctx, roomID, key(typeCanonicalAlias, ""))
	if err != nil {
		return
	}
	ev := st[key(typeCanonicalAlias, "")]
	if ev == nil {
		return
	}
	var c canonicalAliasContent
	if json.Unmarshal(ev.Content(), &c) != nil {
		return
	}
	content := contentObject(ev)
	changed := false
	if c.Alias != nil && *c.Alias == alias {
		delete(content, "alias")
		changed = true
	}
	if len(c.AltAliases) > 0 {
		kept := []string{}
		for _, a := range c.AltAliases {
			if a != alias {
				kept = append(kept, a)
			}
		}
		if len(kept) != len(c.AltAliases) {
			content["alt_aliases"] = mustJSON(kept)
			if len(kept) == 0 {
				delete(content, "alt_aliases")
			}
			changed = true
		}
	}
	if !changed {
		return
	}
	if _, err := r.rooms.Submit(ctx, api.SubmitRequest{
		RoomID: roomID, Type: typeCanonicalAlias, StateKey: strPtr(""), Sender: sender, Content: mustJSON(content),
	}); err != nil {
		r.log.InfoContext(ctx, "canonical alias kept after alias deletion", "room_id", roomID, "alias", alias, "error", err)
	}
}

// getRoomAliases lists the room's local aliases, for members and for
// anyone when the room's history is world readable.
//
// https://spec.matrix.org/latest/client-server-api/#get_matrixclientv3roomsroomidaliases
func (r *Rooms) getRoomAliases(req *http.Request, dev *httpapi.Device) (any, error) {
	roomID := httpapi.Vars(req)["roomId"]
	if _, err := id.ParseRoomID(roomID); err != nil {
		return nil, errcode.InvalidParam("invalid room ID")
	}
	ctx := req.Context()
	m, err := r.membership(ctx, roomID, dev.UserID)
	if err != nil {
		return nil, err
	}
	if m.Membership != membershipJoin && !dev.IsAdmin {
		st, err := r.currentState(ctx, roomID, key(typeHistoryVisibility, ""))
		if err != nil && !errors.Is(err, api.ErrRoomNotFound) {
			return nil, err
		}
		if contentString(st[key(typeHistoryVisibility, "")], "history_visibility") != "world_readable" {
			return nil, notInRoom()
		}
	}
	aliases, err := r.aliasesOfRoom(ctx, r.db, roomID)
	if err != nil {
		return nil, err
	}
	return map[string]any{"aliases": aliases}, nil
}

// canonicalAliasContent is m.room.canonical_alias content.
//
// https://spec.matrix.org/latest/client-server-api/#mroomcanonical_alias
type canonicalAliasContent struct {
	Alias      *string  `json:"alias"`
	AltAliases []string `json:"alt_aliases"`
}

// checkCanonicalAlias validates new m.room.canonical_alias content: every
// alias must be valid (M_INVALID_PARAM) and point to this room
// (M_BAD_ALIAS). Aliases of other servers cannot be checked without
// federation and are refused as bad.
//
// https://spec.matrix.org/latest/client-server-api/#put_matrixclientv3roomsroomidstateeventtypestatekey
func (r *Rooms) checkCanonicalAlias(ctx context.Context, roomID string, content json.RawMessage) error {
	var c canonicalAliasContent
	if err := json.Unmarshal(content, &c); err != nil {
		return errcode.InvalidParam("alias must be a string and alt_aliases a list of strings")
	}
	all := c.AltAliases
	if c.Alias != nil {
		all = append([]string{*c.Alias}, all...)
	}
	for _, s := range all {
		a, err := id.ParseRoomAlias(s)
		if err != nil {
			return errcode.InvalidParam("invalid room alias " + s)
		}
		got, err := r.resolveAlias(ctx, a)
		var e *errcode.Error
		if errors.As(err, &e) && e.Code == errcode.CodeNotFound {
			return errcode.BadAlias("room alias " + s + " does not exist")
		}
		if err != nil {
			return err
		}
		if got != roomID {
			return errcode.BadAlias("room alias " + s + " points to another room")
		}
	}
	return nil
}

// aliasConflict is the spec's 409 for an alias that exists already.
func aliasConflict(alias id.RoomAlias) *errcode.Error {
	return errcode.Unknown("room alias " + string(alias) + " already exists").WithStatus(http.StatusConflict)
}
