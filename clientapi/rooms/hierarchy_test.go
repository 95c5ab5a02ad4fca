package rooms_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/ocomms/ocomms/internal/testserver"
)

const v1 = "/_matrix/client/v1"

type hierarchyResp struct {
	Rooms []struct {
		RoomID        string `json:"room_id"`
		Name          string `json:"name"`
		RoomType      string `json:"room_type"`
		JoinRule      string `json:"join_rule"`
		RoomVersion   string `json:"room_version"`
		NumJoined     int    `json:"num_joined_members"`
		ChildrenState []struct {
			StateKey       string `json:"state_key"`
			OriginServerTS int64  `json:"origin_server_ts"`
		} `json:"children_state"`
		AllowedRoomIDs []string `json:"allowed_room_ids"`
	} `json:"rooms"`
	NextBatch string `json:"next_batch"`
}

func (h hierarchyResp) ids() []string {
	var out []string
	for _, r := range h.Rooms {
		out = append(out, r.RoomID)
	}
	return out
}

func hierarchy(t *testing.T, c *testserver.Client, roomID, query string) hierarchyResp {
	t.Helper()
	resp := c.Do(t, http.MethodGet, v1+"/rooms/"+esc(roomID)+"/hierarchy"+query, nil)
	if resp.Status != http.StatusOK {
		t.Fatalf("hierarchy: %d %s", resp.Status, resp.Body)
	}
	var h hierarchyResp
	resp.JSON(t, &h)
	return h
}

func addChild(t *testing.T, c *testserver.Client, spaceID, childID string, content map[string]any) {
	t.Helper()
	if content == nil {
		content = map[string]any{"via": []string{"test.ocomms.local"}}
	}
	c.MustDo(t, http.MethodPut, v3+"/rooms/"+esc(spaceID)+"/state/m.space.child/"+esc(childID), content, http.StatusOK)
}

func newSpace(t *testing.T, c *testserver.Client, name string) string {
	t.Helper()
	return createRoom(t, c, map[string]any{"name": name, "preset": "public_chat", "creation_content": map[string]any{"type": "m.space"}})
}

func TestSpaceHierarchyWalksDepthFirstInTheSpecsOrder(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice, bob := srv.NewUser(t, "alice"), srv.NewUser(t, "bob")
		space := newSpace(t, alice, "Company")
		sub := newSpace(t, alice, "Engineering")
		general := createRoom(t, alice, map[string]any{"name": "general", "preset": "public_chat"})
		backend := createRoom(t, alice, map[string]any{"name": "backend", "preset": "public_chat"})
		secret := createRoom(t, alice, map[string]any{"name": "secret", "preset": "private_chat"})
		// "order" sorts before children without one; the sub-space comes
		// first, then the rooms in the order they were added.
		addChild(t, alice, space, general, nil)
		addChild(t, alice, space, sub, map[string]any{"via": []string{"test.ocomms.local"}, "order": "a", "suggested": true})
		addChild(t, alice, space, secret, nil)
		addChild(t, alice, space, "!elsewhere:other.example", nil)
		addChild(t, alice, space, backend, map[string]any{"order": "z"}) // no via: not a child
		addChild(t, alice, sub, backend, nil)

		h := hierarchy(t, alice, space, "")
		if want := []string{space, sub, backend, general, secret}; !slices.Equal(h.ids(), want) {
			t.Fatalf("alice sees %v, want %v", h.ids(), want)
		}
		root := h.Rooms[0]
		if root.RoomType != "m.space" || root.Name != "Company" || root.JoinRule != "public" || root.RoomVersion == "" || root.NumJoined != 1 {
			t.Errorf("root chunk = %+v", root)
		}
		var children []string
		for _, c := range root.ChildrenState {
			children = append(children, c.StateKey)
			if c.OriginServerTS == 0 {
				t.Errorf("child %s has no origin_server_ts", c.StateKey)
			}
		}
		if want := []string{sub, general, secret, "!elsewhere:other.example"}; !slices.Equal(children, want) {
			t.Errorf("children_state = %v, want %v", children, want)
		}
		if len(h.Rooms[2].ChildrenState) != 0 {
			t.Errorf("a room that is not a space lists children: %+v", h.Rooms[2])
		}

		// Bob may not see the private room he is not invited to.
		if got := hierarchy(t, bob, space, "").ids(); !slices.Equal(got, []string{space, sub, backend, general}) {
			t.Errorf("bob sees %v", got)
		}
		// A room restricted to the space's members opens to bob when he
		// joins the space, and names the space in allowed_room_ids.
		restricted := createRoom(t, alice, map[string]any{"preset": "private_chat", "initial_state": []any{map[string]any{
			"type": "m.room.join_rules", "state_key": "",
			"content": map[string]any{"join_rule": "restricted", "allow": []any{map[string]any{"type": "m.room_membership", "room_id": space}}},
		}}})
		addChild(t, alice, sub, restricted, nil)
		if got := hierarchy(t, bob, sub, "").ids(); slices.Contains(got, restricted) {
			t.Errorf("bob sees the restricted room before joining the space: %v", got)
		}
		join(t, bob, space)
		h = hierarchy(t, bob, sub, "")
		if got := h.ids(); !slices.Contains(got, restricted) {
			t.Errorf("bob does not see the restricted room as a member of the space: %v", got)
		} else if r := h.Rooms[slices.Index(got, restricted)]; !slices.Equal(r.AllowedRoomIDs, []string{space}) {
			t.Errorf("allowed_room_ids = %v", r.AllowedRoomIDs)
		}

		if got := hierarchy(t, alice, space, "?max_depth=0").ids(); !slices.Equal(got, []string{space}) {
			t.Errorf("max_depth=0 gives %v", got)
		}
		if got := hierarchy(t, alice, space, "?max_depth=1").ids(); !slices.Equal(got, []string{space, sub, general, secret}) {
			t.Errorf("max_depth=1 gives %v", got)
		}
		if got := hierarchy(t, alice, space, "?suggested_only=true").ids(); !slices.Equal(got, []string{space, sub}) {
			t.Errorf("suggested_only gives %v", got)
		}
	})
}

func TestSpaceHierarchyPaginates(t *testing.T) {
	srv := start(t, testserver.Backends()[0])
	alice := srv.NewUser(t, "alice")
	space := newSpace(t, alice, "Space")
	var want []string = []string{space}
	for range 4 {
		room := createRoom(t, alice, map[string]any{"preset": "public_chat"})
		addChild(t, alice, space, room, nil)
		want = append(want, room)
	}
	var got []string
	page := hierarchy(t, alice, space, "?limit=2")
	for {
		got = append(got, page.ids()...)
		if page.NextBatch == "" {
			break
		}
		if len(got) > len(want) {
			t.Fatalf("pagination does not end: %v", got)
		}
		page = hierarchy(t, alice, space, "?limit=2&from="+page.NextBatch)
	}
	if !slices.Equal(got, want) {
		t.Errorf("pages gave %v, want %v", got, want)
	}
	first := hierarchy(t, alice, space, "?limit=2")
	wantError(t, alice.Do(t, http.MethodGet, v1+"/rooms/"+esc(space)+"/hierarchy?max_depth=1&from="+first.NextBatch, nil), http.StatusBadRequest, "M_INVALID_PARAM")
}

func TestSpaceHierarchyRefusesBadRequests(t *testing.T) {
	srv := start(t, testserver.Backends()[0])
	alice, bob := srv.NewUser(t, "alice"), srv.NewUser(t, "bob")
	private := createRoom(t, alice, map[string]any{"preset": "private_chat", "creation_content": map[string]any{"type": "m.space"}})
	path := v1 + "/rooms/" + esc(private) + "/hierarchy"
	tests := []struct {
		name   string
		c      *testserver.Client
		path   string
		status int
		code   string
	}{
		{"a space the user may not see", bob, path, http.StatusForbidden, "M_FORBIDDEN"},
		{"an unknown room", alice, v1 + "/rooms/" + esc("!nope:test.ocomms.local") + "/hierarchy", http.StatusForbidden, "M_FORBIDDEN"},
		{"a malformed room ID", alice, v1 + "/rooms/nope/hierarchy", http.StatusBadRequest, "M_INVALID_PARAM"},
		{"a zero limit", alice, path + "?limit=0", http.StatusBadRequest, "M_INVALID_PARAM"},
		{"a negative max_depth", alice, path + "?max_depth=-1", http.StatusBadRequest, "M_INVALID_PARAM"},
		{"a bad suggested_only", alice, path + "?suggested_only=yes", http.StatusBadRequest, "M_INVALID_PARAM"},
		{"an unknown token", alice, path + "?from=x", http.StatusBadRequest, "M_INVALID_PARAM"},
		{"no access token", srv.Anonymous(), path, http.StatusUnauthorized, "M_MISSING_TOKEN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, tt.c.Do(t, http.MethodGet, tt.path, nil), tt.status, tt.code)
		})
	}
}
