package syncapi

import (
	"encoding/json"
	"net/http"
	"slices"

	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/spec/errcode"
)

func (s *SyncAPI) registerContext(routes httpapi.Routes) {
	httpapi.HandleClient(routes.Client, http.MethodGet, "/rooms/{roomId}/context/{eventId}",
		httpapi.Authenticated(s.authn, s.handleContext), httpapi.ClientR0V3)
	httpapi.HandleClient(routes.Client, http.MethodGet, "/rooms/{roomId}/event/{eventId}",
		httpapi.Authenticated(s.authn, s.handleEvent), httpapi.ClientR0V3)
}

type contextResponse struct {
	Event        json.RawMessage   `json:"event"`
	EventsBefore []json.RawMessage `json:"events_before"`
	EventsAfter  []json.RawMessage `json:"events_after"`
	Start        string            `json:"start"`
	End          string            `json:"end"`
	State        []json.RawMessage `json:"state"`
}

// visibleEvent loads an event of the room the user may see, answering
// M_NOT_FOUND otherwise so that invisible events cannot be probed.
func (s *SyncAPI) visibleEvent(r *http.Request, device *httpapi.Device) (*eventRow, *visibility, int64, error) {
	vars := httpapi.Vars(r)
	ctx := r.Context()
	now, err := s.currentPosition(ctx)
	if err != nil {
		return nil, nil, 0, err
	}
	ev, err := s.eventByID(ctx, vars["eventId"])
	if err != nil {
		return nil, nil, 0, err
	}
	if ev == nil || ev.roomID != vars["roomId"] {
		return nil, nil, 0, errcode.NotFound("event not found")
	}
	vis, err := s.visibilityFor(ctx, device.UserID, ev.roomID, now)
	if err != nil {
		return nil, nil, 0, err
	}
	if !vis.canSee(ev) {
		return nil, nil, 0, errcode.NotFound("event not found")
	}
	return ev, vis, now, nil
}

// handleEvent serves GET /rooms/{roomId}/event/{eventId}.
// https://spec.matrix.org/latest/client-server-api/#get_matrixclientv3roomsroomideventeventid
func (s *SyncAPI) handleEvent(r *http.Request, device *httpapi.Device) (any, error) {
	ev, vis, now, err := s.visibleEvent(r, device)
	if err != nil {
		return nil, err
	}
	if err := s.attachBundles(r.Context(), device.UserID, now, roomEvents{vis: vis, events: []*eventRow{ev}}); err != nil {
		return nil, err
	}
	return newFormatter(device.UserID, device.DeviceID, nil).event(ev), nil
}

// handleContext serves the events around one event, half of the limit
// before it and the rest after, with the room state at the last one.
// https://spec.matrix.org/latest/client-server-api/#get_matrixclientv3roomsroomidcontexteventid
func (s *SyncAPI) handleContext(r *http.Request, device *httpapi.Device) (any, error) {
	q := r.URL.Query()
	limit, err := parseLimit(q.Get("limit"))
	if err != nil {
		return nil, err
	}
	filter, err := queryRoomFilter(q.Get("filter"))
	if err != nil {
		return nil, err
	}
	ev, vis, now, err := s.visibleEvent(r, device)
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	beforeLimit := limit / 2
	before, err := s.paginate(ctx, paginateRequest{roomID: ev.roomID, dir: backwards,
		from: roomPoint{topo: ptr(ev.before())}, limit: beforeLimit, filter: filter, vis: vis})
	if err != nil {
		return nil, err
	}
	after, err := s.paginate(ctx, paginateRequest{roomID: ev.roomID, dir: forwards,
		from: roomPoint{topo: ptr(ev.point())}, limit: limit - beforeLimit, filter: filter, vis: vis})
	if err != nil {
		return nil, err
	}
	start, end := roomPoint{topo: ptr(ev.before())}, roomPoint{topo: ptr(ev.point())}
	if n := len(before.events); n > 0 {
		start = roomPoint{topo: ptr(before.events[n-1].before())}
	}
	if n := len(after.events); n > 0 {
		end = roomPoint{topo: ptr(after.events[n-1].point())}
	}

	last := ev
	if n := len(after.events); n > 0 {
		last = after.events[n-1]
	}
	rows, err := s.stateAt(ctx, ev.roomID, last.pos, "")
	if err != nil {
		return nil, err
	}
	var senders map[string]bool
	if filter.LazyLoadMembers {
		senders = map[string]bool{ev.sender: true}
		for _, e := range slices.Concat(before.events, after.events) {
			senders[e.sender] = true
		}
	}
	var keep []stateRow
	for _, st := range rows {
		if senders == nil || st.evType != "m.room.member" || senders[st.stateKey] {
			keep = append(keep, st)
		}
	}
	stateEvs, err := s.stateEvents(ctx, keep)
	if err != nil {
		return nil, err
	}
	stateEvs = slices.DeleteFunc(stateEvs, func(e *eventRow) bool { return !filter.matches(e) })
	if err := s.markForViewer(ctx, vis, stateEvs); err != nil {
		return nil, err
	}

	if err := s.attachBundles(ctx, device.UserID, now,
		roomEvents{vis: vis, events: slices.Concat([]*eventRow{ev}, before.events, after.events)}); err != nil {
		return nil, err
	}
	fm := newFormatter(device.UserID, device.DeviceID, nil)
	return contextResponse{
		Event:        fm.event(ev),
		EventsBefore: fm.events(before.events),
		EventsAfter:  fm.events(after.events),
		Start:        start.String(),
		End:          end.String(),
		State:        fm.events(stateEvs),
	}, nil
}

func ptr[T any](v T) *T { return &v }
