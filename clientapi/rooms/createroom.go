package rooms

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/gorilla/mux"

	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/spec/auth"
	"github.com/ocomms/ocomms/spec/errcode"
	"github.com/ocomms/ocomms/spec/id"
	"github.com/ocomms/ocomms/spec/roomversion"
	"github.com/ocomms/ocomms/storage"
)

func (r *Rooms) registerCreateRoom(c *mux.Router) {
	r.handle(c, http.MethodPost, "/createRoom", r.createRoom)
}

// Presets of createRoom.
const (
	presetPrivateChat        = "private_chat"
	presetTrustedPrivateChat = "trusted_private_chat"
	presetPublicChat         = "public_chat"
)

type initialStateEvent struct {
	Type     string          `json:"type"`
	StateKey string          `json:"state_key"`
	Content  json.RawMessage `json:"content"`
}

type createRoomRequest struct {
	Visibility                string                     `json:"visibility"`
	RoomAliasName             *string                    `json:"room_alias_name"`
	Name                      *string                    `json:"name"`
	Topic                     *string                    `json:"topic"`
	Invite                    []string                   `json:"invite"`
	Invite3PID                []json.RawMessage          `json:"invite_3pid"`
	RoomVersion               roomversion.ID             `json:"room_version"`
	CreationContent           map[string]json.RawMessage `json:"creation_content"`
	InitialState              []initialStateEvent        `json:"initial_state"`
	Preset                    string                     `json:"preset"`
	IsDirect                  bool                       `json:"is_direct"`
	PowerLevelContentOverride map[string]json.RawMessage `json:"power_level_content_override"`
}

// createRoom creates a room with the events the spec lists, in its order,
// in one roomserver batch: a rejected event leaves no room behind.
//
// https://spec.matrix.org/latest/client-server-api/#post_matrixclientv3createroom
func (r *Rooms) createRoom(req *http.Request, dev *httpapi.Device) (any, error) {
	var body createRoomRequest
	if err := httpapi.DecodeJSON(req, &body); err != nil {
		return nil, err
	}
	ctx := req.Context()
	plan, alias, err := r.planCreateRoom(ctx, dev.UserID, body)
	if err != nil {
		return nil, err
	}
	creatorContent, err := r.memberContent(ctx, dev.UserID, membershipJoin, "", nil)
	if err != nil {
		return nil, err
	}
	reqs, err := r.planRequests(ctx, plan, creatorContent)
	if err != nil {
		return nil, err
	}

	if alias != "" {
		if err := r.reserveAlias(ctx, alias, dev.UserID); errors.Is(err, errAliasTaken) {
			return nil, errcode.RoomInUse("room alias already taken")
		} else if err != nil {
			return nil, err
		}
	}
	res, err := r.rooms.Submit(ctx, reqs...)
	if err != nil {
		if alias != "" {
			if rerr := r.releaseAlias(context.WithoutCancel(ctx), alias); rerr != nil {
				r.log.ErrorContext(ctx, "releasing alias of a room not created", "alias", alias, "error", rerr)
			}
		}
		return nil, createRoomError(err)
	}
	roomID := res[0].RoomID
	// The room exists: bind its alias even if the client goes away.
	ctx = context.WithoutCancel(ctx)
	public := body.Visibility == "public"
	if alias != "" || public {
		err := r.db.WithTx(ctx, func(ctx context.Context, tx *storage.Tx) error {
			if alias != "" {
				if err := bindAlias(ctx, tx, alias, roomID); err != nil {
					return err
				}
			}
			if public {
				return setPublished(ctx, tx, roomID, true)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	resp := map[string]string{"room_id": roomID}
	if alias != "" {
		resp["room_alias"] = alias
	}
	return resp, nil
}

// createRoomError maps a rejected batch: the state the request implies
// is invalid (400 M_INVALID_ROOM_STATE), not the caller forbidden.
func createRoomError(err error) error {
	if errors.Is(err, auth.ErrNotAllowed) && !errors.Is(err, auth.ErrInvalidPowerLevels) {
		return errors.Join(errcode.InvalidRoomState(reason(err)), err)
	}
	return submitError(err)
}

// planCreateRoom validates the request and turns it into a room plan. It
// returns the full alias to create, if any.
func (r *Rooms) planCreateRoom(ctx context.Context, creator string, body createRoomRequest) (roomPlan, string, error) {
	var plan roomPlan
	switch body.Visibility {
	case "", "public", "private":
	default:
		return plan, "", errcode.InvalidParam("visibility must be public or private")
	}
	preset := body.Preset
	switch preset {
	case "":
		preset = presetPrivateChat
		if body.Visibility == "public" {
			preset = presetPublicChat
		}
	case presetPrivateChat, presetTrustedPrivateChat, presetPublicChat:
	default:
		return plan, "", errcode.InvalidParam("unknown preset " + preset)
	}
	version := body.RoomVersion
	if version == "" {
		version = roomversion.ID(r.cfg.Rooms.DefaultVersion)
	}
	rules, err := roomversion.Lookup(version)
	if err != nil {
		return plan, "", errcode.UnsupportedRoomVersion("this server does not support room version " + string(version))
	}
	if len(body.Invite3PID) > 0 {
		return plan, "", errcode.InvalidParam("third-party invites need an identity server, which this server does not use")
	}

	var alias string
	if body.RoomAliasName != nil {
		name := *body.RoomAliasName
		if name == "" || strings.ContainsAny(name, ":# \t\n\r") {
			return plan, "", errcode.InvalidParam("invalid characters in room alias")
		}
		a, err := id.NewRoomAlias(name, id.ServerName(r.cfg.ServerName))
		if err != nil {
			return plan, "", errcode.InvalidParam("invalid room alias")
		}
		alias = string(a)
		if _, taken, err := r.lookupAlias(ctx, alias); err != nil {
			return plan, "", err
		} else if taken {
			return plan, "", errcode.RoomInUse("room alias already taken")
		}
	}

	invitees, err := parseInvitees(creator, body.Invite)
	if err != nil {
		return plan, "", err
	}
	for _, u := range invitees {
		if err := r.requireLocal(u); err != nil {
			return plan, "", err
		}
		// One blocked invitee refuses the whole request before the room
		// exists, rather than creating it without them.
		if err := r.requireInviteAllowed(ctx, u); err != nil {
			return plan, "", err
		}
	}
	create, err := createContent(rules, creator, body.CreationContent)
	if err != nil {
		return plan, "", err
	}
	if preset == presetTrustedPrivateChat && rules.PrivilegedCreators && len(invitees) > 0 {
		// MSC4289: in v12 trusted invitees become creators instead of
		// getting power level 100.
		addCreators(create, creator, invitees)
	}

	initial := map[auth.StateKey]initialStateEvent{}
	for _, ev := range body.InitialState {
		if ev.Type == "" {
			return plan, "", errcode.BadJSON("initial_state events need a type")
		}
		if _, err := decodeObject(ev.Content); err != nil {
			return plan, "", errcode.BadJSON("initial_state content of " + ev.Type + " must be an object")
		}
		if ev.Type == typeCreate {
			return plan, "", errcode.InvalidParam("m.room.create cannot be in initial_state: use creation_content")
		}
		initial[key(ev.Type, ev.StateKey)] = ev
	}

	pl, err := defaultPowerLevels(rules, creator, preset, invitees)
	if err != nil {
		return plan, "", err
	}
	for k, v := range body.PowerLevelContentOverride {
		pl[k] = v
	}
	if ev, ok := initial[key(typePowerLevels, "")]; ok {
		// A complete power levels event in initial_state replaces the
		// defaults and the override (as in Synapse), at the defaults'
		// place in the order.
		pl, _ = decodeObject(ev.Content)
	}

	plan = roomPlan{rules: rules, creator: creator, create: create, powerLevels: pl}
	if _, overridden := initial[key(typeCanonicalAlias, "")]; alias != "" && !overridden {
		plan.add(typeCanonicalAlias, "", map[string]any{"alias": alias})
	}
	joinRule, guests := "invite", "can_join"
	if preset == presetPublicChat {
		joinRule, guests = "public", "forbidden"
	}
	for _, ev := range []struct {
		typ     string
		content map[string]any
	}{
		{typeJoinRules, map[string]any{"join_rule": joinRule}},
		{typeHistoryVisibility, map[string]any{"history_visibility": "shared"}},
		{typeGuestAccess, map[string]any{"guest_access": guests}},
	} {
		if _, overridden := initial[key(ev.typ, "")]; !overridden {
			plan.add(ev.typ, "", ev.content)
		}
	}
	for _, ev := range body.InitialState {
		k := key(ev.Type, ev.StateKey)
		if k == key(typePowerLevels, "") ||
			(k == key(typeName, "") && body.Name != nil) || (k == key(typeTopic, "") && body.Topic != nil) {
			continue
		}
		plan.addRaw(ev.Type, ev.StateKey, ev.Content)
	}
	if body.Name != nil {
		plan.add(typeName, "", map[string]any{"name": *body.Name})
	}
	if body.Topic != nil {
		plan.add(typeTopic, "", topicContent(*body.Topic))
	}
	for _, u := range invitees {
		plan.invites = append(plan.invites, invitation{userID: u, isDirect: body.IsDirect})
	}
	return plan, alias, nil
}

// parseInvitees checks the invite list and drops duplicates and the
// creator, who joins anyway.
func parseInvitees(creator string, invite []string) ([]string, error) {
	seen := map[string]bool{creator: true}
	var out []string
	for _, u := range invite {
		if _, err := id.ParseUserID(u); err != nil {
			return nil, errcode.InvalidParam("invalid user ID in invite: " + u)
		}
		if !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	return out, nil
}

// createContent is the m.room.create content: creation_content with the
// keys the server owns overwritten.
func createContent(rules roomversion.Rules, creator string, extra map[string]json.RawMessage) (map[string]json.RawMessage, error) {
	c := map[string]json.RawMessage{}
	for k, v := range extra {
		c[k] = v
	}
	if v, ok := c["m.federate"]; ok {
		var b bool
		if json.Unmarshal(v, &b) != nil {
			return nil, errcode.BadJSON("creation_content.m.federate must be a boolean")
		}
	}
	if v, ok := c["type"]; ok {
		var s string
		if json.Unmarshal(v, &s) != nil {
			return nil, errcode.BadJSON("creation_content.type must be a string")
		}
	}
	if v, ok := c["additional_creators"]; ok && rules.PrivilegedCreators {
		var users []string
		if json.Unmarshal(v, &users) != nil {
			return nil, errcode.BadJSON("creation_content.additional_creators must be a list of user IDs")
		}
		for _, u := range users {
			if _, err := id.ParseUserID(u); err != nil {
				return nil, errcode.BadJSON("invalid user ID in additional_creators: " + u)
			}
		}
	}
	delete(c, "creator")
	if !rules.ImplicitRoomCreator {
		c["creator"] = mustJSON(creator)
	}
	c["room_version"] = mustJSON(rules.ID)
	return c, nil
}

// addCreators merges users into content.additional_creators, without
// duplicates and without the sender.
func addCreators(create map[string]json.RawMessage, sender string, users []string) {
	var existing []string
	_ = json.Unmarshal(create["additional_creators"], &existing)
	seen := map[string]bool{sender: true}
	var merged []string
	for _, u := range append(existing, users...) {
		if !seen[u] {
			seen[u] = true
			merged = append(merged, u)
		}
	}
	create["additional_creators"] = mustJSON(merged)
}

// defaultPowerLevels are the power levels Synapse gives a new room: the
// creator at 100 (before v12, where creators are implicit), trusted
// invitees at 100, and invites open to everyone in private presets.
func defaultPowerLevels(rules roomversion.Rules, creator, preset string, invitees []string) (map[string]json.RawMessage, error) {
	users := map[string]int64{}
	if !rules.PrivilegedCreators {
		users[creator] = 100
		if preset == presetTrustedPrivateChat {
			for _, u := range invitees {
				users[u] = 100
			}
		}
	}
	tombstone := int64(100)
	if rules.PrivilegedCreators {
		// The spec asks for tombstones above state_default in v12 rooms.
		tombstone = 150
	}
	invite := int64(50)
	if preset != presetPublicChat {
		invite = 0
	}
	return map[string]json.RawMessage{
		"users":         mustJSON(users),
		"users_default": mustJSON(0),
		"events": mustJSON(map[string]int64{
			typeName:              50,
			typePowerLevels:       100,
			typeHistoryVisibility: 100,
			typeCanonicalAlias:    50,
			typeAvatar:            50,
			typeTombstone:         tombstone,
			"m.room.server_acl":   100,
			"m.room.encryption":   100,
		}),
		"events_default": mustJSON(0),
		"state_default":  mustJSON(50),
		"ban":            mustJSON(50),
		"kick":           mustJSON(50),
		"redact":         mustJSON(50),
		"invite":         mustJSON(invite),
		"notifications":  mustJSON(map[string]int64{"room": 50}),
	}, nil
}

// topicContent is m.room.topic content with the plain-text topic in both
// the legacy and the m.topic form.
//
// https://spec.matrix.org/latest/client-server-api/#mroomtopic
func topicContent(topic string) map[string]any {
	return map[string]any{
		"topic":   topic,
		"m.topic": map[string]any{"m.text": []map[string]string{{"body": topic, "mimetype": "text/plain"}}},
	}
}
