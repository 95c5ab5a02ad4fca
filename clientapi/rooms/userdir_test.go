package rooms_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/ocomms/ocomms/internal/testserver"
)

const directoryPath = v3 + "/user_directory/search"

type directoryResult struct {
	Results []struct {
		UserID      string `json:"user_id"`
		DisplayName string `json:"display_name"`
	} `json:"results"`
	Limited bool `json:"limited"`
}

func (d directoryResult) userIDs() []string {
	ids := []string{}
	for _, r := range d.Results {
		ids = append(ids, r.UserID)
	}
	return ids
}

func searchDirectory(t *testing.T, c *testserver.Client, body map[string]any) directoryResult {
	t.Helper()
	resp := c.Do(t, http.MethodPost, directoryPath, body)
	if resp.Status != http.StatusOK {
		t.Fatalf("user directory search %v: %d %s", body, resp.Status, resp.Body)
	}
	var d directoryResult
	resp.JSON(t, &d)
	return d
}

// searchUntil repeats a search until its user IDs are want: the directory
// is filled from the roomserver's output stream, a moment after the change.
func searchUntil(t *testing.T, c *testserver.Client, term string, want ...string) directoryResult {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		d := searchDirectory(t, c, map[string]any{"search_term": term})
		if slices.Equal(d.userIDs(), want) {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("search %q finds %v, want %v", term, d.userIDs(), want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestUserDirectoryFindsUsersWhoShareARoomOrAreInPublicRooms(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice, bob, carol, dave := srv.NewUser(t, "alice"), srv.NewUser(t, "bob"), srv.NewUser(t, "carol"), srv.NewUser(t, "dave")
		bob.MustDo(t, http.MethodPut, v3+"/profile/"+esc(bob.UserID)+"/displayname", map[string]any{"displayname": "Bobby Tables"}, http.StatusOK)
		shared := createRoom(t, alice, map[string]any{"preset": "private_chat"})
		invite(t, alice, shared, bob.UserID)
		join(t, bob, shared)
		public := createRoom(t, carol, map[string]any{"preset": "public_chat"})
		createRoom(t, dave, map[string]any{"preset": "private_chat"})

		t.Run("a user sharing a room, by user ID", func(t *testing.T) {
			searchUntil(t, alice, "bob", bob.UserID)
		})
		t.Run("by display name, ignoring case", func(t *testing.T) {
			d := searchUntil(t, alice, "TABLES", bob.UserID)
			if d.Results[0].DisplayName != "Bobby Tables" {
				t.Errorf("display name %q", d.Results[0].DisplayName)
			}
		})
		t.Run("a user in a public room", func(t *testing.T) {
			searchUntil(t, alice, "carol", carol.UserID)
		})
		t.Run("a user in private rooms only is not found", func(t *testing.T) {
			searchUntil(t, alice, "dave")
		})
		t.Run("LIKE wildcards in the term match literally", func(t *testing.T) {
			searchUntil(t, alice, "%")
			searchUntil(t, alice, "_")
		})
		t.Run("limit and limited", func(t *testing.T) {
			searchUntil(t, alice, ":test.ocomms.local", alice.UserID, bob.UserID, carol.UserID)
			d := searchDirectory(t, alice, map[string]any{"search_term": ":test.ocomms.local", "limit": 2})
			if len(d.Results) != 2 || !d.Limited {
				t.Errorf("limit 2: %v, limited %v", d.userIDs(), d.Limited)
			}
			d = searchDirectory(t, alice, map[string]any{"search_term": ":test.ocomms.local", "limit": 3})
			if len(d.Results) != 3 || d.Limited {
				t.Errorf("limit 3: %v, limited %v", d.userIDs(), d.Limited)
			}
		})
		t.Run("a room that stops being public hides its members", func(t *testing.T) {
			carol.MustDo(t, http.MethodPut, v3+"/rooms/"+esc(public)+"/state/m.room.join_rules/", map[string]any{"join_rule": "invite"}, http.StatusOK)
			searchUntil(t, alice, "carol")
		})
		t.Run("a user who leaves the shared room is not found", func(t *testing.T) {
			bob.MustDo(t, http.MethodPost, v3+"/rooms/"+esc(shared)+"/leave", map[string]any{}, http.StatusOK)
			searchUntil(t, alice, "bob")
		})
		t.Run("bad requests", func(t *testing.T) {
			wantError(t, alice.Do(t, http.MethodPost, directoryPath, map[string]any{}), http.StatusBadRequest, "M_MISSING_PARAM")
			wantError(t, alice.Do(t, http.MethodPost, directoryPath, map[string]any{"search_term": "a", "limit": -1}), http.StatusBadRequest, "M_INVALID_PARAM")
			wantError(t, alice.Do(t, http.MethodPost, directoryPath, map[string]any{"search_term": 5}), http.StatusBadRequest, "M_BAD_JSON")
			wantError(t, srv.Anonymous().Do(t, http.MethodPost, directoryPath, map[string]any{"search_term": "a"}), http.StatusUnauthorized, "M_MISSING_TOKEN")
		})
	})
}

func TestDeactivatedUsersLeaveTheUserDirectory(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice, bob := srv.NewUser(t, "alice"), srv.NewUser(t, "bob")
		createRoom(t, bob, map[string]any{"preset": "public_chat"})
		searchUntil(t, alice, "bob", bob.UserID)
		if resp := deactivate(t, bob, "bob", "password-bob", false); resp.Status != http.StatusOK {
			t.Fatalf("deactivate: %d %s", resp.Status, resp.Body)
		}
		if d := searchDirectory(t, alice, map[string]any{"search_term": "bob"}); len(d.Results) != 0 {
			t.Fatalf("deactivated bob is still found: %v", d.userIDs())
		}
	})
}
