package rooms

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/gorilla/mux"

	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/roomserver/api"
	"github.com/ocomms/ocomms/spec/errcode"
	"github.com/ocomms/ocomms/spec/id"
)

// Limits Synapse applies to profile fields, so clients see the same
// behaviour on both servers.
const (
	maxDisplaynameLen = 256
	maxAvatarURLLen   = 1000
)

// profile is a user's global profile; nil fields are unset.
type profile struct {
	Displayname *string `json:"displayname,omitempty"`
	AvatarURL   *string `json:"avatar_url,omitempty"`
}

func (r *Rooms) registerProfile(c *mux.Router) {
	r.handlePublic(c, http.MethodGet, "/profile/{userId}", r.getProfile)
	r.handlePublic(c, http.MethodGet, "/profile/{userId}/{field:displayname|avatar_url}", r.getProfileField)
	r.handleGuests(c, http.MethodPut, "/profile/{userId}/{field:displayname|avatar_url}", r.putProfileField)
	r.handleGuests(c, http.MethodDelete, "/profile/{userId}/{field:displayname|avatar_url}", r.deleteProfileField)
}

// loadProfile reads a local user's profile. A user who never set one has
// their localpart as display name, as Synapse gives new accounts; ok is
// false for users this server does not have.
func (r *Rooms) loadProfile(ctx context.Context, userID string) (p profile, ok bool, err error) {
	var name, avatar sql.NullString
	err = r.db.QueryRow(ctx, `SELECT displayname, avatar_url FROM profiles WHERE user_id = $1`, userID).Scan(&name, &avatar)
	switch {
	case err == nil:
		if name.Valid {
			p.Displayname = &name.String
		}
		if avatar.Valid {
			p.AvatarURL = &avatar.String
		}
		return p, true, nil
	case !errors.Is(err, sql.ErrNoRows):
		return profile{}, false, fmt.Errorf("reading profile of %s: %w", userID, err)
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
	local := uid.Localpart()
	return profile{Displayname: &local}, true, nil
}

// storeProfile writes the whole profile.
func (r *Rooms) storeProfile(ctx context.Context, userID string, p profile) error {
	_, err := r.db.Exec(ctx, `INSERT INTO profiles (user_id, displayname, avatar_url) VALUES ($1, $2, $3)
		ON CONFLICT (user_id) DO UPDATE SET displayname = excluded.displayname, avatar_url = excluded.avatar_url`,
		userID, nullable(p.Displayname), nullable(p.AvatarURL))
	if err != nil {
		return fmt.Errorf("storing profile of %s: %w", userID, err)
	}
	return nil
}

func nullable(s *string) any {
	if s == nil {
		return nil
	}
	return *s
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
	p, ok, err := r.loadProfile(req.Context(), userID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errcode.NotFound("profile not found")
	}
	field := httpapi.Vars(req)["field"]
	value := p.Displayname
	if field == "avatar_url" {
		value = p.AvatarURL
	}
	if value == nil {
		return nil, errcode.NotFound("profile field " + field + " is not set")
	}
	return map[string]string{field: *value}, nil
}

// putProfileField sets the display name or avatar of the caller and
// updates their member event in every room they are joined to.
//
// https://spec.matrix.org/latest/client-server-api/#put_matrixclientv3profileuseridkeyname
func (r *Rooms) putProfileField(req *http.Request, dev *httpapi.Device) (any, error) {
	userID, field, err := r.profileFieldToChange(req, dev)
	if err != nil {
		return nil, err
	}
	var body map[string]json.RawMessage
	if err := httpapi.DecodeJSON(req, &body); err != nil {
		return nil, err
	}
	raw, present := body[field]
	if !present {
		return nil, errcode.MissingParam("missing " + field)
	}
	value, err := profileValue(field, raw)
	if err != nil {
		return nil, err
	}
	return r.setProfileField(req.Context(), userID, field, value)
}

// deleteProfileField clears the display name or avatar.
//
// https://spec.matrix.org/latest/client-server-api/#delete_matrixclientv3profileuseridkeyname
func (r *Rooms) deleteProfileField(req *http.Request, dev *httpapi.Device) (any, error) {
	userID, field, err := r.profileFieldToChange(req, dev)
	if err != nil {
		return nil, err
	}
	return r.setProfileField(req.Context(), userID, field, nil)
}

// profileFieldToChange checks who may change which field: users their
// own profile (guests only their display name), admins anyone's.
func (r *Rooms) profileFieldToChange(req *http.Request, dev *httpapi.Device) (userID, field string, err error) {
	userID, err = r.parseProfileUser(req)
	if err != nil {
		return "", "", err
	}
	if userID != dev.UserID && !dev.IsAdmin {
		return "", "", errcode.Forbidden("you cannot change another user's profile")
	}
	field = httpapi.Vars(req)["field"]
	if dev.IsGuest && field != "displayname" {
		return "", "", errcode.GuestAccessForbidden("guest accounts may only change their display name")
	}
	return userID, field, nil
}

// setProfileField stores a field (nil clears it) and propagates the
// profile to the user's rooms.
func (r *Rooms) setProfileField(ctx context.Context, userID, field string, value *string) (any, error) {
	p, ok, err := r.loadProfile(ctx, userID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errcode.NotFound("profile not found")
	}
	cur := &p.Displayname
	if field == "avatar_url" {
		cur = &p.AvatarURL
	}
	if (*cur == nil && value == nil) || (*cur != nil && value != nil && **cur == *value) {
		// Unchanged: no member event in every room, as in Synapse.
		return struct{}{}, nil
	}
	*cur = value
	if err := r.storeProfile(ctx, userID, p); err != nil {
		return nil, err
	}
	// The profile is stored: finish the rooms even if the client goes away.
	r.propagateProfile(context.WithoutCancel(ctx), userID, p)
	return struct{}{}, nil
}

// profileValue validates a new field value; nil (for "") clears the
// field. null is refused as Synapse does: clients clear with "" or DELETE.
func profileValue(field string, raw json.RawMessage) (*string, error) {
	if string(raw) == "null" {
		return nil, errcode.InvalidParam(field + " cannot be null")
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, errcode.BadJSON(field + " must be a string")
	}
	switch field {
	case "displayname":
		if utf8.RuneCountInString(s) > maxDisplaynameLen {
			return nil, errcode.BadJSON(fmt.Sprintf("displayname is too long (max %d)", maxDisplaynameLen))
		}
	case "avatar_url":
		if len(s) > maxAvatarURLLen {
			return nil, errcode.BadJSON(fmt.Sprintf("avatar_url is too long (max %d)", maxAvatarURLLen))
		}
		if s != "" && !strings.HasPrefix(s, "mxc://") {
			return nil, errcode.InvalidParam("avatar_url must be an mxc:// URI")
		}
	}
	if s == "" {
		return nil, nil
	}
	return &s, nil
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
