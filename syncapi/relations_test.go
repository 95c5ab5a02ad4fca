package syncapi_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/ocomms/ocomms/internal/testserver"
)

const v1 = "/_matrix/client/v1"

// sendEvent sends an event of any type with the given content.
func sendEvent(t *testing.T, c *testserver.Client, roomID, evType, txnID string, content map[string]any) string {
	t.Helper()
	res := c.MustDo(t, http.MethodPut, v3+"/rooms/"+esc(roomID)+"/send/"+esc(evType)+"/"+esc(txnID), content, http.StatusOK)
	id, _ := res["event_id"].(string)
	if id == "" {
		t.Fatalf("send returned no event_id: %v", res)
	}
	return id
}

func relatesTo(relType, parent string) map[string]any {
	return map[string]any{"rel_type": relType, "event_id": parent}
}

func threadReply(t *testing.T, c *testserver.Client, roomID, root, txnID string) string {
	t.Helper()
	return sendEvent(t, c, roomID, "m.room.message", txnID, map[string]any{
		"msgtype": "m.text", "body": txnID, "m.relates_to": relatesTo("m.thread", root)})
}

func edit(t *testing.T, c *testserver.Client, roomID, original, txnID, body string) string {
	t.Helper()
	return sendEvent(t, c, roomID, "m.room.message", txnID, map[string]any{
		"msgtype": "m.text", "body": "* " + body, "m.new_content": map[string]any{"msgtype": "m.text", "body": body},
		"m.relates_to": relatesTo("m.replace", original)})
}

func redact(t *testing.T, c *testserver.Client, roomID, eventID, txnID string) string {
	t.Helper()
	return c.MustDo(t, http.MethodPut, v3+"/rooms/"+esc(roomID)+"/redact/"+esc(eventID)+"/"+esc(txnID),
		map[string]any{}, http.StatusOK)["event_id"].(string)
}

type relationsPage struct {
	Chunk          []clientEvent `json:"chunk"`
	NextBatch      string        `json:"next_batch"`
	PrevBatch      string        `json:"prev_batch"`
	RecursionDepth *int          `json:"recursion_depth"`
}

func relations(t *testing.T, c *testserver.Client, roomID, path string, query url.Values) relationsPage {
	t.Helper()
	var p relationsPage
	getJSON(t, c, v1+"/rooms/"+esc(roomID)+"/relations/"+path+"?"+query.Encode(), &p)
	return p
}

// allRelations follows next_batch from the first page to the last.
func allRelations(t *testing.T, c *testserver.Client, roomID, path string, query url.Values) []string {
	t.Helper()
	var ids []string
	for pages := 0; ; pages++ {
		p := relations(t, c, roomID, path, query)
		for _, e := range p.Chunk {
			ids = append(ids, e.EventID)
		}
		if p.NextBatch == "" {
			return ids
		}
		if pages > 50 {
			t.Fatalf("relations %s: pagination does not end", path)
		}
		query.Set("from", p.NextBatch)
	}
}

func ids(evs []clientEvent) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.EventID)
	}
	return out
}

func reversed(s []string) []string {
	out := slices.Clone(s)
	slices.Reverse(out)
	return out
}

func TestRelationsPaginateFilterAndRecurse(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice, eve := srv.NewUser(t, "alice"), srv.NewUser(t, "eve")
		roomID := createRoom(t, alice, nil)
		root := send(t, alice, roomID, "root", "root")
		var all, threads, reactions []string
		for i := range 4 {
			id := threadReply(t, alice, roomID, root, fmt.Sprintf("reply%d", i))
			all, threads = append(all, id), append(threads, id)
			r := sendEvent(t, alice, roomID, "m.reaction", fmt.Sprintf("react%d", i),
				map[string]any{"m.relates_to": map[string]any{"rel_type": "m.annotation", "event_id": root, "key": fmt.Sprint(i)}})
			all, reactions = append(all, r), append(reactions, r)
		}
		// Malformed relationships are no relationships.
		sendEvent(t, alice, roomID, "m.reaction", "nokey", map[string]any{"m.relates_to": relatesTo("m.annotation", root)})
		sendEvent(t, alice, roomID, "m.room.message", "noreltype", map[string]any{"body": "x", "m.relates_to": map[string]any{"event_id": root}})
		sendEvent(t, alice, roomID, "m.room.message", "badid", map[string]any{"body": "x", "m.relates_to": relatesTo("m.reference", "nope")})
		// A reference to the first reply, and a reaction to that: only
		// found when recursing.
		nested := sendEvent(t, alice, roomID, "m.room.message", "nested", map[string]any{"body": "n", "m.relates_to": relatesTo("m.reference", threads[0])})
		deeper := sendEvent(t, alice, roomID, "m.reaction", "deeper",
			map[string]any{"m.relates_to": map[string]any{"rel_type": "m.annotation", "event_id": nested, "key": "👍"}})
		waitForEvent(t, alice, "", roomID, deeper)

		path := esc(root)
		tests := []struct {
			name  string
			path  string
			query url.Values
			want  []string
		}{
			{"backwards by default, newest first", path, url.Values{"limit": {"3"}}, reversed(all)},
			{"forwards, oldest first", path, url.Values{"limit": {"3"}, "dir": {"f"}}, all},
			{"one relationship type", path + "/m.thread", url.Values{"limit": {"2"}}, reversed(threads)},
			{"one relationship and event type", path + "/m.annotation/m.reaction", url.Values{}, reversed(reactions)},
			{"an event type no child has", path + "/m.thread/m.reaction", url.Values{}, nil},
			{"recursing finds children of children", path, url.Values{"recurse": {"true"}, "limit": {"4"}},
				reversed(append(slices.Clone(all), nested, deeper))},
			{"a type filter applies to the events of every level", path + "/m.annotation", url.Values{"recurse": {"true"}},
				reversed(append(slices.Clone(reactions), deeper))},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if got := allRelations(t, alice, roomID, tt.path, tt.query); !slices.Equal(got, tt.want) {
					t.Errorf("got %v, want %v", got, tt.want)
				}
			})
		}

		first := relations(t, alice, roomID, path, url.Values{"limit": {"2"}})
		if first.PrevBatch != "" || first.RecursionDepth != nil || first.NextBatch == "" {
			t.Errorf("first page: prev_batch %q, recursion_depth %v, next_batch %q; want no prev_batch, no depth, a next_batch",
				first.PrevBatch, first.RecursionDepth, first.NextBatch)
		}
		second := relations(t, alice, roomID, path, url.Values{"limit": {"2"}, "from": {first.NextBatch}})
		if second.PrevBatch != first.NextBatch {
			t.Errorf("second page prev_batch %q, want the from token %q", second.PrevBatch, first.NextBatch)
		}
		// from the second page back to the first page's token: nothing,
		// as the spec's example says; from the first to the second page's
		// end: the first two pages.
		bounded := relations(t, alice, roomID, path, url.Values{"to": {second.NextBatch}})
		if got := ids(bounded.Chunk); !slices.Equal(got, reversed(all)[:4]) {
			t.Errorf("relations up to the second page's end = %v, want the first four", got)
		}
		if d := relations(t, alice, roomID, path, url.Values{"recurse": {"true"}}).RecursionDepth; d == nil || *d != 3 {
			t.Errorf("recursion_depth = %v, want 3", d)
		}
		if d := relations(t, alice, roomID, path, url.Values{"recurse": {"false"}}).RecursionDepth; d == nil || *d != 1 {
			t.Errorf("recursion_depth without recursing = %v, want 1", d)
		}
		if got := ids(relations(t, alice, roomID, esc(threads[0]), url.Values{}).Chunk); !slices.Equal(got, []string{nested}) {
			t.Errorf("children of the first reply = %v, want the reference", got)
		}

		base := v1 + "/rooms/" + esc(roomID) + "/relations/" + path
		checkErrors(t, []errorCase{
			{"an unknown dir", alice, base + "?dir=up", 400, "M_INVALID_PARAM"},
			{"a recurse that is not a boolean", alice, base + "?recurse=yes", 400, "M_INVALID_PARAM"},
			{"a malformed from token", alice, base + "?from=xyz", 400, "M_INVALID_PARAM"},
			{"a negative limit", alice, base + "?limit=-2", 400, "M_INVALID_PARAM"},
			{"an unknown parent", alice, v1 + "/rooms/" + esc(roomID) + "/relations/" + esc("$unknown"), 404, "M_NOT_FOUND"},
			{"a parent in another room", alice, v1 + "/rooms/" + esc("!other:test.ocomms.local") + "/relations/" + path, 404, "M_NOT_FOUND"},
			{"a user who cannot see the parent", eve, base, 404, "M_NOT_FOUND"},
			{"no access token", srv.Anonymous(), base, 401, "M_MISSING_TOKEN"},
		})
	})
}

func TestRelationsHonourHistoryVisibility(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice, bob := srv.NewUser(t, "alice"), srv.NewUser(t, "bob")
		roomID := createRoom(t, alice, map[string]any{"preset": "public_chat"})
		setState(t, alice, roomID, "m.room.history_visibility", "", map[string]any{"history_visibility": "joined"})
		early := send(t, alice, roomID, "early", "before bob")
		threadReply(t, alice, roomID, early, "early-reply")
		join(t, bob, roomID)
		root := send(t, alice, roomID, "root", "root")
		seen := threadReply(t, alice, roomID, root, "while-bob-is-in")
		leave(t, bob, roomID)
		threadReply(t, alice, roomID, root, "while-bob-is-away")
		join(t, bob, roomID)
		back := threadReply(t, alice, roomID, root, "after-bob-is-back")
		waitForEvent(t, alice, "", roomID, back)

		wantError(t, bob.Do(t, http.MethodGet, v1+"/rooms/"+esc(roomID)+"/relations/"+esc(early), nil), 404, "M_NOT_FOUND")
		if got := allRelations(t, bob, roomID, esc(root), url.Values{}); !slices.Equal(got, []string{back, seen}) {
			t.Errorf("bob sees children %v, want only those sent while he was joined: %v", got, []string{back, seen})
		}
		if got := allRelations(t, alice, roomID, esc(root), url.Values{}); len(got) != 3 {
			t.Errorf("alice sees %d children, want 3", len(got))
		}
		thread := relationsOf(getEvent(t, bob, roomID, root))
		if thread.count != 2 || thread.latest != back || thread.participated {
			t.Errorf("bob's m.thread = %+v, want the 2 replies he may see, latest %s, not participated", thread, back)
		}
	})
}
