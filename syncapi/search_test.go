package syncapi_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/ocomms/ocomms/internal/testserver"
)

type searchResp struct {
	SearchCategories struct {
		RoomEvents struct {
			Count      int      `json:"count"`
			Highlights []string `json:"highlights"`
			Results    []struct {
				Rank    float64     `json:"rank"`
				Result  clientEvent `json:"result"`
				Context *struct {
					Start        string                       `json:"start"`
					End          string                       `json:"end"`
					ProfileInfo  map[string]map[string]string `json:"profile_info"`
					EventsBefore []clientEvent                `json:"events_before"`
					EventsAfter  []clientEvent                `json:"events_after"`
				} `json:"context"`
			} `json:"results"`
			State  map[string][]clientEvent `json:"state"`
			Groups map[string]map[string]struct {
				NextBatch string   `json:"next_batch"`
				Order     int      `json:"order"`
				Results   []string `json:"results"`
			} `json:"groups"`
			NextBatch string `json:"next_batch"`
		} `json:"room_events"`
	} `json:"search_categories"`
}

func (r searchResp) ids() []string {
	var out []string
	for _, res := range r.SearchCategories.RoomEvents.Results {
		out = append(out, res.Result.EventID)
	}
	return out
}

// search posts a room_events search and fails unless it answers 200.
func search(t *testing.T, c *testserver.Client, criteria map[string]any, nextBatch string) searchResp {
	t.Helper()
	path := v3 + "/search"
	if nextBatch != "" {
		path += "?next_batch=" + esc(nextBatch)
	}
	resp := c.Do(t, http.MethodPost, path, map[string]any{"search_categories": map[string]any{"room_events": criteria}})
	if resp.Status != http.StatusOK {
		t.Fatalf("search %v: %d %s", criteria, resp.Status, resp.Body)
	}
	var r searchResp
	resp.JSON(t, &r)
	return r
}

// searchAll follows next_batch to the end and returns every result.
func searchAll(t *testing.T, c *testserver.Client, criteria map[string]any, nextBatch string) []string {
	t.Helper()
	var ids []string
	for range 50 {
		r := search(t, c, criteria, nextBatch)
		ids = append(ids, r.ids()...)
		if nextBatch = r.SearchCategories.RoomEvents.NextBatch; nextBatch == "" {
			return ids
		}
	}
	t.Fatal("search pagination did not end")
	return nil
}

// searchUntil repeats a search until cond holds, for changes the sync
// API applies asynchronously.
func searchUntil(t *testing.T, c *testserver.Client, criteria map[string]any, what string, cond func(searchResp) bool) searchResp {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		r := search(t, c, criteria, "")
		if cond(r) {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("search: %s did not happen in time (last results %v)", what, r.ids())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func term(s string) map[string]any { return map[string]any{"search_term": s} }

func with(c map[string]any, k string, v any) map[string]any {
	out := map[string]any{}
	for kk, vv := range c {
		out[kk] = vv
	}
	out[k] = v
	return out
}

func TestSearch(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice, bob := srv.NewUser(t, "alice"), srv.NewUser(t, "bob")
		carol, eve := srv.NewUser(t, "carol"), srv.NewUser(t, "eve")
		roomA := createRoom(t, alice, map[string]any{"name": "Planning room", "preset": "public_chat"})
		roomB := createRoom(t, alice, nil)
		join(t, bob, roomA)
		join(t, eve, roomA)
		quick := send(t, alice, roomA, "1", "The quick brown fox jumps")
		beijing := send(t, bob, roomA, "2", "我们今天去北京吃烤鸭")
		tokyo := send(t, alice, roomA, "3", "東京タワーに行きました")
		foxes := send(t, alice, roomA, "4", "fox fox fox")
		dog := send(t, bob, roomA, "5", "a brown dog")
		secret := send(t, alice, roomA, "6", "a secret fox to redact")
		inB := send(t, alice, roomB, "7", "a fox in another room")
		leave(t, eve, roomA)
		late := send(t, alice, roomA, "8", "a fox after eve left")
		waitForEvent(t, alice, "", roomA, late)

		inA := map[string]any{"rooms": []string{roomA}}
		tests := []struct {
			name     string
			client   *testserver.Client
			criteria map[string]any
			want     []string
			ordered  bool
		}{
			{"English words, every one required", alice, term("brown quick"), []string{quick}, false},
			{"a word ignoring case", alice, term("DOG"), []string{dog}, false},
			{"a Chinese phrase inside a sentence", alice, term("北京吃"), []string{beijing}, false},
			{"a Japanese phrase inside a sentence", bob, term("タワー"), []string{tokyo}, false},
			{"a query of two characters", alice, term("北京"), []string{beijing}, false},
			{"a two-letter word part", alice, term("og"), []string{dog}, false},
			{"filtered by sender", alice, with(term("brown"), "filter", map[string]any{"senders": []string{bob.UserID}}), []string{dog}, false},
			{"filtered by room", alice, with(term("fox"), "filter", map[string]any{"rooms": []string{roomB}}), []string{inB}, false},
			{"rooms left out", alice, with(term("fox"), "filter", map[string]any{"not_rooms": []string{roomA}}), []string{inB}, false},
			{"only in bodies", alice, with(term("Planning"), "keys", []string{"content.body"}), nil, false},
			{"newest first", alice, with(with(term("fox"), "order_by", "recent"), "filter", inA), []string{late, secret, foxes, quick}, true},
			{"a user in none of the rooms", carol, term("fox"), nil, false},
			{"a user who left sees what came before", eve, with(term("fox"), "order_by", "recent"), []string{secret, foxes, quick}, true},
			{"a user not in the other room", bob, term("another"), nil, false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got := search(t, tt.client, tt.criteria, "").ids()
				if !tt.ordered {
					slices.Sort(got)
					slices.Sort(tt.want)
				}
				if !slices.Equal(got, tt.want) {
					t.Errorf("results = %v, want %v", got, tt.want)
				}
			})
		}

		t.Run("the room name", func(t *testing.T) {
			res := search(t, alice, term("Planning"), "").SearchCategories.RoomEvents.Results
			if len(res) != 1 || res[0].Result.Type != "m.room.name" || res[0].Result.RoomID != roomA {
				t.Errorf("results %+v, want the m.room.name event of room A", res)
			}
		})

		t.Run("ranked by relevance", func(t *testing.T) {
			r := search(t, alice, with(term("fox"), "filter", inA), "")
			res := r.SearchCategories.RoomEvents
			if len(res.Results) != 4 || res.Results[0].Result.EventID != foxes {
				t.Fatalf("ranked results = %v, want %s (fox fox fox) first of 4", r.ids(), foxes)
			}
			if res.Results[0].Rank < res.Results[3].Rank {
				t.Errorf("ranks not descending: %v then %v", res.Results[0].Rank, res.Results[3].Rank)
			}
			if res.Count != 4 || !slices.Equal(res.Highlights, []string{"fox"}) {
				t.Errorf("count %d highlights %v, want 4 [fox]", res.Count, res.Highlights)
			}
		})

		t.Run("pages with next_batch", func(t *testing.T) {
			for _, order := range []string{"rank", "recent"} {
				all := search(t, alice, with(term("fox"), "order_by", order), "").ids()
				paged := searchAll(t, alice, with(with(term("fox"), "order_by", order), "filter", map[string]any{"limit": 1}), "")
				if len(all) != 5 || !slices.Equal(paged, all) {
					t.Errorf("%s: pages %v, want %v", order, paged, all)
				}
			}
		})

		t.Run("groups by room with a next_batch each", func(t *testing.T) {
			c := with(with(term("fox"), "order_by", "recent"), "groupings", map[string]any{"group_by": []map[string]any{{"key": "room_id"}}})
			r := search(t, alice, with(c, "filter", map[string]any{"limit": 2}), "")
			groups := r.SearchCategories.RoomEvents.Groups["room_id"]
			gA, ok := groups[roomA]
			// The page holds the newest fox of each room.
			if !ok || !slices.Equal(gA.Results, []string{late}) || gA.NextBatch == "" {
				t.Fatalf("group of room A = %+v (groups %v), want [late] and a next_batch", gA, groups)
			}
			if gB := groups[roomB]; !slices.Equal(gB.Results, []string{inB}) || gB.Order == gA.Order {
				t.Errorf("group of room B = %+v, want [inB] with an order of its own", gB)
			}
			rest := searchAll(t, alice, with(c, "filter", map[string]any{"limit": 2}), gA.NextBatch)
			if !slices.Equal(rest, []string{secret, foxes, quick}) {
				t.Errorf("rest of room A's group = %v, want [secret foxes quick]", rest)
			}
		})

		t.Run("context and profiles", func(t *testing.T) {
			c := with(term("タワー"), "event_context", map[string]any{"before_limit": 1, "after_limit": 1, "include_profile": true})
			r := search(t, alice, with(c, "include_state", true), "")
			res := r.SearchCategories.RoomEvents
			if len(res.Results) != 1 || res.Results[0].Context == nil {
				t.Fatalf("results %+v, want one with context", res.Results)
			}
			ctx := res.Results[0].Context
			if len(ctx.EventsBefore) != 1 || ctx.EventsBefore[0].EventID != beijing ||
				len(ctx.EventsAfter) != 1 || ctx.EventsAfter[0].EventID != foxes {
				t.Errorf("context before %v after %v, want [%s] [%s]", ctx.EventsBefore, ctx.EventsAfter, beijing, foxes)
			}
			if ctx.Start == "" || ctx.End == "" {
				t.Errorf("context tokens start %q end %q", ctx.Start, ctx.End)
			}
			for _, u := range []string{alice.UserID, bob.UserID} {
				if ctx.ProfileInfo[u]["displayname"] == "" {
					t.Errorf("profile_info[%s] = %v, want a display name", u, ctx.ProfileInfo[u])
				}
			}
			if len(res.State[roomA]) == 0 {
				t.Errorf("state of room A missing: %v", res.State)
			}
		})

		t.Run("the r0 path", func(t *testing.T) {
			resp := alice.Do(t, http.MethodPost, "/_matrix/client/r0/search",
				map[string]any{"search_categories": map[string]any{"room_events": term("dog")}})
			if resp.Status != http.StatusOK {
				t.Fatalf("r0 search: %d %s", resp.Status, resp.Body)
			}
		})

		t.Run("redacted messages disappear", func(t *testing.T) {
			alice.MustDo(t, http.MethodPut, v3+"/rooms/"+esc(roomA)+"/redact/"+esc(secret)+"/r1", map[string]any{}, http.StatusOK)
			searchUntil(t, alice, term("secret"), "the redacted message leaves the results",
				func(r searchResp) bool { return len(r.ids()) == 0 })
		})

		t.Run("ignored users are left out", func(t *testing.T) {
			alice.MustDo(t, http.MethodPut, v3+"/user/"+esc(alice.UserID)+"/account_data/m.ignored_user_list",
				map[string]any{"ignored_users": map[string]any{bob.UserID: map[string]any{}}}, http.StatusOK)
			searchUntil(t, alice, term("brown"), "bob's message leaves the results",
				func(r searchResp) bool { return slices.Equal(r.ids(), []string{quick}) })
		})
	})
}

func TestSearchRejectsBadRequests(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice := srv.NewUser(t, "alice")
		body := func(c map[string]any) map[string]any {
			return map[string]any{"search_categories": map[string]any{"room_events": c}}
		}
		tests := []struct {
			name   string
			path   string
			body   any
			status int
			code   string
		}{
			{"no search term", "/search", body(map[string]any{}), 400, "M_MISSING_PARAM"},
			{"an empty search term", "/search", body(term("  ")), 400, "M_INVALID_PARAM"},
			{"an unknown key", "/search", body(with(term("x"), "keys", []string{"content.url"})), 400, "M_INVALID_PARAM"},
			{"an unknown order", "/search", body(with(term("x"), "order_by", "oldest")), 400, "M_INVALID_PARAM"},
			{"a negative context", "/search", body(with(term("x"), "event_context", map[string]any{"before_limit": -1})), 400, "M_INVALID_PARAM"},
			{"an unknown grouping", "/search", body(with(term("x"), "groupings", map[string]any{"group_by": []map[string]any{{"key": "type"}}})), 400, "M_INVALID_PARAM"},
			{"a bad filter", "/search", body(with(term("x"), "filter", map[string]any{"limit": 0})), 400, "M_BAD_JSON"},
			{"a search term that is not a string", "/search", body(map[string]any{"search_term": 3}), 400, "M_BAD_JSON"},
			{"a forged next_batch", "/search?next_batch=nope", body(term("x")), 400, "M_INVALID_PARAM"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				wantError(t, alice.Do(t, http.MethodPost, v3+tt.path, tt.body), tt.status, tt.code)
			})
		}
		t.Run("no room_events category", func(t *testing.T) {
			res := alice.MustDo(t, http.MethodPost, v3+"/search", map[string]any{"search_categories": map[string]any{}}, http.StatusOK)
			if cats, ok := res["search_categories"].(map[string]any); !ok || len(cats) != 0 {
				t.Errorf("response %v, want empty search_categories", res)
			}
		})
		t.Run("without a token", func(t *testing.T) {
			wantError(t, srv.Anonymous().Do(t, http.MethodPost, v3+"/search", body(term("x"))), 401, "M_MISSING_TOKEN")
		})
	})
}
