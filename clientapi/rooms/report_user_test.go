package rooms_test

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/ocomms/ocomms/internal/testserver"
)

func TestReportingUsers(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice := srv.NewUser(t, "alice")
		bob := srv.NewUser(t, "bob")
		admin := srv.NewAdmin(t, "admin")
		report := func(userID string) string { return v3 + "/users/" + esc(userID) + "/report" }

		// Bob shares no room with alice: reporting needs none.
		bob.MustDo(t, http.MethodPost, report(alice.UserID), map[string]any{"reason": "spam"}, http.StatusOK)
		bob.MustDo(t, http.MethodPost, report("@mallory:elsewhere.example"), map[string]any{"reason": ""}, http.StatusOK)
		// A local user who does not exist answers the same, so reports
		// cannot tell which accounts exist.
		bob.MustDo(t, http.MethodPost, report("@nobody:test.ocomms.local"), map[string]any{"reason": "x"}, http.StatusOK)

		got := admin.MustDo(t, http.MethodGet, "/_synapse/admin/v1/user_reports?dir=f", nil, http.StatusOK)
		list, _ := got["user_reports"].([]any)
		if len(list) != 2 || got["total"] != float64(2) {
			t.Fatalf("user reports %v", got)
		}
		first := list[0].(map[string]any)
		if first["reported_user_id"] != alice.UserID || first["user_id"] != bob.UserID || first["reason"] != "spam" {
			t.Errorf("user report %v", first)
		}
		if list[1].(map[string]any)["reported_user_id"] != "@mallory:elsewhere.example" {
			t.Errorf("remote user report %v", list[1])
		}
		// User reports are neither room nor event reports.
		for _, kind := range []string{"room_reports", "event_reports"} {
			if got := admin.MustDo(t, http.MethodGet, "/_synapse/admin/v1/"+kind, nil, http.StatusOK); got["total"] != float64(0) {
				t.Errorf("%s holds user reports: %v", kind, got)
			}
		}
		path := "/_synapse/admin/v1/user_reports/" + strconv.FormatInt(int64(first["id"].(float64)), 10)
		admin.MustDo(t, http.MethodGet, path, nil, http.StatusOK)
		wantError(t, admin.Do(t, http.MethodGet, "/_synapse/admin/v1/room_reports/"+strconv.FormatInt(int64(first["id"].(float64)), 10), nil), 404, "M_NOT_FOUND")
		admin.MustDo(t, http.MethodDelete, path, nil, http.StatusOK)
		wantError(t, admin.Do(t, http.MethodGet, path, nil), 404, "M_NOT_FOUND")

		tests := []struct {
			name   string
			client *testserver.Client
			path   string
			body   any
			status int
			code   string
		}{
			{"a report without a reason is M_MISSING_PARAM", bob, report(alice.UserID), map[string]any{}, 400, "M_MISSING_PARAM"},
			{"a numeric reason is M_BAD_JSON", bob, report(alice.UserID), map[string]any{"reason": 1}, 400, "M_BAD_JSON"},
			{"a malformed user ID is M_INVALID_PARAM", bob, report("alice"), map[string]any{"reason": "x"}, 400, "M_INVALID_PARAM"},
			{"a report without a token is M_MISSING_TOKEN", srv.Anonymous(), report(alice.UserID), map[string]any{"reason": "x"}, 401, "M_MISSING_TOKEN"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				wantError(t, tt.client.Do(t, http.MethodPost, tt.path, tt.body), tt.status, tt.code)
			})
		}
	})
}
