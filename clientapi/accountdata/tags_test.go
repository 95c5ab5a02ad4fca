package accountdata_test

import (
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/ocomms/ocomms/internal/testserver"
)

func TestRoomTagsAreAddedListedAndRemovedAsMTag(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := testserver.Start(t, testserver.Config(t, b))
		alice := srv.NewUser(t, "alice")
		const room = "!room:test.ocomms.local"
		tags := v3 + "/user/" + esc(alice.UserID) + "/rooms/" + esc(room) + "/tags"
		tag := func(name string) string { return tags + "/" + esc(name) }
		list := func() map[string]any {
			t.Helper()
			got, _ := alice.MustDo(t, http.MethodGet, tags, nil, http.StatusOK)["tags"].(map[string]any)
			return got
		}

		if got := list(); len(got) != 0 {
			t.Fatalf("tags of an untagged room = %v", got)
		}
		alice.MustDo(t, http.MethodPut, tag("m.favourite"), map[string]any{"order": 0.25}, http.StatusOK)
		alice.MustDo(t, http.MethodPut, tag("u.Work"), map[string]any{}, http.StatusOK)
		alice.MustDo(t, http.MethodPut, "/_matrix/client/r0/user/"+esc(alice.UserID)+"/rooms/"+esc(room)+"/tags/u.Later", map[string]any{"order": 1}, http.StatusOK)
		alice.MustDo(t, http.MethodPut, tag("m.favourite"), map[string]any{"order": 0.5}, http.StatusOK)
		want := map[string]any{
			"m.favourite": map[string]any{"order": 0.5},
			"u.Work":      map[string]any{},
			"u.Later":     map[string]any{"order": float64(1)},
		}
		if got := list(); !reflect.DeepEqual(got, want) {
			t.Errorf("tags = %v, want %v", got, want)
		}
		// The tags are the room's m.tag account data.
		mtag := alice.MustDo(t, http.MethodGet, roomPath("v3", alice.UserID, room, "m.tag"), nil, http.StatusOK)
		if !reflect.DeepEqual(mtag, map[string]any{"tags": want}) {
			t.Errorf("m.tag = %v", mtag)
		}

		alice.MustDo(t, http.MethodDelete, tag("u.Work"), nil, http.StatusOK)
		alice.MustDo(t, http.MethodDelete, tag("u.Never"), nil, http.StatusOK)
		delete(want, "u.Work")
		if got := list(); !reflect.DeepEqual(got, want) {
			t.Errorf("tags after delete = %v, want %v", got, want)
		}

		for _, bad := range []struct {
			name string
			path string
			body any
			code string
		}{
			{"order above 1", tag("u.x"), map[string]any{"order": 1.5}, "M_BAD_JSON"},
			{"order below 0", tag("u.x"), map[string]any{"order": -0.1}, "M_BAD_JSON"},
			{"order as a string", tag("u.x"), map[string]any{"order": "0.5"}, "M_BAD_JSON"},
			{"order null", tag("u.x"), map[string]any{"order": nil}, "M_BAD_JSON"},
			{"a tag body that is not an object", tag("u.x"), "[]", "M_BAD_JSON"},
			{"a tag body that is not JSON", tag("u.x"), "{", "M_NOT_JSON"},
			{"a tag name over 255 bytes", tag("u." + strings.Repeat("x", 254)), map[string]any{}, "M_INVALID_PARAM"},
			{"a room ID that is not one", v3 + "/user/" + esc(alice.UserID) + "/rooms/nope/tags/u.x", map[string]any{}, "M_INVALID_PARAM"},
		} {
			t.Run(bad.name, func(t *testing.T) {
				wantError(t, alice.Do(t, http.MethodPut, bad.path, bad.body), http.StatusBadRequest, bad.code)
			})
		}
		if got := list(); !reflect.DeepEqual(got, want) {
			t.Errorf("refused tags changed the tags: %v", got)
		}
	})
}

func TestConcurrentTagChangesAreAllKept(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := testserver.Start(t, testserver.Config(t, b))
		alice := srv.NewUser(t, "alice")
		tags := v3 + "/user/" + esc(alice.UserID) + "/rooms/" + esc("!room:test.ocomms.local") + "/tags"
		const n = 5
		statuses := make(chan int, n)
		for i := range n {
			go func() {
				statuses <- alice.Do(t, http.MethodPut, tags+"/u.tag"+strconv.Itoa(i), map[string]any{}).Status
			}()
		}
		for range n {
			if s := <-statuses; s != http.StatusOK {
				t.Errorf("concurrent tag PUT answered %d", s)
			}
		}
		got, _ := alice.MustDo(t, http.MethodGet, tags, nil, http.StatusOK)["tags"].(map[string]any)
		if len(got) != n {
			t.Errorf("tags after %d concurrent PUTs = %v", n, got)
		}
	})
}
