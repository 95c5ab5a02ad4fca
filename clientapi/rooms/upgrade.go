package rooms

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/roomserver/api"
	"github.com/ocomms/ocomms/spec/auth"
	"github.com/ocomms/ocomms/spec/errcode"
	"github.com/ocomms/ocomms/spec/id"
	"github.com/ocomms/ocomms/spec/roomversion"
	"github.com/ocomms/ocomms/storage"
)

func (r *Rooms) registerUpgrade(c *mux.Router) {
	r.handle(c, http.MethodPost, "/rooms/{roomId}/upgrade", r.upgrade)
}

// upgradeCopiedState are the state types an upgrade carries into the new
// room (every state key), as Synapse copies them.
var upgradeCopiedState = map[string]bool{
	typeJoinRules:          true,
	typeName:               true,
	typeTopic:              true,
	typeHistoryVisibility:  true,
	typeGuestAccess:        true,
	typeAvatar:             true,
	"m.room.encryption":    true,
	"m.room.server_acl":    true,
	"m.room.pinned_events": true,
	"m.space.child":        true,
	"m.space.parent":       true,
}

type upgradeRequest struct {
	NewVersion         roomversion.ID `json:"new_version"`
	AdditionalCreators []string       `json:"additional_creators"`
}

// upgrade replaces a room by a new one of another version: the new room
// gets the old one's settings, bans, aliases and directory entry; the old
// one gets a tombstone and power levels that stop ordinary members from
// talking or inviting there.
//
// https://spec.matrix.org/latest/client-server-api/#post_matrixclientv3roomsroomidupgrade
// https://spec.matrix.org/latest/client-server-api/#server-behaviour-19
func (r *Rooms) upgrade(req *http.Request, dev *httpapi.Device) (any, error) {
	oldRoom := httpapi.Vars(req)["roomId"]
	if _, err := id.ParseRoomID(oldRoom); err != nil {
		return nil, errcode.InvalidParam("invalid room ID")
	}
	var body upgradeRequest
	if err := httpapi.DecodeJSON(req, &body); err != nil {
		return nil, err
	}
	if body.NewVersion == "" {
		return nil, errcode.MissingParam("missing new_version")
	}
	rules, err := roomversion.Lookup(body.NewVersion)
	if err != nil {
		return nil, errcode.UnsupportedRoomVersion("this server does not support room version " + string(body.NewVersion))
	}
	for _, u := range body.AdditionalCreators {
		if _, err := id.ParseUserID(u); err != nil {
			return nil, errcode.InvalidParam("invalid user ID in additional_creators: " + u)
		}
	}
	ctx := req.Context()
	if err := r.requireJoined(ctx, oldRoom, dev.UserID); err != nil {
		return nil, err
	}
	evs, err := r.rooms.CurrentState(ctx, oldRoom)
	if err != nil {
		return nil, submitError(err)
	}
	old := indexState(evs)
	levels, _, err := effectivePowerLevels(old)
	if err != nil {
		return nil, submitError(err)
	}
	if !canSendState(levels, dev.UserID, typeTombstone) {
		return nil, errcode.Forbidden("you may not upgrade this room")
	}

	plan, restore, err := upgradePlan(old, rules, dev.UserID, oldRoom, body.AdditionalCreators)
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
	if restore != nil {
		reqs = append(reqs, api.SubmitRequest{Type: typePowerLevels, StateKey: strPtr(""), Sender: dev.UserID, Content: restore})
	}
	res, err := r.rooms.Submit(ctx, reqs...)
	if err != nil {
		return nil, createRoomError(err)
	}
	newRoom := res[0].RoomID

	// The new room exists: finish the move even if the client goes away.
	ctx = context.WithoutCancel(ctx)
	if err := r.retireRoom(ctx, old, oldRoom, newRoom, dev.UserID); err != nil {
		return nil, err
	}
	if err := r.moveAliases(ctx, oldRoom, newRoom); err != nil {
		return nil, err
	}
	return map[string]string{"replacement_room": newRoom}, nil
}

// upgradePlan builds the replacement room from the old room's state. When
// the upgrader needs more power to copy the state than the old power levels
// give them (before v12, where creators have it all), the plan raises them
// and restore is the old power levels to send last.
func upgradePlan(old stateMap, rules roomversion.Rules, upgrader, oldRoom string, additional []string) (roomPlan, json.RawMessage, error) {
	oldCreate := old[key(typeCreate, "")]
	create := map[string]json.RawMessage{}
	for k, v := range contentObject(oldCreate) {
		if k == "type" || k == "m.federate" {
			create[k] = v
		}
	}
	if rules.PrivilegedCreators && len(additional) > 0 {
		// Without duplicates or the upgrader, who is the create event's
		// sender and so a creator already.
		addCreators(create, upgrader, additional)
	}
	create, err := createContent(rules, upgrader, create)
	if err != nil {
		return roomPlan{}, nil, err
	}
	create["predecessor"] = mustJSON(map[string]string{"room_id": oldRoom})

	pl, err := copiedPowerLevels(old, rules, upgrader, additional)
	if err != nil {
		return roomPlan{}, nil, err
	}
	var restore json.RawMessage
	if !rules.PrivilegedCreators {
		users := map[string]int64{}
		_ = json.Unmarshal(pl["users"], &users)
		if need := neededLevel(pl); users[upgrader] < need {
			restore = mustJSON(pl)
			raised := map[string]json.RawMessage{}
			for k, v := range pl {
				raised[k] = v
			}
			users[upgrader] = need
			raised["users"] = mustJSON(users)
			pl = raised
		}
	}

	plan := roomPlan{rules: rules, creator: upgrader, create: create, powerLevels: pl}
	for k, ev := range old {
		if upgradeCopiedState[k.Type] {
			plan.addRaw(k.Type, k.StateKey, ev.Content())
		}
	}
	for k, ev := range old {
		if k.Type == typeMember && contentString(ev, "membership") == membershipBan && k.StateKey != upgrader {
			plan.add(typeMember, k.StateKey, map[string]string{"membership": membershipBan})
		}
	}
	if ev := old[key(typeCanonicalAlias, "")]; ev != nil {
		plan.addRaw(typeCanonicalAlias, "", ev.Content())
	}
	return plan, restore, nil
}

// copiedPowerLevels are the old room's power levels in the new version's
// form (integers only), without the new room's creators where the new
// version makes them implicit, and with the old room's implicit creators
// written out where it does not.
func copiedPowerLevels(old stateMap, rules roomversion.Rules, upgrader string, additional []string) (map[string]json.RawMessage, error) {
	oldCreate := old[key(typeCreate, "")]
	oldRules := oldCreate.Rules()
	content := json.RawMessage(`{}`)
	if ev := old[key(typePowerLevels, "")]; ev != nil {
		content = ev.Content()
	}
	pl, err := auth.ParsePowerLevels(oldRules, content)
	if err != nil {
		return nil, fmt.Errorf("old room power levels: %w", err)
	}
	// Empty maps stay objects: a null users or events is malformed power
	// levels, which a v12 room whose creators are all implicit would send.
	users, events := pl.Users(), pl.Events()
	if users == nil {
		users = map[string]int64{}
	}
	if events == nil {
		events = map[string]int64{}
	}
	if oldRules.PrivilegedCreators && !rules.PrivilegedCreators {
		for _, c := range auth.RoomCreators(oldRules, oldCreate) {
			users[c] = max(users[c], 100)
		}
	}
	if rules.PrivilegedCreators {
		delete(users, upgrader)
		for _, c := range additional {
			delete(users, c)
		}
	}
	return map[string]json.RawMessage{
		"users":          mustJSON(users),
		"users_default":  mustJSON(pl.UsersDefault()),
		"events":         mustJSON(events),
		"events_default": mustJSON(pl.EventsDefault()),
		"state_default":  mustJSON(pl.StateDefault()),
		"ban":            mustJSON(pl.Ban()),
		"kick":           mustJSON(pl.Kick()),
		"redact":         mustJSON(pl.Redact()),
		"invite":         mustJSON(pl.Invite()),
		"notifications":  mustJSON(map[string]int64{"room": pl.Notification("room")}),
	}, nil
}

// neededLevel is the level that lets a user send every event the power
// levels name and write every user's level into them, as the upgrader must
// while copying the state.
func neededLevel(pl map[string]json.RawMessage) int64 {
	var need int64 = 100
	for _, k := range []string{"state_default", "ban", "kick", "redact", "invite", "events_default"} {
		var v int64
		if json.Unmarshal(pl[k], &v) == nil {
			need = max(need, v)
		}
	}
	for _, field := range []string{"events", "users"} {
		levels := map[string]int64{}
		_ = json.Unmarshal(pl[field], &levels)
		for _, v := range levels {
			need = max(need, v)
		}
	}
	return need
}

// retireRoom sends the tombstone into the old room and restricts it:
// sending and inviting need at least 50 (and more than users_default).
func (r *Rooms) retireRoom(ctx context.Context, old stateMap, oldRoom, newRoom, sender string) error {
	reqs := []api.SubmitRequest{{
		RoomID: oldRoom, Type: typeTombstone, StateKey: strPtr(""), Sender: sender,
		Content: mustJSON(map[string]string{"body": "This room has been replaced", "replacement_room": newRoom}),
	}}
	if ev := old[key(typePowerLevels, "")]; ev != nil {
		content := contentObject(ev)
		pl, err := auth.ParsePowerLevels(ev.Rules(), ev.Content())
		if err != nil {
			return fmt.Errorf("old room power levels: %w", err)
		}
		restricted := max(50, pl.UsersDefault()+1)
		changed := false
		for field, cur := range map[string]int64{"events_default": pl.EventsDefault(), "invite": pl.Invite()} {
			if cur < restricted {
				content[field] = mustJSON(restricted)
				changed = true
			}
		}
		if changed {
			reqs = append(reqs, api.SubmitRequest{
				RoomID: oldRoom, Type: typePowerLevels, StateKey: strPtr(""), Sender: sender, Content: mustJSON(content),
			})
		}
	}
	if _, err := r.rooms.Submit(ctx, reqs...); err != nil {
		return submitError(err)
	}
	if ev := old[key(typeCanonicalAlias, "")]; ev != nil && string(ev.Content()) != "{}" {
		// The aliases now belong to the new room; a failure here (the
		// upgrader may lack the power) leaves only a stale pointer.
		if _, err := r.rooms.Submit(ctx, api.SubmitRequest{
			RoomID: oldRoom, Type: typeCanonicalAlias, StateKey: strPtr(""), Sender: sender, Content: json.RawMessage(`{}`),
		}); err != nil {
			r.log.InfoContext(ctx, "old room keeps its canonical alias", "room_id", oldRoom, "error", err)
		}
	}
	return nil
}

// moveAliases points the old room's local aliases at the new room and
// moves its directory entry there.
func (r *Rooms) moveAliases(ctx context.Context, oldRoom, newRoom string) error {
	return r.db.WithTx(ctx, func(ctx context.Context, tx *storage.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE room_aliases SET room_id = $2 WHERE room_id = $1`, oldRoom, newRoom); err != nil {
			return fmt.Errorf("moving aliases of %s: %w", oldRoom, err)
		}
		res, err := tx.Exec(ctx, `DELETE FROM room_directory WHERE room_id = $1`, oldRoom)
		if err != nil {
			return fmt.Errorf("unpublishing %s: %w", oldRoom, err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			return setPublished(ctx, tx, newRoom, true)
		}
		return nil
	})
}
