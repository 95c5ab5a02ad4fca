package rooms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/gorilla/mux"

	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/roomserver/api"
	"github.com/ocomms/ocomms/spec/errcode"
	"github.com/ocomms/ocomms/spec/id"
)

// Bounds of a /publicRooms page.
const (
	defaultPublicRoomsLimit = 100
	maxPublicRoomsLimit     = 500
)

func (r *Rooms) registerDirectory(c *mux.Router) {
	r.handlePublic(c, http.MethodGet, "/directory/list/room/{roomId}", r.getVisibility)
	r.handle(c, http.MethodPut, "/directory/list/room/{roomId}", r.putVisibility)
	r.handlePublic(c, http.MethodGet, "/publicRooms", r.getPublicRooms)
	r.handle(c, http.MethodPost, "/publicRooms", r.postPublicRooms)
}

// https://spec.matrix.org/latest/client-server-api/#get_matrixclientv3directorylistroomroomid
func (r *Rooms) getVisibility(req *http.Request) (any, error) {
	roomID := httpapi.Vars(req)["roomId"]
	ctx := req.Context()
	exists, err := r.roomExists(ctx, roomID)
	if err != nil {
		return nil, err
	}
	if !exists {
		return nil, errcode.NotFound("unknown room")
	}
	public, err := r.isPublished(ctx, roomID)
	if err != nil {
		return nil, err
	}
	if public {
		return map[string]string{"visibility": "public"}, nil
	}
	return map[string]string{"visibility": "private"}, nil
}

type visibilityRequest struct {
	Visibility *string `json:"visibility"`
}

// putVisibility publishes or unpublishes a room. Room moderators who may
// change m.room.canonical_alias may, and server admins, as in Synapse.
//
// https://spec.matrix.org/latest/client-server-api/#put_matrixclientv3directorylistroomroomid
func (r *Rooms) putVisibility(req *http.Request, dev *httpapi.Device) (any, error) {
	roomID := httpapi.Vars(req)["roomId"]
	var body visibilityRequest
	if err := httpapi.DecodeJSON(req, &body); err != nil {
		return nil, err
	}
	public := true // the spec's default
	if body.Visibility != nil {
		switch *body.Visibility {
		case "public":
		case "private":
			public = false
		default:
			return nil, errcode.InvalidParam("visibility must be public or private")
		}
	}
	ctx := req.Context()
	exists, err := r.roomExists(ctx, roomID)
	if err != nil {
		return nil, err
	}
	if !exists {
		return nil, errcode.NotFound("unknown room")
	}
	if !dev.IsAdmin {
		if err := r.requireJoined(ctx, roomID, dev.UserID); err != nil {
			return nil, err
		}
		levels, _, err := r.powerLevels(ctx, roomID)
		if err != nil {
			return nil, submitError(err)
		}
		if !canSendState(levels, dev.UserID, typeCanonicalAlias) {
			return nil, errcode.Forbidden("you may not change this room's directory visibility")
		}
	}
	if err := setPublished(ctx, r.db, roomID, public); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

type publicRoomsFilter struct {
	GenericSearchTerm string             `json:"generic_search_term"`
	RoomTypes         *[]json.RawMessage `json:"room_types"`
}

type publicRoomsRequest struct {
	Limit                *int64            `json:"limit"`
	Since                string            `json:"since"`
	Filter               publicRoomsFilter `json:"filter"`
	IncludeAllNetworks   bool              `json:"include_all_networks"`
	ThirdPartyInstanceID string            `json:"third_party_instance_id"`
}

// https://spec.matrix.org/latest/client-server-api/#get_matrixclientv3publicrooms
func (r *Rooms) getPublicRooms(req *http.Request) (any, error) {
	q := req.URL.Query()
	body := publicRoomsRequest{Since: q.Get("since")}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, errcode.InvalidParam("limit must be an integer")
		}
		body.Limit = &n
	}
	return r.publicRooms(req.Context(), q.Get("server"), body)
}

// https://spec.matrix.org/latest/client-server-api/#post_matrixclientv3publicrooms
func (r *Rooms) postPublicRooms(req *http.Request, _ *httpapi.Device) (any, error) {
	var body publicRoomsRequest
	if err := httpapi.DecodeJSON(req, &body); err != nil {
		return nil, err
	}
	return r.publicRooms(req.Context(), req.URL.Query().Get("server"), body)
}

// publicRoomsChunk is one room of the published directory.
//
// https://spec.matrix.org/latest/client-server-api/#post_matrixclientv3publicrooms
type publicRoomsChunk struct {
	RoomID           string `json:"room_id"`
	Name             string `json:"name,omitempty"`
	Topic            string `json:"topic,omitempty"`
	CanonicalAlias   string `json:"canonical_alias,omitempty"`
	AvatarURL        string `json:"avatar_url,omitempty"`
	NumJoinedMembers int    `json:"num_joined_members"`
	WorldReadable    bool   `json:"world_readable"`
	GuestCanJoin     bool   `json:"guest_can_join"`
	JoinRule         string `json:"join_rule,omitempty"`
	RoomType         string `json:"room_type,omitempty"`
}

type publicRoomsResponse struct {
	Chunk                  []publicRoomsChunk `json:"chunk"`
	NextBatch              string             `json:"next_batch,omitempty"`
	PrevBatch              string             `json:"prev_batch,omitempty"`
	TotalRoomCountEstimate int                `json:"total_room_count_estimate"`
}

// publicRooms answers a page of the directory: rooms with the most joined
// members first. Batch tokens are offsets into that order ("n"/"p" for the
// direction), which is enough for a directory the size of a team's.
func (r *Rooms) publicRooms(ctx context.Context, server string, body publicRoomsRequest) (any, error) {
	if server != "" && server != r.cfg.ServerName {
		if _, err := id.ParseServerName(server); err != nil {
			return nil, errcode.InvalidParam("invalid server name")
		}
		return nil, errcode.New(errcode.CodeUnknown, "room directories of other servers are not available").WithStatus(http.StatusBadGateway)
	}
	if body.ThirdPartyInstanceID != "" {
		return nil, errcode.InvalidParam("no third-party networks are bridged to this server")
	}
	limit := int64(defaultPublicRoomsLimit)
	if body.Limit != nil && *body.Limit > 0 {
		limit = min(*body.Limit, maxPublicRoomsLimit)
	}
	offset, err := parseBatch(body.Since)
	if err != nil {
		return nil, err
	}

	ids, err := r.publishedRooms(ctx)
	if err != nil {
		return nil, err
	}
	rooms := make([]publicRoomsChunk, 0, len(ids))
	for _, roomID := range ids {
		chunk, roomType, ok, err := r.summarise(ctx, roomID)
		if err != nil {
			return nil, err
		}
		if ok && matchesFilter(chunk, roomType, body.Filter) {
			rooms = append(rooms, chunk)
		}
	}
	sort.SliceStable(rooms, func(i, j int) bool {
		if rooms[i].NumJoinedMembers != rooms[j].NumJoinedMembers {
			return rooms[i].NumJoinedMembers > rooms[j].NumJoinedMembers
		}
		return rooms[i].RoomID < rooms[j].RoomID
	})

	resp := publicRoomsResponse{Chunk: []publicRoomsChunk{}, TotalRoomCountEstimate: len(rooms)}
	start := min(offset, len(rooms))
	end := min(start+int(limit), len(rooms))
	resp.Chunk = append(resp.Chunk, rooms[start:end]...)
	if end < len(rooms) {
		resp.NextBatch = "n" + strconv.Itoa(end)
	}
	if start > 0 {
		resp.PrevBatch = "p" + strconv.Itoa(max(start-int(limit), 0))
	}
	return resp, nil
}

func parseBatch(since string) (int, error) {
	if since == "" {
		return 0, nil
	}
	if len(since) < 2 || (since[0] != 'n' && since[0] != 'p') {
		return 0, errcode.InvalidParam("invalid since token")
	}
	n, err := strconv.Atoi(since[1:])
	if err != nil || n < 0 {
		return 0, errcode.InvalidParam("invalid since token")
	}
	return n, nil
}

// summarise describes a published room from its current state; ok is
// false for a room the roomserver no longer knows.
func (r *Rooms) summarise(ctx context.Context, roomID string) (c publicRoomsChunk, roomType string, ok bool, err error) {
	evs, err := r.rooms.CurrentState(ctx, roomID)
	if errors.Is(err, api.ErrRoomNotFound) {
		return c, "", false, nil
	}
	if err != nil {
		return c, "", false, fmt.Errorf("summarising %s: %w", roomID, err)
	}
	c = chunkOf(roomID, indexState(evs))
	return c, c.RoomType, true, nil
}

// chunkOf describes a room from its state, as the room directory and the
// space hierarchy list it.
func chunkOf(roomID string, st stateMap) publicRoomsChunk {
	c := publicRoomsChunk{
		RoomID:         roomID,
		Name:           contentString(st[key(typeName, "")], "name"),
		Topic:          contentString(st[key(typeTopic, "")], "topic"),
		CanonicalAlias: contentString(st[key(typeCanonicalAlias, "")], "alias"),
		AvatarURL:      contentString(st[key(typeAvatar, "")], "url"),
		WorldReadable:  contentString(st[key(typeHistoryVisibility, "")], "history_visibility") == "world_readable",
		GuestCanJoin:   contentString(st[key(typeGuestAccess, "")], "guest_access") == "can_join",
		JoinRule:       contentString(st[key(typeJoinRules, "")], "join_rule"),
		RoomType:       contentString(st[key(typeCreate, "")], "type"),
	}
	for k, ev := range st {
		if k.Type == typeMember && contentString(ev, "membership") == membershipJoin {
			c.NumJoinedMembers++
		}
	}
	return c
}

// matchesFilter applies filter.generic_search_term (a case-insensitive
// substring of the name, topic or canonical alias, or the exact room ID)
// and filter.room_types (null for rooms without a type).
func matchesFilter(c publicRoomsChunk, roomType string, f publicRoomsFilter) bool {
	if term := strings.ToLower(strings.TrimSpace(f.GenericSearchTerm)); term != "" {
		if !strings.Contains(strings.ToLower(c.Name), term) &&
			!strings.Contains(strings.ToLower(c.Topic), term) &&
			!strings.Contains(strings.ToLower(c.CanonicalAlias), term) &&
			c.RoomID != f.GenericSearchTerm {
			return false
		}
	}
	if f.RoomTypes == nil {
		return true
	}
	for _, raw := range *f.RoomTypes {
		var t *string
		if json.Unmarshal(raw, &t) != nil {
			continue
		}
		if (t == nil && roomType == "") || (t != nil && *t == roomType) {
			return true
		}
	}
	return false
}
