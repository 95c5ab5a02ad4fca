package syncapi_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/ocomms/ocomms/internal/config"
	"github.com/ocomms/ocomms/internal/testserver"
)

func presencePath(userID string) string { return v3 + "/presence/" + esc(userID) + "/status" }

func setPresence(t *testing.T, c *testserver.Client, presence, statusMsg string) {
	t.Helper()
	body := map[string]any{"presence": presence}
	if statusMsg != "" {
		body["status_msg"] = statusMsg
	}
	c.MustDo(t, http.MethodPut, presencePath(c.UserID), body, http.StatusOK)
}

// presenceOf returns the content of the response's m.presence event of
// userID, or nil.
func (s ephemeralSync) presenceOf(userID string) map[string]any {
	var out map[string]any
	for _, e := range s.Presence.Events {
		if e.Type == "m.presence" && e.Sender == userID {
			out = e.Content
		}
	}
	return out
}

// waitPresence syncs c from token (without changing c's own presence)
// until userID's presence is want, and returns the next token.
func waitPresence(t *testing.T, c *testserver.Client, token, userID, want string) string {
	t.Helper()
	return syncEphemeralUntil(t, c, token, "the presence of "+userID+" becomes "+want, func(s ephemeralSync) bool {
		p := s.presenceOf(userID)
		return p != nil && p["presence"] == want
	}).NextBatch
}

// quietSync is an initial sync that leaves the user's presence alone.
func quietSync(t *testing.T, c *testserver.Client, query url.Values) ephemeralSync {
	t.Helper()
	if query == nil {
		query = url.Values{}
	}
	query.Set("set_presence", "offline")
	return syncEphemeral(t, c, query)
}

// startPresence starts a server with presence on, changed by change.
func startPresence(t *testing.T, b testserver.Backend, change func(*config.Config)) *testserver.Server {
	t.Helper()
	cfg := testserver.Config(t, b)
	withPresence(&cfg)
	change(&cfg)
	return testserver.Start(t, cfg)
}

func withPresence(c *config.Config) { c.Presence.Enabled = true }

func TestPresenceIsSetByItsUserAndReadBySharedRoomMembers(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := startPresence(t, b, withPresence)
		alice, bob, eve := srv.NewUser(t, "alice"), srv.NewUser(t, "bob"), srv.NewUser(t, "eve")
		sharedRoom(t, alice, bob)
		setPresence(t, alice, "online", "at my desk")

		for _, c := range []*testserver.Client{alice, bob} {
			got := c.MustDo(t, http.MethodGet, presencePath(alice.UserID), nil, http.StatusOK)
			if got["presence"] != "online" || got["status_msg"] != "at my desk" || got["currently_active"] != true {
				t.Errorf("GET by %s = %v, want online, at my desk, currently active", c.UserID, got)
			}
			if _, ok := got["last_active_ago"].(float64); !ok {
				t.Errorf("GET by %s has no last_active_ago: %v", c.UserID, got)
			}
		}
		// Unavailable without a status message clears it.
		setPresence(t, alice, "unavailable", "")
		got := bob.MustDo(t, http.MethodGet, presencePath(alice.UserID), nil, http.StatusOK)
		if got["presence"] != "unavailable" || got["status_msg"] != nil || got["currently_active"] != false {
			t.Errorf("GET after unavailable = %v", got)
		}
		// Someone who never set presence is offline.
		if got := alice.MustDo(t, http.MethodGet, presencePath(bob.UserID), nil, http.StatusOK); got["presence"] != "offline" {
			t.Errorf("GET of a user without presence = %v, want offline", got)
		}

		tests := []struct {
			name   string
			c      *testserver.Client
			method string
			path   string
			body   any
			status int
			code   string
		}{
			{"reading someone sharing no room", eve, http.MethodGet, presencePath(alice.UserID), nil, http.StatusForbidden, "M_FORBIDDEN"},
			{"reading an unknown user", alice, http.MethodGet, presencePath("@nobody:test.ocomms.local"), nil, http.StatusNotFound, "M_NOT_FOUND"},
			{"reading a malformed user ID", alice, http.MethodGet, presencePath("alice"), nil, http.StatusBadRequest, "M_INVALID_PARAM"},
			{"setting someone else's", bob, http.MethodPut, presencePath(alice.UserID), map[string]any{"presence": "online"}, http.StatusForbidden, "M_FORBIDDEN"},
			{"an unknown state", alice, http.MethodPut, presencePath(alice.UserID), map[string]any{"presence": "busy"}, http.StatusBadRequest, "M_INVALID_PARAM"},
			{"no state", alice, http.MethodPut, presencePath(alice.UserID), map[string]any{"status_msg": "hi"}, http.StatusBadRequest, "M_MISSING_PARAM"},
			{"a status message that is not a string", alice, http.MethodPut, presencePath(alice.UserID), map[string]any{"presence": "online", "status_msg": 5}, http.StatusBadRequest, "M_BAD_JSON"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				wantError(t, tc.c.Do(t, tc.method, tc.path, tc.body), tc.status, tc.code)
			})
		}
	})
}

func TestPresenceSyncsToSharedRoomMembersOnly(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := startPresence(t, b, withPresence)
		alice, bob, eve := srv.NewUser(t, "alice"), srv.NewUser(t, "bob"), srv.NewUser(t, "eve")
		shared := sharedRoom(t, alice, bob)
		createRoom(t, eve, nil)
		bobToken := settled(t, bob, shared)
		aliceToken := quietSync(t, alice, nil).NextBatch

		// A parked sync wakes for the change.
		got := parkedSync(t, bob, bobToken)
		setPresence(t, alice, "unavailable", "lunch")
		if p := woken(t, got, "a presence change").presenceOf(alice.UserID); p == nil || p["presence"] != "unavailable" {
			t.Errorf("the woken sync's presence of alice = %v, want unavailable", p)
		}
		// The user sees their own presence too.
		waitPresence(t, alice, aliceToken, alice.UserID, "unavailable")

		initial := quietSync(t, bob, nil)
		if p := initial.presenceOf(alice.UserID); p == nil || p["presence"] != "unavailable" || p["status_msg"] != "lunch" {
			t.Errorf("bob's initial sync presence of alice = %v", p)
		}
		if p := quietSync(t, eve, nil).presenceOf(alice.UserID); p != nil {
			t.Errorf("eve, sharing no room with alice, saw her presence: %v", p)
		}
		filtered := quietSync(t, bob, url.Values{"filter": {`{"presence":{"not_senders":["` + alice.UserID + `"]}}`}})
		if p := filtered.presenceOf(alice.UserID); p != nil {
			t.Errorf("the presence filter's not_senders let alice through: %v", p)
		}
		filtered = quietSync(t, bob, url.Values{"filter": {`{"presence":{"types":[]}}`}})
		if len(filtered.Presence.Events) != 0 {
			t.Errorf("a presence filter allowing no types let through %d events", len(filtered.Presence.Events))
		}

		// Joining a room shows its members' presence at once.
		eveToken := quietSync(t, eve, nil).NextBatch
		roomID := createRoom(t, alice, map[string]any{"preset": "public_chat"})
		join(t, eve, roomID)
		waitPresence(t, eve, eveToken, alice.UserID, "unavailable")
	})
}

func TestSetPresenceOnSync(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := startPresence(t, b, withPresence)
		alice, bob := srv.NewUser(t, "alice"), srv.NewUser(t, "bob")
		sharedRoom(t, alice, bob)
		token := quietSync(t, bob, nil).NextBatch

		tests := []struct {
			setPresence, want string
		}{
			{"unavailable", "unavailable"},
			{"", "online"},
			{"offline", "online"}, // offline leaves the presence alone
		}
		for _, tc := range tests {
			q := url.Values{}
			if tc.setPresence != "" {
				q.Set("set_presence", tc.setPresence)
			}
			syncEphemeral(t, alice, q)
			if tc.setPresence != "offline" {
				token = waitPresence(t, bob, token, alice.UserID, tc.want)
			}
			got := bob.MustDo(t, http.MethodGet, presencePath(alice.UserID), nil, http.StatusOK)
			if got["presence"] != tc.want {
				t.Errorf("after a sync with set_presence=%q, presence = %v, want %s", tc.setPresence, got["presence"], tc.want)
			}
		}
		wantError(t, alice.Do(t, http.MethodGet, v3+"/sync?set_presence=busy", nil), http.StatusBadRequest, "M_INVALID_PARAM")
	})
}

func TestPresenceTurnsOfflineOnlyAfterSyncsStop(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		const offlineAfter = time.Second
		srv := startPresence(t, b, func(c *config.Config) { c.Presence.OfflineAfter = offlineAfter })
		alice, bob := srv.NewUser(t, "alice"), srv.NewUser(t, "bob")
		sharedRoom(t, alice, bob)
		token := quietSync(t, bob, nil).NextBatch
		syncEphemeral(t, alice, nil)
		token = waitPresence(t, bob, token, alice.UserID, "online")

		// Syncing more often than offline_after keeps her online well
		// past it.
		for until := time.Now().Add(3 * offlineAfter); time.Now().Before(until); {
			syncEphemeral(t, alice, since("", 0))
			q := since(token, 200*time.Millisecond)
			q.Set("set_presence", "offline")
			s := syncEphemeral(t, bob, q)
			if p := s.presenceOf(alice.UserID); p != nil && p["presence"] != "online" {
				t.Fatalf("alice went %v while syncing", p["presence"])
			}
			token = s.NextBatch
		}
		// Once she stops, she is offline after the delay.
		waitPresence(t, bob, token, alice.UserID, "offline")
		if got := bob.MustDo(t, http.MethodGet, presencePath(alice.UserID), nil, http.StatusOK); got["presence"] != "offline" {
			t.Errorf("GET after the delay = %v, want offline", got)
		}
	})
}

func TestPresenceDisabled(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := startPresence(t, b, func(c *config.Config) { c.Presence.Enabled = false })
		alice, bob := srv.NewUser(t, "alice"), srv.NewUser(t, "bob")
		roomID := sharedRoom(t, alice, bob)
		token := sync(t, bob, nil).NextBatch

		setPresence(t, alice, "online", "here")
		got := bob.MustDo(t, http.MethodGet, presencePath(alice.UserID), nil, http.StatusOK)
		if got["presence"] != "offline" || got["status_msg"] != nil {
			t.Errorf("GET with presence disabled = %v, want offline", got)
		}
		// Something else happens so the sync returns; it carries no presence.
		send(t, alice, roomID, "t1", "hello")
		s := syncEphemeralUntil(t, bob, token, "the message arrives", func(s ephemeralSync) bool { return len(s.Rooms.Join) > 0 })
		if len(s.Presence.Events) != 0 || len(syncEphemeral(t, bob, nil).Presence.Events) != 0 {
			t.Errorf("sync with presence disabled carried presence: %+v", s.Presence.Events)
		}
	})
}

func TestPresenceOnOneInstanceReachesSyncParkedOnAnother(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		in := twoInstances(t, b, withPresence)
		bobOnB := in.onB(in.bob)
		token := settled(t, bobOnB, in.roomID)

		got := parkedSync(t, bobOnB, token)
		setPresence(t, in.alice, "online", "via A")
		if p := woken(t, got, "presence set through another instance").presenceOf(in.alice.UserID); p == nil || p["presence"] != "online" {
			t.Errorf("B's sync presence of alice = %v, want online", p)
		}
	})
}
