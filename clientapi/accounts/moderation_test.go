package accounts_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/ocomms/ocomms/internal/config"
	"github.com/ocomms/ocomms/internal/testserver"
)

const v1 = "/_matrix/client/v1"

func TestAdminModerationEndpointsAnswerTheSpecErrors(t *testing.T) {
	start(t, nil, func(t *testing.T, srv *testserver.Server, cfg config.Config) {
		admin := srv.NewAdmin(t, "boss")
		other := srv.NewAdmin(t, "boss2")
		alice := srv.NewUser(t, "alice")
		local := func(l string) string { return "@" + l + ":" + cfg.ServerName }
		for _, kind := range []string{"lock", "suspend"} {
			flag := map[string]string{"lock": "locked", "suspend": "suspended"}[kind]
			path := func(userID string) string { return v1 + "/admin/" + kind + "/" + url.PathEscape(userID) }
			cases := []struct {
				name   string
				caller *testserver.Client
				method string
				target string
				body   any
				status int
				code   string
			}{
				{"a non-admin is refused before any lookup", alice, http.MethodGet, local("nobody"), nil, 403, "M_FORBIDDEN"},
				{"a non-admin cannot change flags", alice, http.MethodPut, alice.UserID, map[string]any{flag: true}, 403, "M_FORBIDDEN"},
				{"a remote user is an invalid parameter", admin, http.MethodGet, "@bob:elsewhere.example", nil, 400, "M_INVALID_PARAM"},
				{"a malformed user ID is an invalid parameter", admin, http.MethodGet, "not-a-user", nil, 400, "M_INVALID_PARAM"},
				{"an unknown user is not found", admin, http.MethodGet, local("nobody"), nil, 404, "M_NOT_FOUND"},
				{"another admin cannot be looked up", admin, http.MethodGet, other.UserID, nil, 403, "M_FORBIDDEN"},
				{"another admin cannot be changed", admin, http.MethodPut, other.UserID, map[string]any{flag: true}, 403, "M_FORBIDDEN"},
				{"an admin cannot change their own account", admin, http.MethodPut, admin.UserID, map[string]any{flag: true}, 403, "M_FORBIDDEN"},
				{"the flag is required", admin, http.MethodPut, alice.UserID, map[string]any{}, 400, "M_MISSING_PARAM"},
				{"the flag is a boolean", admin, http.MethodPut, alice.UserID, map[string]any{flag: "yes"}, 400, "M_BAD_JSON"},
			}
			for _, c := range cases {
				t.Run(kind+"/"+c.name, func(t *testing.T) {
					wantError(t, c.caller.Do(t, c.method, path(c.target), c.body), c.status, c.code)
				})
			}
			t.Run(kind+"/an admin sets and reads the flag", func(t *testing.T) {
				if got := admin.MustDo(t, http.MethodGet, path(alice.UserID), nil, 200)[flag]; got != false {
					t.Fatalf("%s before = %v, want false", flag, got)
				}
				if got := admin.MustDo(t, http.MethodPut, path(alice.UserID), map[string]any{flag: true}, 200)[flag]; got != true {
					t.Fatalf("PUT answered %s = %v", flag, got)
				}
				if got := admin.MustDo(t, http.MethodGet, path(alice.UserID), nil, 200)[flag]; got != true {
					t.Fatalf("%s after = %v, want true", flag, got)
				}
				admin.MustDo(t, http.MethodPut, path(alice.UserID), map[string]any{flag: false}, 200)
				// An admin may read, not change, their own flags.
				if got := admin.MustDo(t, http.MethodGet, path(admin.UserID), nil, 200)[flag]; got != false {
					t.Fatalf("own %s = %v, want false", flag, got)
				}
			})
		}
	})
}

func TestAccountModerationCapabilityIsOnlyForAdmins(t *testing.T) {
	start(t, nil, func(t *testing.T, srv *testserver.Server, _ config.Config) {
		admin := srv.NewAdmin(t, "boss")
		alice := srv.NewUser(t, "alice")
		caps := func(c *testserver.Client) map[string]any {
			return c.MustDo(t, http.MethodGet, v3+"/capabilities", nil, 200)["capabilities"].(map[string]any)
		}
		got, _ := caps(admin)["m.account_moderation"].(map[string]any)
		if got["suspend"] != true || got["lock"] != true {
			t.Fatalf("admin m.account_moderation = %v, want suspend and lock true", got)
		}
		if got, ok := caps(alice)["m.account_moderation"]; ok {
			t.Fatalf("non-admin got m.account_moderation %v; the spec wants it omitted", got)
		}
	})
}

func TestLockedAccountIsRefusedEverywhereButLogout(t *testing.T) {
	start(t, nil, func(t *testing.T, srv *testserver.Server, _ config.Config) {
		admin := srv.NewAdmin(t, "boss")
		alice := srv.NewUser(t, "alice")
		second := login(t, srv, "alice", "password-alice", nil)
		lock := func(on bool) {
			admin.MustDo(t, http.MethodPut, v1+"/admin/lock/"+alice.UserID, map[string]any{"locked": on}, 200)
		}
		lock(true)
		for _, path := range []string{v3 + "/account/whoami", v3 + "/sync?timeout=0", v3 + "/capabilities"} {
			resp := alice.Do(t, http.MethodGet, path, nil)
			wantError(t, resp, http.StatusUnauthorized, "M_USER_LOCKED")
			if resp.Map(t)["soft_logout"] != true {
				t.Fatalf("%s: soft_logout not true: %s", path, resp.Body)
			}
		}
		// No new access token while locked.
		resp := srv.Anonymous().Do(t, http.MethodPost, v3+"/login", map[string]any{
			"type": "m.login.password", "identifier": map[string]any{"type": "m.id.user", "user": "alice"}, "password": "password-alice",
		})
		wantError(t, resp, http.StatusUnauthorized, "M_USER_LOCKED")
		// Logout still works, and ends only that session.
		second.MustDo(t, http.MethodPost, v3+"/logout", map[string]any{}, 200)
		lock(false)
		// The other session survived the lock.
		if got := alice.MustDo(t, http.MethodGet, v3+"/account/whoami", nil, 200)["user_id"]; got != alice.UserID {
			t.Fatalf("whoami after unlock = %v", got)
		}
		wantError(t, second.Do(t, http.MethodGet, v3+"/account/whoami", nil), http.StatusUnauthorized, "M_UNKNOWN_TOKEN")
		lock(true)
		alice.MustDo(t, http.MethodPost, v3+"/logout/all", map[string]any{}, 200)
	})
}

func TestSuspendedAccountCanReadAndLeaveButNotWrite(t *testing.T) {
	start(t, nil, func(t *testing.T, srv *testserver.Server, _ config.Config) {
		admin := srv.NewAdmin(t, "boss")
		alice := srv.NewUser(t, "alice")
		bob := srv.NewUser(t, "bob")
		own, _ := alice.MustDo(t, http.MethodPost, v3+"/createRoom", map[string]any{}, 200)["room_id"].(string)
		var mine []string
		for _, txn := range []string{"m1", "m2"} {
			id, _ := alice.MustDo(t, http.MethodPut, v3+"/rooms/"+url.PathEscape(own)+"/send/m.room.message/"+txn,
				map[string]any{"msgtype": "m.text", "body": "oops"}, 200)["event_id"].(string)
			mine = append(mine, id)
		}
		public, _ := bob.MustDo(t, http.MethodPost, v3+"/createRoom", map[string]any{"preset": "public_chat"}, 200)["room_id"].(string)
		invited, _ := bob.MustDo(t, http.MethodPost, v3+"/createRoom", map[string]any{"invite": []string{alice.UserID}}, 200)["room_id"].(string)
		admin.MustDo(t, http.MethodPut, v1+"/admin/suspend/"+alice.UserID, map[string]any{"suspended": true}, 200)

		room := v3 + "/rooms/" + url.PathEscape(own)
		forbidden := []struct {
			method, path string
			body         any
		}{
			{http.MethodPost, v3 + "/createRoom", map[string]any{}},
			{http.MethodPut, room + "/send/m.room.message/t1", map[string]any{"msgtype": "m.text", "body": "hi"}},
			{http.MethodPut, room + "/state/m.room.topic", map[string]any{"topic": "x"}},
			{http.MethodPut, room + "/state/m.room.topic/", map[string]any{"topic": "x"}},
			{http.MethodPost, room + "/invite", map[string]any{"user_id": bob.UserID}},
			{http.MethodPost, v3 + "/join/" + url.PathEscape(public), map[string]any{}},
			{http.MethodPost, v3 + "/rooms/" + url.PathEscape(public) + "/join", map[string]any{}},
			{http.MethodPost, v3 + "/rooms/" + url.PathEscape(invited) + "/join", map[string]any{}},
			{http.MethodPost, v3 + "/knock/" + url.PathEscape(public), map[string]any{}},
			{http.MethodPut, v3 + "/profile/" + alice.UserID + "/displayname", map[string]any{"displayname": "A"}},
			{http.MethodDelete, v3 + "/profile/" + alice.UserID + "/avatar_url", nil},
		}
		for _, f := range forbidden {
			t.Run(f.method+" "+f.path, func(t *testing.T) {
				wantError(t, alice.Do(t, f.method, f.path, f.body), http.StatusForbidden, "M_USER_SUSPENDED")
			})
		}
		// Reading, redacting one's own events (through /redact or
		// /send), rejecting an invite and leaving stay open.
		alice.MustDo(t, http.MethodPut, room+"/redact/"+url.PathEscape(mine[0])+"/r1", map[string]any{}, 200)
		alice.MustDo(t, http.MethodPut, room+"/send/m.room.redaction/r2", map[string]any{"redacts": mine[1]}, 200)
		alice.MustDo(t, http.MethodGet, v3+"/sync?timeout=0", nil, 200)
		if resp := alice.Do(t, http.MethodGet, room+"/state", nil); resp.Status != 200 {
			t.Fatalf("reading state while suspended: %d %s", resp.Status, resp.Body)
		}
		alice.MustDo(t, http.MethodGet, v3+"/profile/"+alice.UserID, nil, 200)
		alice.MustDo(t, http.MethodPost, v3+"/rooms/"+url.PathEscape(invited)+"/leave", map[string]any{}, 200)
		alice.MustDo(t, http.MethodPost, room+"/leave", map[string]any{}, 200)

		admin.MustDo(t, http.MethodPut, v1+"/admin/suspend/"+alice.UserID, map[string]any{"suspended": false}, 200)
		alice.MustDo(t, http.MethodPost, v3+"/join/"+url.PathEscape(public), map[string]any{}, 200)
	})
}
