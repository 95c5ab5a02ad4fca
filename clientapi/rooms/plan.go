package rooms

import (
	"context"
	"encoding/json"

	"github.com/ocomms/ocomms/roomserver/api"
	"github.com/ocomms/ocomms/spec/roomversion"
)

// roomPlan is a new room as the events that make it, for createRoom and
// upgrades: the create event, the creator's join, the power levels, then
// further state in order, then invites.
type roomPlan struct {
	rules       roomversion.Rules
	creator     string
	create      map[string]json.RawMessage
	powerLevels map[string]json.RawMessage
	state       []plannedState
	invites     []invitation
}

type plannedState struct {
	typ, stateKey string
	content       json.RawMessage
}

type invitation struct {
	userID   string
	isDirect bool
}

func (p *roomPlan) add(typ, stateKey string, content any) {
	p.addRaw(typ, stateKey, mustJSON(content))
}

func (p *roomPlan) addRaw(typ, stateKey string, content json.RawMessage) {
	p.state = append(p.state, plannedState{typ: typ, stateKey: stateKey, content: content})
}

// planRequests is the plan as one roomserver batch. Only the create event
// names no room: the roomserver passes the new room ID on to the rest.
func (r *Rooms) planRequests(ctx context.Context, p roomPlan, creatorContent json.RawMessage) ([]api.SubmitRequest, error) {
	state := func(typ, stateKey string, content json.RawMessage) api.SubmitRequest {
		return api.SubmitRequest{Type: typ, StateKey: strPtr(stateKey), Sender: p.creator, Content: content}
	}
	create := state(typeCreate, "", mustJSON(p.create))
	create.RoomVersion = p.rules.ID
	reqs := []api.SubmitRequest{
		create,
		state(typeMember, p.creator, creatorContent),
		state(typePowerLevels, "", mustJSON(p.powerLevels)),
	}
	for _, s := range p.state {
		reqs = append(reqs, state(s.typ, s.stateKey, s.content))
	}
	for _, inv := range p.invites {
		var extra map[string]json.RawMessage
		if inv.isDirect {
			extra = map[string]json.RawMessage{"is_direct": json.RawMessage("true")}
		}
		content, err := r.memberContent(ctx, inv.userID, membershipInvite, "", extra)
		if err != nil {
			return nil, err
		}
		reqs = append(reqs, state(typeMember, inv.userID, content))
	}
	return reqs, nil
}
