package syncapi

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/spec/errcode"
)

// maxRelationDepth is how many levels of relationships recurse=true
// follows: the spec asks for at least 3, and a bound keeps forged cycles
// (possible with the free-form event IDs of room versions 1 and 2) finite.
const maxRelationDepth = 3

func (s *SyncAPI) registerRelations(routes httpapi.Routes) {
	h := httpapi.Authenticated(s.authn, s.handleRelations)
	for _, path := range []string{
		"/rooms/{roomId}/relations/{eventId}",
		"/rooms/{roomId}/relations/{eventId}/{relType}",
		"/rooms/{roomId}/relations/{eventId}/{relType}/{eventType}",
	} {
		httpapi.HandleClient(routes.Client, http.MethodGet, path, h, httpapi.ClientV1)
	}
}

// relationScope selects the children of an event for a page: those
// pointing at it (or, recursing, at its descendants up to
// maxRelationDepth levels), optionally of one rel_type and event type.
type relationScope struct {
	parentID, relType, eventType string
	recurse                      bool
}

// sql returns the common table expression and join the page query needs,
// and adds the scope's conditions to where.
func (r *relationScope) sql(arg func(any) string, where *[]string) (with, join string) {
	join = " JOIN syncapi_relations rel ON rel.event_id = e.event_id"
	if r.recurse {
		with = fmt.Sprintf(`WITH RECURSIVE related_parents (event_id, level) AS (
			SELECT CAST(%s AS TEXT), 1
			UNION ALL
			SELECT c.event_id, rp.level + 1 FROM syncapi_relations c JOIN related_parents rp ON c.parent_id = rp.event_id
			WHERE rp.level < %d) `, arg(r.parentID), maxRelationDepth)
		*where = append(*where, "rel.parent_id IN (SELECT event_id FROM related_parents)")
	} else {
		*where = append(*where, "rel.parent_id = "+arg(r.parentID))
	}
	if r.relType != "" {
		*where = append(*where, "rel.rel_type = "+arg(r.relType))
	}
	if r.eventType != "" {
		*where = append(*where, "rel.event_type = "+arg(r.eventType))
	}
	return with, join
}

type relationsResponse struct {
	Chunk          []json.RawMessage `json:"chunk"`
	NextBatch      string            `json:"next_batch,omitempty"`
	PrevBatch      string            `json:"prev_batch,omitempty"`
	RecursionDepth *int              `json:"recursion_depth,omitempty"`
}

// handleRelations pages through the children of an event the user may
// see, newest first unless dir=f, with their bundled aggregations. Tokens
// are those of /messages, so a /sync or /messages token works too.
// https://spec.matrix.org/latest/client-server-api/#get_matrixclientv1roomsroomidrelationseventid
func (s *SyncAPI) handleRelations(r *http.Request, device *httpapi.Device) (any, error) {
	vars, q := httpapi.Vars(r), r.URL.Query()
	dir := backwards
	switch q.Get("dir") {
	case "", "b":
	case "f":
		dir = forwards
	default:
		return nil, errcode.InvalidParam("dir must be b or f")
	}
	limit, err := parseLimit(q.Get("limit"))
	if err != nil {
		return nil, err
	}
	scope := &relationScope{parentID: vars["eventId"], relType: vars["relType"], eventType: vars["eventType"]}
	var depth *int
	switch q.Get("recurse") {
	case "", "false":
		if q.Has("recurse") {
			depth = ptr(1)
		}
	case "true":
		scope.recurse, depth = true, ptr(maxRelationDepth)
	default:
		return nil, errcode.InvalidParam("recurse must be true or false")
	}
	from, to, err := fromTo(q)
	if err != nil {
		return nil, err
	}

	parent, vis, now, err := s.visibleEvent(r, device)
	if err != nil {
		return nil, err
	}
	resp := relationsResponse{RecursionDepth: depth}
	if from == nil {
		from = &roomPoint{stream: now}
		if dir == forwards {
			from = &roomPoint{stream: 0}
		}
	} else {
		resp.PrevBatch = from.String()
	}
	ctx := r.Context()
	pg, err := s.paginate(ctx, paginateRequest{roomID: parent.roomID, dir: dir, from: *from, to: to, limit: limit,
		filter: &RoomEventFilter{}, vis: vis, related: scope})
	if err != nil {
		return nil, err
	}
	if err := s.attachBundles(ctx, device.UserID, now, roomEvents{vis: vis, events: pg.events}); err != nil {
		return nil, err
	}
	resp.Chunk = newFormatter(device.UserID, device.DeviceID, nil).events(pg.events)
	if pg.next != nil {
		resp.NextBatch = pg.next.String()
	}
	return resp, nil
}
