package syncapi_test

import (
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/ocomms/ocomms/internal/testserver"
)

// bundled is what a test reads of an event's unsigned.m.relations.
type bundled struct {
	count        int
	latest       string
	participated bool
	edit         string
	editBody     string
	references   []string
	present      bool
}

func relationsOf(ev clientEvent) bundled {
	var b bundled
	rel, ok := ev.Unsigned["m.relations"].(map[string]any)
	if !ok {
		return b
	}
	b.present = true
	if th, ok := rel["m.thread"].(map[string]any); ok {
		c, _ := th["count"].(float64)
		b.count = int(c)
		latest, _ := th["latest_event"].(map[string]any)
		b.latest, _ = latest["event_id"].(string)
		b.participated, _ = th["current_user_participated"].(bool)
	}
	if ed, ok := rel["m.replace"].(map[string]any); ok {
		b.edit, _ = ed["event_id"].(string)
		content, _ := ed["content"].(map[string]any)
		nc, _ := content["m.new_content"].(map[string]any)
		b.editBody, _ = nc["body"].(string)
	}
	if ref, ok := rel["m.reference"].(map[string]any); ok {
		chunk, _ := ref["chunk"].([]any)
		for _, c := range chunk {
			m, _ := c.(map[string]any)
			id, _ := m["event_id"].(string)
			b.references = append(b.references, id)
		}
	}
	return b
}

func getEvent(t *testing.T, c *testserver.Client, roomID, eventID string) clientEvent {
	t.Helper()
	var ev clientEvent
	getJSON(t, c, v3+"/rooms/"+esc(roomID)+"/event/"+esc(eventID), &ev)
	return ev
}

func findEvent(evs []clientEvent, id string) (clientEvent, bool) {
	for _, e := range evs {
		if e.EventID == id {
			return e, true
		}
	}
	return clientEvent{}, false
}

// latestEdit is the spec's most recent replacement: the latest
// origin_server_ts, ties to the lexicographically largest event ID.
func latestEdit(t *testing.T, c *testserver.Client, roomID string, edits ...string) string {
	t.Helper()
	best, bestTS := "", -1.0
	for _, id := range edits {
		resp := c.Do(t, http.MethodGet, v3+"/rooms/"+esc(roomID)+"/event/"+esc(id), nil)
		ts, _ := resp.Map(t)["origin_server_ts"].(float64)
		if ts > bestTS || (ts == bestTS && id > best) {
			best, bestTS = id, ts
		}
	}
	return best
}

func TestAggregationsAreBundledWhereverEventsGoToClients(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice, bob := srv.NewUser(t, "alice"), srv.NewUser(t, "bob")
		roomID := createRoom(t, alice, map[string]any{"preset": "public_chat"})
		join(t, bob, roomID)
		root := send(t, alice, roomID, "root", "original")
		reply := threadReply(t, bob, roomID, root, "reply")
		replyEdit := edit(t, bob, roomID, reply, "reply-edit", "reply, edited")
		edits := []string{edit(t, alice, roomID, root, "edit1", "first edit"), edit(t, alice, roomID, root, "edit2", "second edit")}
		// Edits by someone else, and edits of an edit, are not edits.
		edit(t, bob, roomID, root, "bob-edit", "bob was here")
		edit(t, alice, roomID, edits[0], "edit-of-edit", "nested")
		ref := sendEvent(t, alice, roomID, "m.room.message", "ref", map[string]any{"body": "see above", "m.relates_to": relatesTo("m.reference", root)})
		last := send(t, alice, roomID, "last", "last")
		waitForEvent(t, alice, "", roomID, last)
		winner := latestEdit(t, alice, roomID, edits...)

		check := func(t *testing.T, where string, ev clientEvent, viewer *testserver.Client) {
			t.Helper()
			got := relationsOf(ev)
			if got.count != 1 || got.latest != reply || got.participated != (viewer == bob || viewer == alice) {
				t.Errorf("%s: m.thread = count %d latest %s participated %v, want 1, %s, true", where, got.count, got.latest, got.participated, reply)
			}
			if got.edit != winner {
				t.Errorf("%s: m.replace = %s, want alice's latest edit %s (edits %v)", where, got.edit, winner, edits)
			}
			if !slices.Equal(got.references, []string{ref}) {
				t.Errorf("%s: m.reference = %v, want [%s]", where, got.references, ref)
			}
		}
		s := initialSyncUntil(t, alice, url.Values{}, "the root in the timeline", func(s syncResp) bool {
			_, ok := findEvent(s.Rooms.Join[roomID].Timeline.Events, root)
			return ok
		})
		ev, _ := findEvent(s.Rooms.Join[roomID].Timeline.Events, root)
		check(t, "/sync", ev, alice)
		msgs := messages(t, bob, roomID, url.Values{"dir": {"b"}, "limit": {"50"}})
		ev, _ = findEvent(msgs.Chunk, root)
		check(t, "/messages", ev, bob)
		var ctx struct {
			Event        clientEvent   `json:"event"`
			EventsBefore []clientEvent `json:"events_before"`
		}
		alice.Do(t, http.MethodGet, v3+"/rooms/"+esc(roomID)+"/context/"+esc(root), nil).JSON(t, &ctx)
		check(t, "/context", ctx.Event, alice)
		check(t, "/event", getEvent(t, alice, roomID, root), alice)
		if rel := relationsOf(getEvent(t, alice, roomID, reply)); rel.edit != replyEdit || rel.editBody != "reply, edited" {
			t.Errorf("the reply's m.replace = %+v, want its edit %s", rel, replyEdit)
		}

		// The latest event of a thread carries its own aggregations.
		raw := alice.Do(t, http.MethodGet, v3+"/rooms/"+esc(roomID)+"/event/"+esc(root), nil).Map(t)
		latest := raw["unsigned"].(map[string]any)["m.relations"].(map[string]any)["m.thread"].(map[string]any)["latest_event"].(map[string]any)
		if rel := relationsOf(clientEvent{Unsigned: latest["unsigned"].(map[string]any)}); rel.edit != replyEdit {
			t.Errorf("latest_event's m.replace = %q, want %s", rel.edit, replyEdit)
		}

		// A redacted edit no longer applies: the other edit does.
		redacted := redact(t, alice, roomID, winner, "redact-edit")
		waitForEvent(t, alice, "", roomID, redacted)
		other := edits[0]
		if other == winner {
			other = edits[1]
		}
		if got := relationsOf(getEvent(t, alice, roomID, root)).edit; got != other {
			t.Errorf("after redacting %s the m.replace is %s, want %s", winner, got, other)
		}
		// A redacted event gets no edit bundled, but keeps its thread.
		redacted = redact(t, alice, roomID, root, "redact-root")
		waitForEvent(t, alice, "", roomID, redacted)
		if got := relationsOf(getEvent(t, alice, roomID, root)); got.edit != "" || got.latest != reply {
			t.Errorf("redacted root's aggregations = %+v, want its thread and no edit", got)
		}
	})
}

type threadsPage struct {
	Chunk     []clientEvent `json:"chunk"`
	NextBatch string        `json:"next_batch"`
}

func threadsList(t *testing.T, c *testserver.Client, roomID string, query url.Values) threadsPage {
	t.Helper()
	var p threadsPage
	getJSON(t, c, v1+"/rooms/"+esc(roomID)+"/threads?"+query.Encode(), &p)
	return p
}

func TestThreadsListLatestActivityFirst(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice, bob, carol, eve := srv.NewUser(t, "alice"), srv.NewUser(t, "bob"), srv.NewUser(t, "carol"), srv.NewUser(t, "eve")
		roomID := createRoom(t, alice, map[string]any{"preset": "public_chat"})
		join(t, bob, roomID)
		join(t, carol, roomID)
		a := send(t, alice, roomID, "a", "thread a")
		bRoot := send(t, bob, roomID, "b", "thread b")
		c := send(t, alice, roomID, "c", "thread c")
		send(t, alice, roomID, "no-thread", "not a thread")
		threadReply(t, alice, roomID, a, "a1")
		threadReply(t, alice, roomID, bRoot, "b1")
		threadReply(t, carol, roomID, c, "c1")
		latest := threadReply(t, bob, roomID, a, "a2")
		waitForEvent(t, alice, "", roomID, latest)

		// Paging one thread at a time walks the whole list in order.
		var got []string
		query := url.Values{"limit": {"1"}}
		for range 5 {
			p := threadsList(t, alice, roomID, query)
			got = append(got, ids(p.Chunk)...)
			if len(p.Chunk) > 0 && relationsOf(p.Chunk[0]).count == 0 {
				t.Errorf("thread %s has no m.thread aggregation", p.Chunk[0].EventID)
			}
			if p.NextBatch == "" {
				break
			}
			query.Set("from", p.NextBatch)
		}
		if want := []string{a, c, bRoot}; !slices.Equal(got, want) {
			t.Errorf("threads = %v, want latest activity first %v", got, want)
		}
		top := threadsList(t, alice, roomID, url.Values{}).Chunk[0]
		if rel := relationsOf(top); rel.count != 2 || rel.latest != latest || !rel.participated {
			t.Errorf("thread a's aggregation = %+v, want 2 replies, latest %s, alice participated", rel, latest)
		}

		// Redacting a thread's latest reply moves the thread back to its
		// latest remaining one.
		redacted := redact(t, bob, roomID, latest, "redact-a2")
		waitForEvent(t, alice, "", roomID, redacted)
		p := threadsList(t, alice, roomID, url.Values{})
		if got, want := ids(p.Chunk), []string{c, bRoot, a}; !slices.Equal(got, want) {
			t.Errorf("threads after redacting a's latest reply = %v, want %v", got, want)
		}
		if rel := relationsOf(p.Chunk[2]); rel.count != 1 {
			t.Errorf("thread a's count after the redaction = %d, want 1", rel.count)
		}

		tests := []struct {
			name   string
			client *testserver.Client
			want   []string
		}{
			{"bob started b, and his reply to a is redacted", bob, []string{bRoot}},
			{"carol replied to c", carol, []string{c}},
			{"alice started a and c and replied to b", alice, []string{c, bRoot, a}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				p := threadsList(t, tt.client, roomID, url.Values{"include": {"participated"}})
				if got := ids(p.Chunk); !slices.Equal(got, tt.want) {
					t.Errorf("participated threads = %v, want %v", got, tt.want)
				}
			})
		}

		base := v1 + "/rooms/" + esc(roomID) + "/threads"
		checkErrors(t, []errorCase{
			{"an unknown include", alice, base + "?include=some", 400, "M_INVALID_PARAM"},
			{"a zero limit", alice, base + "?limit=0", 400, "M_INVALID_PARAM"},
			{"a malformed from token", alice, base + "?from=xyz", 400, "M_INVALID_PARAM"},
			{"a user who was never in the room", eve, base, 403, "M_FORBIDDEN"},
		})
	})
}

func TestAggregationsLeaveOutIgnoredUsers(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice, bob, carol := srv.NewUser(t, "alice"), srv.NewUser(t, "bob"), srv.NewUser(t, "carol")
		roomID := createRoom(t, alice, map[string]any{"preset": "public_chat"})
		join(t, bob, roomID)
		join(t, carol, roomID)
		root := send(t, alice, roomID, "root", "root")
		fromCarol := threadReply(t, carol, roomID, root, "carol")
		fromBob := threadReply(t, bob, roomID, root, "bob")
		token := waitForEvent(t, alice, "", roomID, fromBob)
		ignore(t, alice, bob.UserID)
		accountDataUntil(t, alice, token, "the ignore list arrives", func(s accountDataResp) bool {
			return s.AccountData.content("m.ignored_user_list") != nil
		})

		if rel := relationsOf(getEvent(t, alice, roomID, root)); rel.count != 1 || rel.latest != fromCarol {
			t.Errorf("alice's m.thread = %+v, want only carol's reply", rel)
		}
		if got := allRelations(t, alice, roomID, esc(root), url.Values{}); !slices.Equal(got, []string{fromCarol}) {
			t.Errorf("alice's relations = %v, want only carol's reply", got)
		}
		if rel := relationsOf(getEvent(t, carol, roomID, root)); rel.count != 2 || rel.latest != fromBob {
			t.Errorf("carol's m.thread = %+v, want both replies, latest bob's", rel)
		}
	})
}
