package syncapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/spec/errcode"
)

// Limits of /messages and /context, as Synapse has them.
const (
	defaultPageLimit = 10
	maxPageLimit     = 1000
	// pageScanLimit bounds the events one request reads while a filter or
	// history visibility hides them; the client gets an end token and
	// continues from there.
	pageScanLimit = 5000
)

func (s *SyncAPI) registerMessages(routes httpapi.Routes) {
	httpapi.HandleClient(routes.Client, http.MethodGet, "/rooms/{roomId}/messages",
		httpapi.Authenticated(s.authn, s.handleMessages), httpapi.ClientR0V3)
}

type messagesResponse struct {
	Chunk []json.RawMessage `json:"chunk"`
	Start string            `json:"start"`
	End   string            `json:"end,omitempty"`
	State []json.RawMessage `json:"state,omitempty"`
}

// handleMessages pages through a room's history in topological order.
// https://spec.matrix.org/latest/client-server-api/#get_matrixclientv3roomsroomidmessages
func (s *SyncAPI) handleMessages(r *http.Request, device *httpapi.Device) (any, error) {
	roomID := httpapi.Vars(r)["roomId"]
	q := r.URL.Query()
	dir, err := parseDirection(q.Get("dir"), nil)
	if err != nil {
		return nil, err
	}
	limit, err := parseLimit(q.Get("limit"))
	if err != nil {
		return nil, err
	}
	filter, err := queryRoomFilter(q.Get("filter"))
	if err != nil {
		return nil, err
	}
	from, to, err := fromTo(q)
	if err != nil {
		return nil, err
	}

	ctx := r.Context()
	now, err := s.currentPosition(ctx)
	if err != nil {
		return nil, err
	}
	vis, err := s.roomReader(ctx, device.UserID, roomID, now)
	if err != nil {
		return nil, err
	}
	if from == nil {
		// Since v1.3 from is optional: the end of the room going backwards,
		// its beginning going forwards.
		if dir == backwards {
			from = &roomPoint{stream: now}
		} else {
			from = &roomPoint{stream: 0}
		}
	}
	pg, err := s.paginate(ctx, paginateRequest{roomID: roomID, dir: dir, from: *from, to: to, limit: limit, filter: filter, vis: vis})
	if err != nil {
		return nil, err
	}
	if err := s.attachBundles(ctx, device.UserID, now, roomEvents{vis: vis, events: pg.events}); err != nil {
		return nil, err
	}
	fm := newFormatter(device.UserID, device.DeviceID, nil)
	resp := messagesResponse{Chunk: fm.events(pg.events), Start: from.String()}
	if pg.next != nil {
		resp.End = pg.next.String()
	}
	if filter.LazyLoadMembers && len(pg.events) > 0 {
		members, err := s.lazyMembers(ctx, roomID, pg.events[0].pos, pg.events, filter.IncludeRedundantMembers)
		if err != nil {
			return nil, err
		}
		if err := s.markForViewer(ctx, vis, members); err != nil {
			return nil, err
		}
		resp.State = fm.events(members)
	}
	return resp, nil
}

// fromTo reads the from and to pagination tokens of /messages and
// /relations; nil when absent.
func fromTo(q url.Values) (from, to *roomPoint, err error) {
	for name, dst := range map[string]**roomPoint{"from": &from, "to": &to} {
		if v := q.Get(name); v != "" {
			p, err := parseRoomPoint(v)
			if err != nil {
				return nil, nil, err
			}
			*dst = &p
		}
	}
	return from, to, nil
}

func parseLimit(v string) (int, error) {
	if v == "" {
		return defaultPageLimit, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, errcode.InvalidParam("limit must be a non-negative integer")
	}
	return min(n, maxPageLimit), nil
}

func queryRoomFilter(v string) (*RoomEventFilter, error) {
	if v == "" {
		return &RoomEventFilter{}, nil
	}
	return parseRoomEventFilter([]byte(v))
}

// roomReader returns the user's view of the room, refusing users who were
// never in it unless the room's history is world readable.
func (s *SyncAPI) roomReader(ctx context.Context, userID, roomID string, now int64) (*visibility, error) {
	vis, err := s.visibilityFor(ctx, userID, roomID, now)
	if err != nil {
		return nil, err
	}
	if !vis.everMember() && vis.historyVisibilityAt(now) != "world_readable" {
		return nil, errcode.Forbidden("you are not a member of this room")
	}
	return vis, nil
}

type paginateRequest struct {
	roomID string
	dir    direction
	from   roomPoint
	to     *roomPoint
	limit  int
	filter *RoomEventFilter
	vis    *visibility
	// related, when set, pages only an event's children.
	related *relationScope
}

type pageResult struct {
	events []*eventRow
	// next is where the following page starts; nil when the room has no
	// more events in that direction.
	next *roomPoint
}

// paginate returns up to limit events the user may see and the filter
// admits, reading batches until it has them or runs out of events.
func (s *SyncAPI) paginate(ctx context.Context, p paginateRequest) (pageResult, error) {
	var res pageResult
	cursor := p.from
	scanned := 0
	batch := min(max(p.limit+1, 20), 500)
	for len(res.events) < p.limit {
		evs, err := s.page(ctx, pageQuery{roomID: p.roomID, dir: p.dir, from: cursor, stop: p.to, limit: batch, related: p.related})
		if err != nil {
			return res, err
		}
		for i, e := range evs {
			scanned++
			if p.filter.matches(e) && p.vis.canSee(e) {
				res.events = append(res.events, e)
			}
			cursor = pointAfterScan(p.dir, e)
			if len(res.events) == p.limit {
				// There may be more: hand out a token unless this was
				// the last stored event.
				if i < len(evs)-1 || len(evs) == batch {
					res.next = &cursor
				} else if more, err := s.page(ctx, pageQuery{roomID: p.roomID, dir: p.dir, from: cursor, stop: p.to, limit: 1, related: p.related}); err != nil {
					return res, err
				} else if len(more) > 0 {
					res.next = &cursor
				}
				return res, nil
			}
		}
		if len(evs) < batch {
			return res, nil
		}
		if scanned >= pageScanLimit {
			res.next = &cursor
			return res, nil
		}
	}
	if p.limit == 0 {
		res.next = &cursor
	}
	return res, nil
}

// pointAfterScan is the point from which a pagination continues once e has
// been read.
func pointAfterScan(dir direction, e *eventRow) roomPoint {
	if dir == backwards {
		t := e.before()
		return roomPoint{topo: &t}
	}
	t := e.point()
	return roomPoint{topo: &t}
}

// lazyMembers returns the membership events of the senders of evs at
// position pos, for the state of /messages and /context.
func (s *SyncAPI) lazyMembers(ctx context.Context, roomID string, pos int64, evs []*eventRow, _ bool) ([]*eventRow, error) {
	var senders []string
	for _, e := range evs {
		if !slices.Contains(senders, e.sender) {
			senders = append(senders, e.sender)
		}
	}
	rows, err := s.membersWith(ctx, roomID, pos, senders)
	if err != nil {
		return nil, err
	}
	return s.stateEvents(ctx, rows)
}
