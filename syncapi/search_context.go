package syncapi

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/ocomms/ocomms/internal/httpapi"
)

// searchContexts reads the events around each result that the user may
// see, as /context does, and the profiles of their senders at the result.
func (s *SyncAPI) searchContexts(ctx context.Context, device *httpapi.Device, p *searchParams, evs []*eventRow,
	viewOf func(string) (*visibility, error)) (map[string]*searchContext, error) {
	out := map[string]*searchContext{}
	fm := newFormatter(device.UserID, device.DeviceID, nil)
	all := &RoomEventFilter{}
	for _, ev := range evs {
		vis, err := viewOf(ev.roomID)
		if err != nil {
			return nil, err
		}
		a, err := s.eventsAround(ctx, ev, vis, all, p.before, p.after)
		if err != nil {
			return nil, err
		}
		before, after := a.before, a.after
		if err := s.markForViewer(ctx, vis, slices.Concat(before.events, after.events)); err != nil {
			return nil, err
		}
		c := &searchContext{Start: a.start.String(), End: a.end.String(),
			EventsBefore: fm.events(before.events), EventsAfter: fm.events(after.events)}
		if p.includeProfile {
			if c.ProfileInfo, err = s.profilesAt(ctx, ev, slices.Concat([]*eventRow{ev}, before.events, after.events)); err != nil {
				return nil, err
			}
		}
		out[ev.eventID] = c
	}
	return out, nil
}

// profilesAt is the display name and avatar of the senders of evs in the
// room's state at ev: the spec's historic profile information.
func (s *SyncAPI) profilesAt(ctx context.Context, ev *eventRow, evs []*eventRow) (map[string]searchProfile, error) {
	members, err := s.lazyMembers(ctx, ev.roomID, ev.pos, evs, false)
	if err != nil {
		return nil, err
	}
	out := map[string]searchProfile{}
	for _, m := range members {
		var pdu struct {
			Content searchProfile `json:"content"`
		}
		if m.stateKey == nil || json.Unmarshal(m.pdu, &pdu) != nil {
			continue
		}
		out[*m.stateKey] = pdu.Content
	}
	return out, nil
}

// searchState is the state of each room with results: the current state,
// or for a room the user left, the state when they left.
func (s *SyncAPI) searchState(ctx context.Context, device *httpapi.Device, q searchQuery, evs []*eventRow,
	viewOf func(string) (*visibility, error)) (map[string][]json.RawMessage, error) {
	out := map[string][]json.RawMessage{}
	fm := newFormatter(device.UserID, device.DeviceID, nil)
	for _, e := range evs {
		if _, done := out[e.roomID]; done {
			continue
		}
		at := q.upTo
		for _, r := range q.rooms {
			if r.roomID == e.roomID && r.until != 0 {
				at = min(at, r.until-1)
			}
		}
		rows, err := s.stateAt(ctx, e.roomID, at, "")
		if err != nil {
			return nil, err
		}
		state, err := s.stateEvents(ctx, rows)
		if err != nil {
			return nil, err
		}
		vis, err := viewOf(e.roomID)
		if err != nil {
			return nil, err
		}
		if err := s.markForViewer(ctx, vis, state); err != nil {
			return nil, err
		}
		out[e.roomID] = fm.events(state)
	}
	return out, nil
}
