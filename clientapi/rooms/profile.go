package rooms

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/roomserver/api"
	"github.com/ocomms/ocomms/spec/errcode"
	"github.com/ocomms/ocomms/spec/id"
	"github.com/ocomms/ocomms/storage"
)

func (r *Rooms) registerProfile(c *mux.Router) {
	r.handlePublic(c, http.MethodGet, "/profile/{userId}", r.getProfile)
	r.handlePublic(c, http.MethodGet, "/profile/{userId}/{keyName}", r.getProfileField)
	r.handleGuests(c, http.MethodPut, "/profile/{userId}/{keyName}", r.putProfileField)
	r.handleGuests(c, http.MethodDelete, "/profile/{userId}/{keyName}", r.deleteProfileField)
}

// loadProfile reads a local user's profile. A user who never set one has
// their localpart as display name, as Synapse gives new accounts; ok is
// false for users this server does not have.
func (r *Rooms) loadProfile(ctx context.Context, userID string) (p profile, ok bool, err error) {
	if p, ok, err = readProfileRow(ctx, r.db, userID); ok || err != nil {
		return p, ok, err
	}
	uid, perr := id.ParseUserID(userID)
	if perr != nil || string(uid.ServerName()) != r.cfg.ServerName {
		return profile{}, false, nil
	}
	if r.users != nil {
		exists, err := r.users.UserExists(ctx, userID)
		if err != nil {
			return profile{}, false, fmt.Errorf("looking up user %s: %w", userID, err)
		}
		if !exists {
			return profile{}, false, nil
		}
	}
	return defaultProfile(uid), true, nil
}

func defaultProfile(uid id.UserID) profile {
	local := uid.Localpart()
	return profile{Displayname: &local}
}

// storeProfile writes the whole profile.
func (r *Rooms) storeProfile(ctx context.Context, userID string, p profile) error {
	return writeProfileRow(ctx, r.db, userID, p)
}

// parseProfileUser checks the path's user ID; profiles of other servers
// need federation, which answers them as unknown here.
func (r *Rooms) parseProfileUser(req *http.Request) (string, error) {
	uid, err := id.ParseUserID(httpapi.Vars(req)["userId"])
	if err != nil {
		return "", errcode.InvalidParam("invalid user ID")
	}
	return string(uid), nil
}

// https://spec.matrix.org/latest/client-server-api/#get_matrixclientv3profileuserid
func (r *Rooms) getProfile(req *http.Request) (any, error) {
	userID, err := r.parseProfileUser(req)
	if err != nil {
		return nil, err
	}
	if err := r.checkProfileLookup(req, userID); err != nil {
		return nil, err
	}
	p, ok, err := r.loadProfile(req.Context(), userID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errcode.NotFound("profile not found")
	}
	return p, nil
}

// https://spec.matrix.org/latest/client-server-api/#get_matrixclientv3profileuseridkeyname
func (r *Rooms) getProfileField(req *http.Request) (any, error) {
	userID, err := r.parseProfileUser(req)
	if err != nil {
		return nil, err
	}
	key := httpapi.Vars(req)["keyName"]
	if err := checkProfileKey(key); err != nil {
		return nil, err
	}
	if err := r.checkProfileLookup(req, userID); err != nil {
		return nil, err
	}
	p, ok, err := r.loadProfile(req.Context(), userID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errcode.NotFound("profile not found")
	}
	value, ok := p.get(key)
	if !ok {
		return nil, errcode.NotFound("profile field " + key + " is not set")
	}
	return map[string]json.RawMessage{key: value}, nil
}

// putProfileField sets one field of the caller's profile. A new display
// name or avatar also updates their member event in every joined room.
//
// https://spec.matrix.org/latest/client-server-api/#put_matrixclientv3profileuseridkeyname
func (r *Rooms) putProfileField(req *http.Request, dev *httpapi.Device) (any, error) {
	userID, key, err := r.profileFieldToChange(req, dev)
	if err != nil {
		return nil, err
	}
	var body map[string]json.RawMessage
	if err := httpapi.DecodeJSON(req, &body); err != nil {
		return nil, err
	}
	raw, present := body[key]
	if !present {
		return nil, errcode.MissingParam("missing " + key)
	}
	if len(body) != 1 {
		return nil, errcode.BadJSON("the body must hold only the " + key + " property")
	}
	value, err := profileValue(key, raw)
	if err != nil {
		return nil, err
	}
	return r.setProfileField(req.Context(), userID, key, value)
}

// deleteProfileField removes one field; removing an unset one succeeds.
//
// https://spec.matrix.org/latest/client-server-api/#delete_matrixclientv3profileuseridkeyname
func (r *Rooms) deleteProfileField(req *http.Request, dev *httpapi.Device) (any, error) {
	userID, key, err := r.profileFieldToChange(req, dev)
	if err != nil {
		return nil, err
	}
	return r.setProfileField(req.Context(), userID, key, nil)
}

// profileFieldToChange checks who may change which field: users their
// own profile (guests only their display name), admins anyone's.
func (r *Rooms) profileFieldToChange(req *http.Request, dev *httpapi.Device) (userID, key string, err error) {
	userID, err = r.parseProfileUser(req)
	if err != nil {
		return "", "", err
	}
	key = httpapi.Vars(req)["keyName"]
	if err := checkProfileKey(key); err != nil {
		return "", "", err
	}
	if userID != dev.UserID && !dev.IsAdmin {
		return "", "", errcode.Forbidden("you cannot change another user's profile")
	}
	if dev.IsGuest && key != fieldDisplayname {
		return "", "", errcode.GuestAccessForbidden("guest accounts may only change their display name")
	}
	return userID, key, nil
}

// setProfileField stores a field (nil clears it) in one serializable
// transaction, so concurrent changes of different fields both stay, and
// propagates a new display name or avatar to the user's rooms.
func (r *Rooms) setProfileField(ctx context.Context, userID, key string, value json.RawMessage) (any, error) {
	// Validated before the transaction: the user exists.
	if _, ok, err := r.loadProfile(ctx, userID); err != nil {
		return nil, err
	} else if !ok {
		return nil, errcode.NotFound("profile not found")
	}
	var changed bool
	var p profile
	err := r.db.WithTx(ctx, func(ctx context.Context, tx *storage.Tx) error {
		var ok bool
		var err error
		if p, ok, err = readProfileRow(ctx, tx, userID); err != nil {
			return err
		} else if !ok {
			uid, _ := id.ParseUserID(userID)
			p = defaultProfile(uid)
		}
		old, had := p.get(key)
		if changed = had != (value != nil) || (had && !bytes.Equal(old, value)); !changed {
			// Unchanged: no member event in every room, as in Synapse.
			return nil
		}
		p.set(key, value)
		if size := len(mustJSON(p)); size > maxProfileSize {
			return errcode.New(errcode.CodeProfileTooLarge, fmt.Sprintf("the profile would be %d bytes, over the limit of %d", size, maxProfileSize))
		}
		return writeProfileRow(ctx, tx, userID, p)
	}, storage.Serializable())
	if err != nil {
		return nil, err
	}
	if changed && (key == fieldDisplayname || key == fieldAvatarURL) {
		// The profile is stored: finish the rooms even if the client goes away.
		r.propagateProfile(context.WithoutCancel(ctx), userID, p)
	}
	return struct{}{}, nil
}

// propagateProfile sends a fresh join event carrying the new profile into
// every room the user is joined to, one room at a time: a room where the
// user may no longer send their member event must not stop the others.
func (r *Rooms) propagateProfile(ctx context.Context, userID string, p profile) {
	roomIDs, err := r.rooms.RoomsOfUser(ctx, userID, membershipJoin)
	if err != nil {
		r.log.ErrorContext(ctx, "listing rooms for a profile update", "user_id", userID, "error", err)
		return
	}
	// A fresh join, as Synapse sends: the global profile replaces any
	// per-room one, and the old join's reason does not carry over.
	content := map[string]json.RawMessage{"membership": mustJSON(membershipJoin)}
	setProfileFields(content, p)
	for _, roomID := range roomIDs {
		_, err = r.rooms.Submit(ctx, api.SubmitRequest{
			RoomID: roomID, Type: typeMember, StateKey: strPtr(userID), Sender: userID, Content: mustJSON(content),
		})
		if err != nil {
			r.log.WarnContext(ctx, "profile not updated in room", "room_id", roomID, "user_id", userID, "error", err)
		}
	}
}

func setProfileFields(content map[string]json.RawMessage, p profile) {
	if p.Displayname != nil {
		content["displayname"] = mustJSON(*p.Displayname)
	}
	if p.AvatarURL != nil {
		content["avatar_url"] = mustJSON(*p.AvatarURL)
	}
}

// memberContent is the content of a membership event about target. Joins,
// invites and knocks of local users carry the target's profile unless the
// client set a per-room one, as Synapse does.
func (r *Rooms) memberContent(ctx context.Context, target, membership, reason string, extra map[string]json.RawMessage) (json.RawMessage, error) {
	content := map[string]json.RawMessage{}
	for k, v := range extra {
		content[k] = v
	}
	content["membership"] = mustJSON(membership)
	if reason != "" {
		content["reason"] = mustJSON(reason)
	}
	if membership == membershipJoin || membership == membershipInvite || membership == membershipKnock {
		_, hasName := content["displayname"]
		_, hasAvatar := content["avatar_url"]
		p, ok, err := r.loadProfile(ctx, target)
		if err != nil {
			return nil, err
		}
		if ok {
			if !hasName && p.Displayname != nil {
				content["displayname"] = mustJSON(*p.Displayname)
			}
			if !hasAvatar && p.AvatarURL != nil {
				content["avatar_url"] = mustJSON(*p.AvatarURL)
			}
		}
	}
	return mustJSON(content), nil
}
