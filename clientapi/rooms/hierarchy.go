package rooms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gorilla/mux"

	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/roomserver/api"
	"github.com/ocomms/ocomms/spec/errcode"
	"github.com/ocomms/ocomms/spec/id"
)

const typeSpaceChild = "m.space.child"

// Bounds of a hierarchy walk: the spec leaves them to the server; these
// are Synapse's defaults and caps.
const (
	defaultHierarchyLimit = 50
	maxHierarchyLimit     = 50
	maxHierarchyDepth     = 50
	// maxHierarchyRooms bounds one walk, so a huge or cyclic tree cannot
	// exhaust the server; pages past it are not offered.
	maxHierarchyRooms = 1000
)

// roomDescription is the spec's RoomSummary: what the hierarchy and the
// room summary tell about a room.
// https://spec.matrix.org/latest/client-server-api/#get_matrixclientv1room_summaryroomidoralias
type roomDescription struct {
	publicRoomsChunk
	AllowedRoomIDs []string `json:"allowed_room_ids,omitempty"`
	Encryption     string   `json:"encryption,omitempty"`
	RoomVersion    string   `json:"room_version"`
}

// hierarchyRoom is a SpaceHierarchyRoomsChunk.
// https://spec.matrix.org/latest/client-server-api/#get_matrixclientv1roomsroomidhierarchy
type hierarchyRoom struct {
	roomDescription
	ChildrenState []childState `json:"children_state"`
}

// childState is an m.space.child event as stripped state with its
// origin_server_ts.
type childState struct {
	Type           string          `json:"type"`
	StateKey       string          `json:"state_key"`
	Content        json.RawMessage `json:"content"`
	Sender         string          `json:"sender"`
	OriginServerTS int64           `json:"origin_server_ts"`
	order          string
}

type hierarchyResponse struct {
	Rooms     []hierarchyRoom `json:"rooms"`
	NextBatch string          `json:"next_batch,omitempty"`
}

// hierarchyQuery is a parsed request. A page token carries the walk's
// parameters, so a client cannot change them halfway.
type hierarchyQuery struct {
	suggestedOnly bool
	maxDepth      int
	limit         int
	offset        int
}

func (r *Rooms) registerHierarchy(c *mux.Router) {
	httpapi.HandleClient(c, http.MethodGet, "/rooms/{roomId}/hierarchy",
		httpapi.Authenticated(r.authn, r.getHierarchy), httpapi.ClientV1)
}

func (r *Rooms) getHierarchy(req *http.Request, dev *httpapi.Device) (any, error) {
	roomID := httpapi.Vars(req)["roomId"]
	if _, err := id.ParseRoomID(roomID); err != nil {
		return nil, errcode.InvalidParam("invalid room ID")
	}
	q, err := parseHierarchyQuery(req)
	if err != nil {
		return nil, err
	}
	ctx := req.Context()
	root, err := r.spaceRoom(ctx, roomID)
	if err != nil {
		return nil, err
	}
	if root == nil {
		return nil, errcode.Forbidden("You are not allowed to view this room.")
	}
	if ok, err := r.canPreview(ctx, root, dev.UserID); err != nil || !ok {
		if err == nil {
			err = errcode.Forbidden("You are not allowed to view this room.")
		}
		return nil, err
	}
	rooms, err := r.walkHierarchy(ctx, root, dev.UserID, q)
	if err != nil {
		return nil, err
	}
	resp := hierarchyResponse{Rooms: []hierarchyRoom{}}
	if q.offset < len(rooms) {
		end := min(q.offset+q.limit, len(rooms))
		resp.Rooms = rooms[q.offset:end]
		if end < len(rooms) {
			resp.NextBatch = hierarchyToken(q, end)
		}
	}
	return resp, nil
}

func parseHierarchyQuery(req *http.Request) (hierarchyQuery, error) {
	v := req.URL.Query()
	q := hierarchyQuery{maxDepth: maxHierarchyDepth, limit: defaultHierarchyLimit}
	switch s := v.Get("suggested_only"); s {
	case "", "false":
	case "true":
		q.suggestedOnly = true
	default:
		return q, errcode.InvalidParam("suggested_only must be true or false")
	}
	if s := v.Get("max_depth"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return q, errcode.InvalidParam("max_depth must be a non-negative integer")
		}
		q.maxDepth = min(n, maxHierarchyDepth)
	}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			return q, errcode.InvalidParam("limit must be a positive integer")
		}
		q.limit = min(n, maxHierarchyLimit)
	}
	if from := v.Get("from"); from != "" {
		suggested, depth, offset, ok := parseHierarchyToken(from)
		if !ok {
			return q, errcode.InvalidParam("unknown pagination token")
		}
		if suggested != q.suggestedOnly || depth != q.maxDepth {
			return q, errcode.InvalidParam("suggested_only and max_depth cannot change on paginated requests")
		}
		q.offset = offset
	}
	return q, nil
}

// hierarchyToken is "h<offset>_<suggested 0|1>_<max depth>".
func hierarchyToken(q hierarchyQuery, offset int) string {
	s := "0"
	if q.suggestedOnly {
		s = "1"
	}
	return "h" + strconv.Itoa(offset) + "_" + s + "_" + strconv.Itoa(q.maxDepth)
}

func parseHierarchyToken(tok string) (suggested bool, depth, offset int, ok bool) {
	rest, found := strings.CutPrefix(tok, "h")
	parts := strings.Split(rest, "_")
	if !found || len(parts) != 3 || (parts[1] != "0" && parts[1] != "1") {
		return false, 0, 0, false
	}
	offset, err1 := strconv.Atoi(parts[0])
	depth, err2 := strconv.Atoi(parts[2])
	if err1 != nil || err2 != nil || offset < 0 || depth < 0 {
		return false, 0, 0, false
	}
	return parts[1] == "1", depth, offset, true
}

// spaceRoomState is a room of the tree with its current state.
type spaceRoomState struct {
	roomID  string
	version string
	state   stateMap
}

// spaceRoom loads a room this server knows, or nil for one it does not
// (rooms only other servers are in come with federation).
func (r *Rooms) spaceRoom(ctx context.Context, roomID string) (*spaceRoomState, error) {
	info, err := r.rooms.RoomInfo(ctx, roomID)
	if errors.Is(err, api.ErrRoomNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("room %s: %w", roomID, err)
	}
	evs, err := r.rooms.CurrentState(ctx, roomID)
	if err != nil {
		return nil, fmt.Errorf("state of %s: %w", roomID, err)
	}
	return &spaceRoomState{roomID: roomID, version: string(info.Version), state: indexState(evs)}, nil
}
