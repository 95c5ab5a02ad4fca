package rooms_test

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/ocomms/ocomms/internal/testserver"
)

func TestReportingContent(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice := srv.NewUser(t, "alice")
		bob := srv.NewUser(t, "bob")
		carol := srv.NewUser(t, "carol")
		roomID := createRoom(t, alice, map[string]any{"preset": "public_chat"})
		join(t, bob, roomID)
		eventID := sendMessage(t, alice, roomID, "r1", "rude")
		room := v3 + "/rooms/" + esc(roomID)

		bob.MustDo(t, http.MethodPost, room+"/report/"+esc(eventID), map[string]any{"reason": "rude"}, http.StatusOK)
		t.Run("score, removed in v1.18, is accepted and ignored", func(t *testing.T) {
			for _, score := range []any{-100, "very bad"} {
				bob.MustDo(t, http.MethodPost, room+"/report/"+esc(eventID), map[string]any{"reason": "rude", "score": score}, http.StatusOK)
			}
		})
		carol.MustDo(t, http.MethodPost, room+"/report", map[string]any{"reason": "whole room is rude"}, http.StatusOK)

		t.Run("admins read and delete the reports", func(t *testing.T) {
			admin := srv.NewAdmin(t, "admin")
			events := admin.MustDo(t, http.MethodGet, "/_synapse/admin/v1/event_reports", nil, http.StatusOK)
			list, _ := events["event_reports"].([]any)
			if len(list) != 3 || events["total"] != float64(3) {
				t.Fatalf("event reports %v", events)
			}
			first := list[0].(map[string]any)
			if first["event_id"] != eventID || first["user_id"] != bob.UserID || first["reason"] != "rude" || first["room_id"] != roomID {
				t.Errorf("event report %v", first)
			}
			rooms := admin.MustDo(t, http.MethodGet, "/_synapse/admin/v1/room_reports?room_id="+esc(roomID), nil, http.StatusOK)
			roomReports, _ := rooms["room_reports"].([]any)
			if len(roomReports) != 1 || roomReports[0].(map[string]any)["user_id"] != carol.UserID {
				t.Errorf("room reports %v", rooms)
			}
			id := int64(first["id"].(float64))
			path := "/_synapse/admin/v1/event_reports/" + strconv.FormatInt(id, 10)
			admin.MustDo(t, http.MethodGet, path, nil, http.StatusOK)
			wantError(t, bob.Do(t, http.MethodGet, path, nil), 403, "M_FORBIDDEN")
			admin.MustDo(t, http.MethodDelete, path, nil, http.StatusOK)
			wantError(t, admin.Do(t, http.MethodGet, path, nil), 404, "M_NOT_FOUND")

			roomReport := roomReports[0].(map[string]any)
			roomReportID := strconv.FormatInt(int64(roomReport["id"].(float64)), 10)
			roomPath := "/_synapse/admin/v1/room_reports/" + roomReportID
			got := admin.MustDo(t, http.MethodGet, roomPath, nil, http.StatusOK)
			if got["user_id"] != carol.UserID || got["room_id"] != roomID || got["reason"] != "whole room is rude" || got["event_id"] != nil {
				t.Errorf("room report %v", got)
			}
			for _, method := range []string{http.MethodGet, http.MethodDelete} {
				wantError(t, carol.Do(t, method, roomPath, nil), 403, "M_FORBIDDEN")
				wantError(t, srv.Anonymous().Do(t, method, roomPath, nil), 401, "M_MISSING_TOKEN")
				// Room reports and event reports are separate lists.
				wantError(t, admin.Do(t, method, "/_synapse/admin/v1/event_reports/"+roomReportID, nil), 404, "M_NOT_FOUND")
				wantError(t, admin.Do(t, method, "/_synapse/admin/v1/room_reports/999999", nil), 404, "M_NOT_FOUND")
				wantError(t, admin.Do(t, method, "/_synapse/admin/v1/room_reports/zero", nil), 400, "M_INVALID_PARAM")
			}
			admin.MustDo(t, http.MethodDelete, roomPath, nil, http.StatusOK)
			wantError(t, admin.Do(t, http.MethodGet, roomPath, nil), 404, "M_NOT_FOUND")
			wantError(t, admin.Do(t, http.MethodDelete, roomPath, nil), 404, "M_NOT_FOUND")
			if left := admin.MustDo(t, http.MethodGet, "/_synapse/admin/v1/room_reports", nil, http.StatusOK); left["total"] != float64(0) {
				t.Errorf("room reports after the delete: %v", left)
			}
		})

		tests := []struct {
			name   string
			client *testserver.Client
			path   string
			body   any
			status int
			code   string
		}{
			{"an event of a room one is not in is M_NOT_FOUND", carol, room + "/report/" + esc(eventID), map[string]any{"reason": "x"}, 404, "M_NOT_FOUND"},
			{"an unknown event is M_NOT_FOUND", bob, room + "/report/" + esc("$unknown"), map[string]any{"reason": "x"}, 404, "M_NOT_FOUND"},
			{"an unknown room is M_NOT_FOUND", bob, v3 + "/rooms/" + esc("!nowhere:test.ocomms.local") + "/report", map[string]any{"reason": "x"}, 404, "M_NOT_FOUND"},
			{"a room report without a reason is M_MISSING_PARAM", bob, room + "/report", map[string]any{}, 400, "M_MISSING_PARAM"},
			{"a numeric reason is M_BAD_JSON", bob, room + "/report/" + esc(eventID), map[string]any{"reason": 1}, 400, "M_BAD_JSON"},
			{"a report without a token is M_MISSING_TOKEN", srv.Anonymous(), room + "/report", map[string]any{"reason": "x"}, 401, "M_MISSING_TOKEN"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				wantError(t, tt.client.Do(t, http.MethodPost, tt.path, tt.body), tt.status, tt.code)
			})
		}
	})
}
