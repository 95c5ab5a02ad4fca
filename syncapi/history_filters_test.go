package syncapi_test

import (
	"maps"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/ocomms/ocomms/internal/testserver"
)

// chat is a public room where alice and bob talked and carol listened:
// a1 b1 x1 a2 b2 a3, x1 being bob's m.example event. mid is a sync token
// taken right after a2.
type chat struct {
	roomID            string
	alice, bob, carol *testserver.Client
	ids               map[string]string
	mid               string
}

func startChat(t *testing.T, srv *testserver.Server) chat {
	t.Helper()
	c := chat{alice: srv.NewUser(t, "alice"), bob: srv.NewUser(t, "bob"), carol: srv.NewUser(t, "carol"), ids: map[string]string{}}
	c.roomID = createRoom(t, c.alice, map[string]any{"preset": "public_chat"})
	join(t, c.bob, c.roomID)
	join(t, c.carol, c.roomID)
	say := func(who *testserver.Client, evType, body string) {
		res := who.MustDo(t, http.MethodPut, v3+"/rooms/"+esc(c.roomID)+"/send/"+evType+"/"+body,
			map[string]any{"msgtype": "m.text", "body": body}, http.StatusOK)
		c.ids[body], _ = res["event_id"].(string)
	}
	say(c.alice, "m.room.message", "a1")
	say(c.bob, "m.room.message", "b1")
	say(c.bob, "m.example", "x1")
	say(c.alice, "m.room.message", "a2")
	c.mid = waitForEvent(t, c.alice, "", c.roomID, c.ids["a2"])
	say(c.bob, "m.room.message", "b2")
	say(c.alice, "m.room.message", "a3")
	waitForEvent(t, c.alice, c.mid, c.roomID, c.ids["a3"])
	return c
}

// said is the bodies of the events, whatever their type.
func said(evs []clientEvent) []string {
	var out []string
	for _, e := range evs {
		if b, ok := e.Content["body"].(string); ok {
			out = append(out, b)
		}
	}
	return out
}

func TestMessagesStopsAtToAndAppliesEventFilters(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		c := startChat(t, start(t, b))
		t.Run("backwards to a token pages only the events after it", func(t *testing.T) {
			var got []string
			q := url.Values{"dir": {"b"}, "limit": {"1"}, "to": {c.mid}}
			for range 5 {
				page := messages(t, c.alice, c.roomID, q)
				got = append(got, said(page.Chunk)...)
				if page.End == "" {
					break
				}
				q.Set("from", page.End)
			}
			if !slices.Equal(got, []string{"a3", "b2"}) {
				t.Errorf("pages back to the token = %v, want [a3 b2] and then no end", got)
			}
		})
		t.Run("forwards to a token stops at it", func(t *testing.T) {
			page := messages(t, c.alice, c.roomID, url.Values{"dir": {"f"}, "limit": {"50"}, "to": {c.mid}})
			if got := said(page.Chunk); !slices.Equal(got, []string{"a1", "b1", "x1", "a2"}) {
				t.Errorf("forwards up to the token = %v", got)
			}
		})
		t.Run("forwards from a token starts after it", func(t *testing.T) {
			page := messages(t, c.alice, c.roomID, url.Values{"dir": {"f"}, "limit": {"50"}, "from": {c.mid}})
			if got := said(page.Chunk); !slices.Equal(got, []string{"b2", "a3"}) {
				t.Errorf("forwards from the token = %v", got)
			}
		})

		tests := []struct {
			name, filter string
			want         []string
			// every returned event must pass ok
			ok func(clientEvent) bool
		}{
			{"types keeps only the listed types", `{"types":["m.example"]}`, []string{"x1"},
				func(e clientEvent) bool { return e.Type == "m.example" }},
			{"types matches a trailing wildcard", `{"types":["m.ex*"]}`, []string{"x1"},
				func(e clientEvent) bool { return e.Type == "m.example" }},
			{"not_types drops the listed types", `{"not_types":["m.room.message"]}`, []string{"x1"},
				func(e clientEvent) bool { return e.Type != "m.room.message" }},
			{"senders keeps only the listed senders", `{"senders":["@bob:test.ocomms.local"]}`, []string{"b2", "x1", "b1"},
				func(e clientEvent) bool { return e.Sender == c.bob.UserID }},
			{"not_senders drops the listed senders", `{"not_senders":["@alice:test.ocomms.local","@carol:test.ocomms.local"]}`, []string{"b2", "x1", "b1"},
				func(e clientEvent) bool { return e.Sender == c.bob.UserID }},
			{"types and senders together", `{"types":["m.room.message"],"senders":["@alice:test.ocomms.local"]}`, []string{"a3", "a2", "a1"},
				func(e clientEvent) bool { return e.Sender == c.alice.UserID && e.Type == "m.room.message" }},
			{"not_types wins over types", `{"types":["m.room.*"],"not_types":["m.room.message"]}`, nil,
				func(e clientEvent) bool { return e.Type != "m.room.message" && e.Type != "m.example" }},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				page := messages(t, c.alice, c.roomID, url.Values{"dir": {"b"}, "limit": {"50"}, "filter": {tt.filter}})
				if got := said(page.Chunk); !slices.Equal(got, tt.want) {
					t.Errorf("bodies = %v, want %v", got, tt.want)
				}
				if len(page.Chunk) == 0 {
					t.Fatal("the filter matched nothing")
				}
				for _, e := range page.Chunk {
					if !tt.ok(e) {
						t.Errorf("%s from %s passed the filter", e.Type, e.Sender)
					}
				}
			})
		}
	})
}

type contextResp struct {
	Event        clientEvent   `json:"event"`
	EventsBefore []clientEvent `json:"events_before"`
	EventsAfter  []clientEvent `json:"events_after"`
	State        []clientEvent `json:"state"`
}

func (r contextResp) members() []string {
	var out []string
	for _, e := range r.State {
		if e.Type == "m.room.member" {
			out = append(out, *e.StateKey)
		}
	}
	slices.Sort(out)
	return out
}

func TestContextAppliesItsFilterAndLazyLoadsMembers(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		c := startChat(t, start(t, b))
		contextOf := func(t *testing.T, body, query string) contextResp {
			t.Helper()
			var r contextResp
			getJSON(t, c.alice, v3+"/rooms/"+esc(c.roomID)+"/context/"+esc(c.ids[body])+query, &r)
			if r.Event.EventID != c.ids[body] {
				t.Fatalf("context centred on %s, want %s", r.Event.EventID, body)
			}
			return r
		}
		everyone := []string{c.alice.UserID, c.bob.UserID, c.carol.UserID}
		slices.Sort(everyone)

		t.Run("without a filter every member is in the state", func(t *testing.T) {
			r := contextOf(t, "a2", "?limit=2")
			if !slices.Equal(said(r.EventsBefore), []string{"x1"}) || !slices.Equal(said(r.EventsAfter), []string{"b2"}) {
				t.Errorf("around a2: %v / %v", said(r.EventsBefore), said(r.EventsAfter))
			}
			if got := r.members(); !slices.Equal(got, everyone) {
				t.Errorf("members in state = %v, want %v", got, everyone)
			}
		})
		t.Run("a filter picks the events around", func(t *testing.T) {
			filter := `{"types":["m.room.message"],"senders":["@alice:test.ocomms.local"]}`
			r := contextOf(t, "a2", "?limit=4&filter="+url.QueryEscape(filter))
			if !slices.Equal(said(r.EventsBefore), []string{"a1"}) || !slices.Equal(said(r.EventsAfter), []string{"a3"}) {
				t.Errorf("around a2 with alice's messages only: %v / %v", said(r.EventsBefore), said(r.EventsAfter))
			}
		})
		t.Run("not_senders leaves the sender's events out of the state too", func(t *testing.T) {
			r := contextOf(t, "a2", "?limit=4&filter="+url.QueryEscape(`{"not_senders":["@bob:test.ocomms.local"]}`))
			for _, e := range slices.Concat(r.EventsBefore, r.EventsAfter, r.State) {
				if e.Sender == c.bob.UserID {
					t.Errorf("bob's %s passed not_senders", e.Type)
				}
			}
		})
		t.Run("lazy loading keeps only the members who sent the events returned", func(t *testing.T) {
			r := contextOf(t, "a2", "?limit=2&filter="+url.QueryEscape(`{"lazy_load_members":true}`))
			want := []string{c.alice.UserID, c.bob.UserID}
			slices.Sort(want)
			if got := r.members(); !slices.Equal(got, want) {
				t.Errorf("lazy-loaded members = %v, want %v (carol said nothing)", got, want)
			}
			if !slices.ContainsFunc(r.State, func(e clientEvent) bool { return e.Type == "m.room.create" }) {
				t.Error("lazy loading dropped state other than members")
			}
		})
	})
}

// aloneInPublicRoom starts a server where alice is alone in a public room
// that bob and carol have not joined yet, and returns the sync token just
// after her first message there.
func aloneInPublicRoom(t *testing.T, b testserver.Backend) (alice, bob, carol *testserver.Client, roomID, token string) {
	t.Helper()
	srv := start(t, b)
	alice, bob, carol = srv.NewUser(t, "alice"), srv.NewUser(t, "bob"), srv.NewUser(t, "carol")
	roomID = createRoom(t, alice, map[string]any{"preset": "public_chat"})
	token = waitForEvent(t, alice, "", roomID, send(t, alice, roomID, "t0", "alone"))
	return alice, bob, carol, roomID, token
}

func TestMembersAtAnEarlierToken(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		alice, bob, carol, roomID, first := aloneInPublicRoom(t, b)
		join(t, bob, roomID)
		invite(t, alice, roomID, carol.UserID)
		second := waitForEvent(t, alice, first, roomID, send(t, alice, roomID, "t1", "three of us"))
		leave(t, bob, roomID)
		join(t, carol, roomID)
		waitForEvent(t, alice, second, roomID, send(t, alice, roomID, "t2", "bob left"))
		// A /messages token names a point in the room as well: this one
		// is just after "three of us" (bob's join, carol's invite, it).
		page := messages(t, alice, roomID, url.Values{"dir": {"f"}, "limit": {"3"}, "from": {first}})
		if got := said(page.Chunk); !slices.Equal(got, []string{"three of us"}) || page.End == "" {
			t.Fatalf("page after the first token: %v, end %q", got, page.End)
		}

		a, bb, cc := alice.UserID, bob.UserID, carol.UserID
		tests := []struct {
			name, query string
			want        map[string]string
		}{
			{"at the first token only alice was there", "?at=" + url.QueryEscape(first), map[string]string{a: "join"}},
			{"at the second token bob had joined and carol was invited", "?at=" + url.QueryEscape(second),
				map[string]string{a: "join", bb: "join", cc: "invite"}},
			{"now bob has left and carol joined", "", map[string]string{a: "join", bb: "leave", cc: "join"}},
			{"at a /messages token", "?at=" + url.QueryEscape(page.End), map[string]string{a: "join", bb: "join", cc: "invite"}},
			{"membership filters the earlier state", "?membership=join&at=" + url.QueryEscape(second), map[string]string{a: "join", bb: "join"}},
			{"not_membership filters the earlier state", "?not_membership=join&at=" + url.QueryEscape(second), map[string]string{cc: "invite"}},
			{"membership=leave now", "?membership=leave", map[string]string{bb: "leave"}},
			{"membership and not_membership together", "?membership=join&not_membership=leave", map[string]string{a: "join", cc: "join"}},
			{"membership=knock when nobody knocked", "?membership=knock", map[string]string{}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var resp struct {
					Chunk []clientEvent `json:"chunk"`
				}
				getJSON(t, alice, v3+"/rooms/"+esc(roomID)+"/members"+tt.query, &resp)
				got := map[string]string{}
				for _, e := range resp.Chunk {
					got[*e.StateKey], _ = e.Content["membership"].(string)
				}
				if !maps.Equal(got, tt.want) {
					t.Errorf("members = %v, want %v", got, tt.want)
				}
			})
		}
		wantError(t, alice.Do(t, http.MethodGet, v3+"/rooms/"+esc(roomID)+"/members?at=nonsense", nil), 400, "M_INVALID_PARAM")
		wantError(t, alice.Do(t, http.MethodGet, v3+"/rooms/"+esc(roomID)+"/members?not_membership=gone", nil), 400, "M_INVALID_PARAM")
	})
}
