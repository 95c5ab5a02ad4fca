package accounts_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/ocomms/ocomms/internal/config"
	"github.com/ocomms/ocomms/internal/testserver"
)

const tokensAPI = "/_synapse/admin/v1/registration_tokens"

func requireToken(c *config.Config) { c.Registration.Enabled, c.Registration.RequireToken = true, true }

func TestRegistrationWithATokenCountsItsUses(t *testing.T) {
	start(t, requireToken, func(t *testing.T, srv *testserver.Server, _ config.Config) {
		admin := srv.NewAdmin(t, "root")
		admin.MustDo(t, http.MethodPost, tokensAPI+"/new", map[string]any{"token": "welcome", "uses_allowed": 1}, http.StatusOK)
		anon := srv.Anonymous()
		validity := func() any {
			return anon.MustDo(t, http.MethodGet, "/_matrix/client/v1/register/m.login.registration_token/validity?token=welcome", nil, http.StatusOK)["valid"]
		}
		if validity() != true {
			t.Fatal("fresh token is not valid")
		}
		body := map[string]any{"username": "newbie", "password": "pw"}
		session, res := uiaSession(t, anon, http.MethodPost, v3+"/register", body)
		if stages := res["flows"].([]any)[0].(map[string]any)["stages"].([]any); stages[0] != "m.login.registration_token" {
			t.Fatalf("flows %v", res["flows"])
		}
		body["auth"] = map[string]any{"type": "m.login.dummy", "session": session}
		res = anon.MustDo(t, http.MethodPost, v3+"/register", body, http.StatusUnauthorized)
		if res["errcode"] != "M_UNRECOGNIZED" {
			t.Errorf("a stage not offered: %v", res)
		}
		body["auth"] = map[string]any{"type": "m.login.registration_token", "token": "wrong", "session": session}
		res = anon.MustDo(t, http.MethodPost, v3+"/register", body, http.StatusUnauthorized)
		if res["errcode"] != "M_UNAUTHORIZED" || res["session"] != session {
			t.Errorf("a wrong token: %v", res)
		}

		body["auth"] = map[string]any{"type": "m.login.registration_token", "token": "welcome", "session": session}
		anon.MustDo(t, http.MethodPost, v3+"/register", body, http.StatusOK)
		tok := admin.MustDo(t, http.MethodGet, tokensAPI+"/welcome", nil, http.StatusOK)
		if tok["completed"] != float64(1) || tok["pending"] != float64(0) {
			t.Errorf("token after use %v", tok)
		}
		if validity() != false {
			t.Error("used-up token still valid")
		}
		s2, _ := uiaSession(t, anon, http.MethodPost, v3+"/register", map[string]any{"username": "other", "password": "pw"})
		res = anon.MustDo(t, http.MethodPost, v3+"/register", map[string]any{"username": "other", "password": "pw",
			"auth": map[string]any{"type": "m.login.registration_token", "token": "welcome", "session": s2}}, http.StatusUnauthorized)
		if res["errcode"] != "M_UNAUTHORIZED" {
			t.Errorf("used-up token accepted: %v", res)
		}
	})
}

func TestRegistrationTokenAdminAPI(t *testing.T) {
	start(t, requireToken, func(t *testing.T, srv *testserver.Server, _ config.Config) {
		admin := srv.NewAdmin(t, "root")
		gen := admin.MustDo(t, http.MethodPost, tokensAPI+"/new", map[string]any{"length": 20}, http.StatusOK)
		if tok, _ := gen["token"].(string); len(tok) != 20 || gen["uses_allowed"] != nil || gen["expiry_time"] != nil {
			t.Errorf("generated %v", gen)
		}
		expiry := time.Now().Add(time.Hour).UnixMilli()
		admin.MustDo(t, http.MethodPost, tokensAPI+"/new", map[string]any{"token": "abc", "expiry_time": expiry}, http.StatusOK)
		upd := admin.MustDo(t, http.MethodPut, tokensAPI+"/abc", map[string]any{"uses_allowed": 3, "expiry_time": nil}, http.StatusOK)
		if upd["uses_allowed"] != float64(3) || upd["expiry_time"] != nil {
			t.Errorf("updated %v", upd)
		}
		list := admin.MustDo(t, http.MethodGet, tokensAPI, nil, http.StatusOK)["registration_tokens"].([]any)
		if len(list) != 2 {
			t.Errorf("list %v", list)
		}
		if l := admin.MustDo(t, http.MethodGet, tokensAPI+"?valid=false", nil, http.StatusOK)["registration_tokens"].([]any); len(l) != 0 {
			t.Errorf("invalid tokens %v", l)
		}
		admin.MustDo(t, http.MethodDelete, tokensAPI+"/abc", nil, http.StatusOK)

		tests := []struct {
			name   string
			method string
			path   string
			body   any
			status int
			code   string
		}{
			{"a duplicate token", http.MethodPost, tokensAPI + "/new", map[string]any{"token": gen["token"]}, 400, "M_INVALID_PARAM"},
			{"a token with bad characters", http.MethodPost, tokensAPI + "/new", map[string]any{"token": "a b"}, 400, "M_INVALID_PARAM"},
			{"negative uses", http.MethodPost, tokensAPI + "/new", map[string]any{"uses_allowed": -1}, 400, "M_INVALID_PARAM"},
			{"an expiry in the past", http.MethodPost, tokensAPI + "/new", map[string]any{"expiry_time": 1}, 400, "M_INVALID_PARAM"},
			{"a length out of range", http.MethodPost, tokensAPI + "/new", map[string]any{"length": 65}, 400, "M_INVALID_PARAM"},
			{"a uses_allowed that is a string", http.MethodPut, tokensAPI + "/" + gen["token"].(string), map[string]any{"uses_allowed": "3"}, 400, "M_INVALID_PARAM"},
			{"getting a deleted token", http.MethodGet, tokensAPI + "/abc", nil, 404, "M_NOT_FOUND"},
			{"updating a deleted token", http.MethodPut, tokensAPI + "/abc", map[string]any{}, 404, "M_NOT_FOUND"},
			{"deleting a deleted token", http.MethodDelete, tokensAPI + "/abc", nil, 404, "M_NOT_FOUND"},
			{"a body that is not JSON", http.MethodPost, tokensAPI + "/new", "{", 400, "M_NOT_JSON"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				wantError(t, admin.Do(t, tt.method, tt.path, tt.body), tt.status, tt.code)
			})
		}
		t.Run("a user who is not an admin is forbidden", func(t *testing.T) {
			wantError(t, srv.NewUser(t, "alice").Do(t, http.MethodGet, tokensAPI, nil), 403, "M_FORBIDDEN")
		})
		t.Run("a caller without a token is unauthorized", func(t *testing.T) {
			wantError(t, srv.Anonymous().Do(t, http.MethodGet, tokensAPI, nil), 401, "M_MISSING_TOKEN")
		})
	})
}
