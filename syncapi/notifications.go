package syncapi

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"

	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/spec/errcode"
)

// Limits of GET /notifications.
const (
	defaultNotificationsLimit = 20
	maxNotificationsLimit     = 1000
)

func (s *SyncAPI) registerNotifications(routes httpapi.Routes) {
	httpapi.HandleClient(routes.Client, http.MethodGet, "/notifications",
		httpapi.Authenticated(s.authn, s.handleNotifications), httpapi.ClientR0V3)
}

type notificationsResponse struct {
	NextToken     string              `json:"next_token,omitempty"`
	Notifications []notificationEntry `json:"notifications"`
}

type notificationEntry struct {
	Actions json.RawMessage `json:"actions"`
	Event   json.RawMessage `json:"event"`
	Read    bool            `json:"read"`
	RoomID  string          `json:"room_id"`
	TS      int64           `json:"ts"`
}

// handleNotifications lists the events that notified the user, newest
// first, paginated by room stream position (the next_token is the
// position of the last one returned).
// https://spec.matrix.org/latest/client-server-api/#get_matrixclientv3notifications
func (s *SyncAPI) handleNotifications(r *http.Request, device *httpapi.Device) (any, error) {
	q := r.URL.Query()
	before := int64(math.MaxInt64)
	if v := q.Get("from"); v != "" {
		p, err := strconv.ParseInt(v, 10, 64)
		if err != nil || p < 0 {
			return nil, errcode.InvalidParam("from is not a token of /notifications")
		}
		before = p
	}
	limit := defaultNotificationsLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, errcode.InvalidParam("limit must be a non-negative integer")
		}
		limit = min(max(n, 1), maxNotificationsLimit)
	}
	var only string
	switch v := q.Get("only"); v {
	case "":
	case "highlight":
		only = ` AND n.highlight`
	default:
		// Synapse reads any other value as no filter; so do we, since the
		// spec names highlight as the one filter.
	}
	ctx := r.Context()
	rows, err := s.db.Query(ctx, `SELECT n.stream_pos, n.room_id, n.thread_id, n.actions, n.ts, e.event_id FROM syncapi_notifications n
		JOIN syncapi_events e ON e.stream_pos = n.stream_pos
		WHERE n.user_id = $1 AND n.stream_pos < $2`+only+` ORDER BY n.stream_pos DESC LIMIT $3`,
		device.UserID, before, limit+1)
	if err != nil {
		return nil, fmt.Errorf("listing notifications: %w", err)
	}
	type row struct {
		pos                  int64
		roomID, thread, evID string
		actions              string
		ts                   int64
	}
	var found []row
	for rows.Next() {
		var rw row
		if err := rows.Scan(&rw.pos, &rw.roomID, &rw.thread, &rw.actions, &rw.ts, &rw.evID); err != nil {
			rows.Close()
			return nil, fmt.Errorf("listing notifications: %w", err)
		}
		found = append(found, rw)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing notifications: %w", err)
	}
	resp := notificationsResponse{Notifications: []notificationEntry{}}
	if len(found) > limit {
		found = found[:limit]
		resp.NextToken = strconv.FormatInt(found[limit-1].pos, 10)
	}
	ids := make([]string, len(found))
	for i, rw := range found {
		ids[i] = rw.evID
	}
	evs, err := s.eventsByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]*eventRow, len(evs))
	for _, e := range evs {
		byID[e.eventID] = e
	}
	horizons := map[string]map[string]int64{}
	f := newFormatter(device.UserID, device.DeviceID, nil)
	for _, rw := range found {
		e := byID[rw.evID]
		if e == nil {
			continue
		}
		h, ok := horizons[rw.roomID]
		if !ok {
			if h, err = s.readHorizons(ctx, device.UserID, rw.roomID, math.MaxInt64); err != nil {
				return nil, err
			}
			horizons[rw.roomID] = h
		}
		resp.Notifications = append(resp.Notifications, notificationEntry{
			Actions: json.RawMessage(rw.actions), Event: f.event(e), RoomID: rw.roomID, TS: rw.ts,
			Read: rw.pos <= max(h[""], h[rw.thread]),
		})
	}
	return resp, nil
}
