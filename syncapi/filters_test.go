package syncapi_test

import (
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/ocomms/ocomms/internal/testserver"
)

func TestFilterUploadAndDownload(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice, bob := srv.NewUser(t, "alice"), srv.NewUser(t, "bob")
		filterPath := v3 + "/user/" + esc(alice.UserID) + "/filter"
		def := map[string]any{"room": map[string]any{"timeline": map[string]any{"limit": 2, "types": []string{"m.room.message"}}}}
		id, _ := alice.MustDo(t, http.MethodPost, filterPath, def, http.StatusOK)["filter_id"].(string)
		if id == "" {
			t.Fatal("no filter_id")
		}
		got := alice.MustDo(t, http.MethodGet, filterPath+"/"+id, nil, http.StatusOK)
		if mustJSON(t, got) != mustJSON(t, def) {
			t.Errorf("GET filter = %v, want %v", got, def)
		}

		tests := []struct {
			name   string
			client *testserver.Client
			method string
			path   string
			body   any
			status int
			code   string
		}{
			{"uploading a filter for another user is forbidden", bob, http.MethodPost, filterPath, def, 403, "M_FORBIDDEN"},
			{"reading another user's filter is forbidden", bob, http.MethodGet, filterPath + "/" + id, nil, 403, "M_FORBIDDEN"},
			{"an unknown filter is not found", alice, http.MethodGet, filterPath + "/999999", nil, 404, "M_NOT_FOUND"},
			{"a filter that is not JSON is refused", alice, http.MethodPost, filterPath, "{not json", 400, "M_NOT_JSON"},
			{"a limit that is not an integer is bad JSON", alice, http.MethodPost, filterPath, `{"room":{"timeline":{"limit":"2"}}}`, 400, "M_BAD_JSON"},
			{"a zero limit is bad JSON", alice, http.MethodPost, filterPath, `{"room":{"timeline":{"limit":0}}}`, 400, "M_BAD_JSON"},
			{"an unknown event_format is bad JSON", alice, http.MethodPost, filterPath, `{"event_format":"xml"}`, 400, "M_BAD_JSON"},
			{"rooms that are not room IDs are bad JSON", alice, http.MethodPost, filterPath, `{"room":{"rooms":["#alias:x"]}}`, 400, "M_BAD_JSON"},
			{"a filter that is an array is bad JSON", alice, http.MethodPost, filterPath, `[]`, 400, "M_BAD_JSON"},
			{"uploading without a token is refused", srv.Anonymous(), http.MethodPost, filterPath, def, 401, "M_MISSING_TOKEN"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				wantError(t, tt.client.Do(t, tt.method, tt.path, tt.body), tt.status, tt.code)
			})
		}
	})
}

func TestSyncAppliesFiltersByIDAndInline(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice := srv.NewUser(t, "alice")
		roomID := createRoom(t, alice, nil)
		other := createRoom(t, alice, nil)
		send(t, alice, roomID, "t1", "one")
		send(t, alice, roomID, "t2", "two")
		last := send(t, alice, roomID, "t3", "three")
		waitForEvent(t, alice, "", roomID, last)

		id, _ := alice.MustDo(t, http.MethodPost, v3+"/user/"+esc(alice.UserID)+"/filter", map[string]any{
			"room": map[string]any{"timeline": map[string]any{"limit": 2, "types": []string{"m.room.message"}}},
		}, http.StatusOK)["filter_id"].(string)
		byID := sync(t, alice, url.Values{"filter": {id}}).Rooms.Join[roomID]
		if got := bodies(byID.Timeline.Events); !slices.Equal(got, []string{"two", "three"}) || len(byID.Timeline.Events) != 2 || !byID.Timeline.Limited {
			t.Errorf("filtered timeline = %v (limited %v), want [two three] limited", byID.timelineTypes(), byID.Timeline.Limited)
		}

		inline := sync(t, alice, url.Values{"filter": {`{"room":{"rooms":["` + other + `"],"state":{"types":["m.room.create"]}}}`}})
		if _, ok := inline.Rooms.Join[roomID]; ok {
			t.Error("a room outside the filter's rooms was synced")
		}
		room, ok := inline.Rooms.Join[other]
		if !ok {
			t.Fatal("the filter's room is missing")
		}
		for _, e := range room.State.Events {
			if e.Type != "m.room.create" {
				t.Errorf("state filter let %s through", e.Type)
			}
		}

		fields := sync(t, alice, url.Values{"filter": {`{"event_fields":["type","content.body"],"room":{"timeline":{"limit":1}}}`}})
		ev := fields.Rooms.Join[roomID].Timeline.Events[0]
		if ev.Type != "m.room.message" || ev.Content["body"] != "three" || ev.Sender != "" || ev.Content["msgtype"] != nil {
			t.Errorf("event_fields gave %+v, want only type and content.body", ev)
		}
	})
}

func TestLazyLoadingSendsOnlyTheMembersTheTimelineNeeds(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice, bob, carol := srv.NewUser(t, "alice"), srv.NewUser(t, "bob"), srv.NewUser(t, "carol")
		roomID := createRoom(t, alice, map[string]any{"preset": "public_chat"})
		join(t, bob, roomID)
		join(t, carol, roomID)
		for i := range 4 {
			send(t, carol, roomID, "c"+string(rune('0'+i)), "filler")
		}
		last := send(t, bob, roomID, "b1", "from bob")
		waitForEvent(t, alice, "", roomID, last)

		s := sync(t, alice, url.Values{"filter": {`{"room":{"timeline":{"limit":1},"state":{"lazy_load_members":true}}}`}})
		room := s.Rooms.Join[roomID]
		if !room.stateHas("m.room.member", bob.UserID) || !room.stateHas("m.room.member", alice.UserID) {
			t.Errorf("lazy-loaded state lacks the sender's or own membership: %+v", room.State.Events)
		}
		if room.stateHas("m.room.member", carol.UserID) {
			t.Error("lazy-loaded state has a member who sent nothing in the timeline")
		}
		if room.Summary["m.joined_member_count"] != float64(3) || len(room.Summary["m.heroes"].([]any)) != 2 {
			t.Errorf("summary = %v, want 3 joined and 2 heroes", room.Summary)
		}

		// With use_state_after the members are those at the end of the
		// timeline, for the same users.
		after := stateAfterSync(t, alice, "", `{"room":{"timeline":{"limit":1},"state":{"lazy_load_members":true}}}`)
		want := []string{"m.room.member|" + alice.UserID + "|join", "m.room.member|" + bob.UserID + "|join"}
		slices.Sort(want)
		if got := stateAfterMembers(onlyStateAfter(t, after.Rooms.Join[roomID], true)); !slices.Equal(got, want) {
			t.Errorf("members in state_after = %v, want %v", got, want)
		}
	})
}
