package syncapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/ocomms/ocomms/internal/config"
	"github.com/ocomms/ocomms/internal/testserver"
)

const ssPath = "/_matrix/client/unstable/org.matrix.simplified_msc3575/sync"

type ssResp struct {
	Pos   string `json:"pos"`
	Lists map[string]struct {
		Count int `json:"count"`
	} `json:"lists"`
	Rooms      map[string]ssRoomResp `json:"rooms"`
	Extensions struct {
		ToDevice *struct {
			NextBatch string        `json:"next_batch"`
			Events    []clientEvent `json:"events"`
		} `json:"to_device"`
		E2EE *struct {
			DeviceLists struct {
				Changed []string `json:"changed"`
			} `json:"device_lists"`
			Counts map[string]int `json:"device_one_time_keys_count"`
		} `json:"e2ee"`
		AccountData *struct {
			Global []clientEvent            `json:"global"`
			Rooms  map[string][]clientEvent `json:"rooms"`
		} `json:"account_data"`
		Receipts *struct {
			Rooms map[string]clientEvent `json:"rooms"`
		} `json:"receipts"`
		Typing *struct {
			Rooms map[string]clientEvent `json:"rooms"`
		} `json:"typing"`
	} `json:"extensions"`
}

type ssRoomResp struct {
	Name          string        `json:"name"`
	Initial       bool          `json:"initial"`
	RequiredState []clientEvent `json:"required_state"`
	Timeline      []clientEvent `json:"timeline"`
	PrevBatch     string        `json:"prev_batch"`
	Limited       bool          `json:"limited"`
	NumLive       *int          `json:"num_live"`
	BumpStamp     int64         `json:"bump_stamp"`
	JoinedCount   *int          `json:"joined_count"`
	InviteState   []clientEvent `json:"invite_state"`
	Membership    string        `json:"membership"`
	Heroes        []struct {
		UserID string `json:"user_id"`
	} `json:"heroes"`
}

func (r ssRoomResp) hasState(evType, stateKey string) bool {
	return slices.ContainsFunc(r.RequiredState, func(e clientEvent) bool {
		return e.Type == evType && e.StateKey != nil && *e.StateKey == stateKey
	})
}

// slidingSync posts one request; pos and timeout go in the query, as
// Element X sends them.
func slidingSync(t *testing.T, c *testserver.Client, pos string, timeout time.Duration, body map[string]any) ssResp {
	t.Helper()
	resp := c.Do(t, http.MethodPost, ssURL(pos, timeout), body)
	if resp.Status != http.StatusOK {
		t.Fatalf("sliding sync: %d %s", resp.Status, resp.Body)
	}
	var s ssResp
	resp.JSON(t, &s)
	return s
}

func ssURL(pos string, timeout time.Duration) string {
	u := ssPath + "?timeout=" + fmt.Sprint(timeout.Milliseconds())
	if pos != "" {
		u += "&pos=" + pos
	}
	return u
}

// slidingSyncUntil repeats requests from pos (a new connection when "")
// until cond holds for a response.
func slidingSyncUntil(t *testing.T, c *testserver.Client, pos string, body map[string]any, what string, cond func(ssResp) bool) ssResp {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		s := slidingSync(t, c, pos, time.Second, body)
		if cond(s) {
			return s
		}
		if pos != "" {
			pos = s.Pos
		}
		if time.Now().After(deadline) {
			t.Fatalf("sliding sync: %s did not happen in time", what)
		}
	}
}

func allRooms(rangeEnd, timelineLimit int, requiredState ...[]string) map[string]any {
	if requiredState == nil {
		requiredState = [][]string{}
	}
	return map[string]any{"lists": map[string]any{"all": map[string]any{
		"ranges": [][]int{{0, rangeEnd}}, "timeline_limit": timelineLimit, "required_state": requiredState,
	}}}
}

func timelineHas(r ssRoomResp, eventID string) bool {
	return slices.ContainsFunc(r.Timeline, func(e clientEvent) bool { return e.EventID == eventID })
}

func TestSlidingSyncListsTimelineAndRequiredState(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice, bob := srv.NewUser(t, "alice"), srv.NewUser(t, "bob")
		r1 := createRoom(t, alice, map[string]any{"name": "One"})
		r2 := createRoom(t, alice, nil)
		invite(t, alice, r2, bob.UserID)
		join(t, bob, r2)
		r3 := createRoom(t, alice, map[string]any{"name": "Three"})
		last := send(t, alice, r1, "m1", "hello one")
		body := allRooms(1, 2, []string{"m.room.create", ""}, []string{"m.room.member", "$LAZY"}, []string{"m.room.name", "*"})

		// r1 has the latest event, then r3 (created after r2).
		s := slidingSyncUntil(t, alice, "", body, "the message in r1", func(s ssResp) bool {
			return timelineHas(s.Rooms[r1], last)
		})
		if s.Lists["all"].Count != 3 {
			t.Errorf("count = %d, want 3", s.Lists["all"].Count)
		}
		if _, ok := s.Rooms[r2]; ok || len(s.Rooms) != 2 {
			t.Fatalf("rooms = %v, want r1 and r3 only", keys(s.Rooms))
		}
		one := s.Rooms[r1]
		if !one.Initial || one.Name != "One" || one.Membership != "join" || len(one.Timeline) != 2 || !one.Limited || one.PrevBatch == "" {
			t.Errorf("r1 = %+v", one)
		}
		if !one.hasState("m.room.create", "") || !one.hasState("m.room.member", alice.UserID) || one.hasState("m.room.power_levels", "") {
			t.Errorf("r1 required_state = %v", one.RequiredState)
		}
		if one.JoinedCount == nil || *one.JoinedCount != 1 || one.NumLive == nil || *one.NumLive != 0 {
			t.Errorf("r1 counts: joined %v, num_live %v", one.JoinedCount, one.NumLive)
		}
		if s.Rooms[r3].BumpStamp >= one.BumpStamp {
			t.Errorf("bump_stamp r3 %d >= r1 %d", s.Rooms[r3].BumpStamp, one.BumpStamp)
		}

		t.Run("pos and prev_batch page /messages", func(t *testing.T) {
			for _, from := range []string{s.Pos, one.PrevBatch} {
				res := alice.MustDo(t, http.MethodGet, v3+"/rooms/"+esc(r1)+"/messages?dir=b&limit=50&from="+url.QueryEscape(from), nil, http.StatusOK)
				if chunk, _ := res["chunk"].([]any); len(chunk) == 0 {
					t.Errorf("/messages from %s: no events", from)
				}
			}
		})

		t.Run("an incremental request has only what changed", func(t *testing.T) {
			again := slidingSync(t, alice, s.Pos, 0, body)
			if len(again.Rooms) != 0 {
				t.Fatalf("rooms = %v, want none", keys(again.Rooms))
			}
			// Widening the range sends the room not sent yet, in full.
			wide := slidingSync(t, alice, again.Pos, 0, allRooms(9, 2, []string{"m.room.create", ""}, []string{"m.room.member", "$LAZY"}, []string{"m.room.name", "*"}))
			if len(wide.Rooms) != 1 || !wide.Rooms[r2].Initial || len(wide.Rooms[r2].Heroes) != 1 || wide.Rooms[r2].Heroes[0].UserID != bob.UserID {
				t.Fatalf("widened: %+v", wide.Rooms)
			}
			// A retry with the older pos gets r2 again: the lost response
			// is forgotten.
			retry := slidingSync(t, alice, again.Pos, 0, allRooms(9, 2))
			if !retry.Rooms[r2].Initial {
				t.Fatalf("retry with the older pos: %+v", retry.Rooms)
			}
			s.Pos = retry.Pos
		})

		t.Run("a message bumps its room and wakes a parked request", func(t *testing.T) {
			got := make(chan ssResp, 1)
			go func() { got <- slidingSync(t, alice, s.Pos, 20*time.Second, allRooms(0, 2)) }()
			time.Sleep(100 * time.Millisecond) // let it park; it answers either way
			ev := send(t, bob, r2, "b1", "hi from bob")
			var woke ssResp
			select {
			case woke = <-got:
			case <-time.After(20 * time.Second):
				t.Fatal("the parked request did not wake")
			}
			if woke.Lists["all"].Count != 3 {
				t.Errorf("count = %d", woke.Lists["all"].Count)
			}
			room, ok := woke.Rooms[r2]
			if !ok || room.Initial || !timelineHas(room, ev) || room.NumLive == nil || *room.NumLive != 1 || len(room.Timeline) != 1 {
				t.Fatalf("woken with %+v, want r2 with only bob's message, live", woke.Rooms)
			}
			if _, ok := woke.Rooms[r1]; ok {
				t.Errorf("r1 sent again without a change")
			}
			_ = r3
		})
	})
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestSlidingSyncInvitesAndSubscriptions(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice, bob := srv.NewUser(t, "alice"), srv.NewUser(t, "bob")
		mine := createRoom(t, alice, map[string]any{"name": "Old"})
		newer := createRoom(t, alice, nil)
		lastMine := send(t, alice, newer, "n1", "newer")
		invited := createRoom(t, bob, map[string]any{"name": "Party"})
		invite(t, bob, invited, alice.UserID)

		body := allRooms(9, 1)
		body["lists"].(map[string]any)["invites"] = map[string]any{
			"ranges": [][]int{{0, 9}}, "timeline_limit": 0, "required_state": [][]string{}, "filters": map[string]any{"is_invite": true},
		}
		body["room_subscriptions"] = map[string]any{
			mine:                   map[string]any{"timeline_limit": 1, "required_state": [][]string{{"*", "*"}}},
			"!unknown:example.org": map[string]any{"timeline_limit": 1, "required_state": [][]string{}},
		}
		s := slidingSyncUntil(t, alice, "", body, "the invite and the message", func(s ssResp) bool {
			_, ok := s.Rooms[invited]
			return ok && s.Lists["invites"].Count == 1 && timelineHas(s.Rooms[newer], lastMine)
		})
		inv := s.Rooms[invited]
		if inv.Membership != "invite" || !slices.ContainsFunc(inv.InviteState, func(e clientEvent) bool { return e.Type == "m.room.name" }) {
			t.Errorf("invite = %+v", inv)
		}
		if len(inv.Timeline) != 0 || len(inv.RequiredState) != 0 {
			t.Errorf("the invite leaks the room: %+v", inv)
		}
		sub, ok := s.Rooms[mine]
		if !ok || !sub.hasState("m.room.power_levels", "") || !sub.hasState("m.room.name", "") || len(sub.Timeline) != 1 {
			t.Errorf("subscribed room = %+v (present %v)", sub, ok)
		}
		if _, ok := s.Rooms["!unknown:example.org"]; ok {
			t.Error("a subscription to a room the user was never in returned it")
		}

		t.Run("joining turns the invite into a joined room", func(t *testing.T) {
			join(t, alice, invited)
			got := slidingSyncUntil(t, alice, s.Pos, body, "the join", func(s ssResp) bool { return s.Rooms[invited].Membership == "join" })
			if r := got.Rooms[invited]; !r.Initial || r.Name != "Party" {
				t.Errorf("joined room = %+v", r)
			}
		})
	})
}

func TestSlidingSyncExtensions(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice, bob := srv.NewUser(t, "alice"), srv.NewUser(t, "bob")
		roomID := sharedRoom(t, alice, bob)
		msg := send(t, bob, roomID, "x1", "read me")
		body := allRooms(9, 1)
		body["extensions"] = map[string]any{
			"to_device":    map[string]any{"enabled": true},
			"e2ee":         map[string]any{"enabled": true},
			"account_data": map[string]any{"enabled": true},
			"receipts":     map[string]any{"enabled": true},
			"typing":       map[string]any{"enabled": true},
		}
		s := slidingSyncUntil(t, alice, "", body, "the message", func(s ssResp) bool { return timelineHas(s.Rooms[roomID], msg) })
		ext := s.Extensions
		if ext.ToDevice == nil || ext.E2EE == nil || ext.AccountData == nil || ext.Receipts == nil || ext.Typing == nil {
			t.Fatalf("extensions missing: %+v", ext)
		}
		if ext.E2EE.Counts == nil {
			t.Error("e2ee has no device_one_time_keys_count")
		}

		bob.MustDo(t, http.MethodPut, v3+"/sendToDevice/m.test/t1", map[string]any{"messages": map[string]any{alice.UserID: map[string]any{alice.DeviceID: map[string]any{"n": 1}}}}, http.StatusOK)
		bob.MustDo(t, http.MethodPost, v3+"/rooms/"+esc(roomID)+"/receipt/m.read/"+esc(msg), map[string]any{}, http.StatusOK)
		bob.MustDo(t, http.MethodPut, v3+"/rooms/"+esc(roomID)+"/typing/"+esc(bob.UserID), map[string]any{"typing": true, "timeout": 30000}, http.StatusOK)
		putGlobal(t, alice, "org.example.setting", map[string]any{"on": true})
		putRoom(t, alice, roomID, "org.example.room", map[string]any{"pinned": 1})
		// A user newly sharing a room is a device list change.
		carol := srv.NewUser(t, "carol")
		join(t, carol, roomID)

		var toDevice, receipt, typing, global, room, devices bool
		pos := s.Pos
		deadline := time.Now().Add(20 * time.Second)
		for !(toDevice && receipt && typing && global && room && devices) {
			if time.Now().After(deadline) {
				t.Fatalf("extensions delivered: to_device %v receipt %v typing %v global %v room %v device lists %v", toDevice, receipt, typing, global, room, devices)
			}
			body["extensions"].(map[string]any)["to_device"] = map[string]any{"enabled": true, "since": s.Extensions.ToDevice.NextBatch}
			s = slidingSync(t, alice, pos, 2*time.Second, body)
			pos = s.Pos
			e := s.Extensions
			toDevice = toDevice || slices.ContainsFunc(e.ToDevice.Events, func(e clientEvent) bool { return e.Type == "m.test" && e.Sender == bob.UserID })
			receipt = receipt || e.Receipts.Rooms[roomID].Content[msg] != nil
			typing = typing || slices.Contains(userIDsOf(e.Typing.Rooms[roomID]), bob.UserID)
			global = global || slices.ContainsFunc(e.AccountData.Global, func(e clientEvent) bool { return e.Type == "org.example.setting" })
			room = room || slices.ContainsFunc(e.AccountData.Rooms[roomID], func(e clientEvent) bool { return e.Type == "org.example.room" })
			devices = devices || slices.Contains(e.E2EE.DeviceLists.Changed, carol.UserID)
		}
		// The acknowledged message is not delivered again.
		body["extensions"].(map[string]any)["to_device"] = map[string]any{"enabled": true, "since": s.Extensions.ToDevice.NextBatch}
		if again := slidingSync(t, alice, pos, 0, body); len(again.Extensions.ToDevice.Events) != 0 {
			t.Errorf("to-device delivered again: %v", again.Extensions.ToDevice.Events)
		}
	})
}

func userIDsOf(e clientEvent) []string {
	var out []string
	ids, _ := e.Content["user_ids"].([]any)
	for _, id := range ids {
		s, _ := id.(string)
		out = append(out, s)
	}
	return out
}

func TestSlidingSyncWakesAcrossInstances(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		in := twoInstances(t, b, func(*config.Config) {})
		aliceOnB := in.onB(in.alice)
		settle := send(t, in.alice, in.roomID, "s1", "settle")
		s := slidingSyncUntil(t, aliceOnB, "", allRooms(0, 3), "the settle message", func(s ssResp) bool { return timelineHas(s.Rooms[in.roomID], settle) })
		got := make(chan ssResp, 1)
		go func() { got <- slidingSync(t, aliceOnB, s.Pos, 30*time.Second, allRooms(0, 3)) }()
		time.Sleep(100 * time.Millisecond) // let it park; it answers either way
		ev := send(t, in.bob, in.roomID, "b1", "via A")
		select {
		case woke := <-got:
			if !timelineHas(woke.Rooms[in.roomID], ev) {
				t.Fatalf("woke with %+v, want bob's message", woke.Rooms)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("a sliding sync parked on B did not wake for a message sent through A")
		}
	})
}

func TestSlidingSyncBadRequests(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice, bob := srv.NewUser(t, "alice"), srv.NewUser(t, "bob")
		s := slidingSync(t, alice, "", 0, allRooms(0, 1))
		tests := []struct {
			name, pos string
			client    *testserver.Client
			body      any
			code      string
		}{
			{"malformed pos", "garbage", alice, allRooms(0, 1), "M_UNKNOWN_POS"},
			{"pos never issued", "999999/s1", alice, allRooms(0, 1), "M_UNKNOWN_POS"},
			{"another user's pos", s.Pos, bob, allRooms(0, 1), "M_UNKNOWN_POS"},
			{"backwards range", "", alice, map[string]any{"lists": map[string]any{"a": map[string]any{"ranges": [][]int{{5, 1}}, "timeline_limit": 1}}}, "M_INVALID_PARAM"},
			{"negative timeline limit", "", alice, map[string]any{"lists": map[string]any{"a": map[string]any{"ranges": [][]int{{0, 1}}, "timeline_limit": -1}}}, "M_INVALID_PARAM"},
			{"bad required_state", "", alice, map[string]any{"room_subscriptions": map[string]any{"!a:b": map[string]any{"required_state": [][]string{{"x"}}}}}, "M_INVALID_PARAM"},
			{"not a room ID", "", alice, map[string]any{"room_subscriptions": map[string]any{"a": map[string]any{}}}, "M_INVALID_PARAM"},
			{"bad to_device since", "", alice, map[string]any{"extensions": map[string]any{"to_device": map[string]any{"enabled": true, "since": "x"}}}, "M_INVALID_PARAM"},
			{"bad set_presence", "", alice, map[string]any{"set_presence": "away"}, "M_INVALID_PARAM"},
			{"wrong shape", "", alice, map[string]any{"lists": []int{1}}, "M_BAD_JSON"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				wantError(t, tt.client.Do(t, http.MethodPost, ssURL(tt.pos, 0), tt.body), http.StatusBadRequest, tt.code)
			})
		}
		t.Run("a new connection invalidates the old pos", func(t *testing.T) {
			slidingSync(t, alice, "", 0, allRooms(0, 1))
			wantError(t, alice.Do(t, http.MethodPost, ssURL(s.Pos, 0), allRooms(0, 1)), http.StatusBadRequest, "M_UNKNOWN_POS")
		})
		t.Run("advertised in /versions", func(t *testing.T) {
			var v struct {
				Unstable map[string]bool `json:"unstable_features"`
			}
			raw := alice.Do(t, http.MethodGet, "/_matrix/client/versions", nil)
			if err := json.Unmarshal(raw.Body, &v); err != nil || !v.Unstable["org.matrix.simplified_msc3575"] {
				t.Errorf("versions: %s", raw.Body)
			}
		})
	})
}
