package rooms

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/gorilla/mux"

	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/spec/errcode"
)

// Bounds of a page of reports.
const (
	defaultReportsLimit = 100
	maxReportsLimit     = 1000
)

// The reports admin API is Synapse's, so moderation tools built for it
// work here: event reports at event_reports, whole-room reports at
// room_reports.
// https://element-hq.github.io/synapse/latest/admin_api/event_reports.html
func (r *Rooms) registerAdminReports(c *mux.Router) {
	for _, kind := range []struct {
		path   string
		events bool
	}{{"/_synapse/admin/v1/event_reports", true}, {"/_synapse/admin/v1/room_reports", false}} {
		c.Handle(kind.path, r.admin(r.listReports(kind.events))).Methods(http.MethodGet)
		c.Handle(kind.path+"/{reportId}", r.admin(r.getReport(kind.events))).Methods(http.MethodGet)
		c.Handle(kind.path+"/{reportId}", r.admin(r.deleteReport(kind.events))).Methods(http.MethodDelete)
	}
}

// admin wraps a handler that only server admins may call.
func (r *Rooms) admin(h httpapi.AuthedHandlerFunc) httpapi.HandlerFunc {
	return httpapi.Authenticated(r.authn, func(req *http.Request, dev *httpapi.Device) (any, error) {
		if !dev.IsAdmin {
			return nil, errcode.Forbidden("You are not a server admin")
		}
		return h(req, dev)
	})
}

// report is one stored report as the admin API shows it.
type report struct {
	ID         int64  `json:"id"`
	ReceivedTS int64  `json:"received_ts"`
	RoomID     string `json:"room_id"`
	EventID    string `json:"event_id,omitempty"`
	UserID     string `json:"user_id"`
	Reason     string `json:"reason"`
}

// reportKind selects event reports (event_id set) or room reports.
const reportKind = `(($1 AND event_id <> '') OR (NOT $1 AND event_id = ''))`

func (r *Rooms) listReports(events bool) httpapi.AuthedHandlerFunc {
	return func(req *http.Request, _ *httpapi.Device) (any, error) {
		q := req.URL.Query()
		from, err := queryInt(q.Get("from"), 0)
		if err != nil {
			return nil, errcode.InvalidParam("from must be a non-negative integer")
		}
		limit, err := queryInt(q.Get("limit"), defaultReportsLimit)
		if err != nil || limit == 0 {
			return nil, errcode.InvalidParam("limit must be a positive integer")
		}
		limit = min(limit, maxReportsLimit)
		order := "DESC"
		switch q.Get("dir") {
		case "", "b":
		case "f":
			order = "ASC"
		default:
			return nil, errcode.InvalidParam("dir must be f or b")
		}
		ctx := req.Context()
		roomID, userID := q.Get("room_id"), q.Get("user_id")
		filter := reportKind + ` AND ($2 = '' OR room_id = $2) AND ($3 = '' OR reporter = $3)`
		var total int64
		if err := r.db.QueryRow(ctx, `SELECT COUNT(*) FROM reports WHERE `+filter, events, roomID, userID).Scan(&total); err != nil {
			return nil, fmt.Errorf("counting reports: %w", err)
		}
		rows, err := r.db.Query(ctx, `SELECT report_id, received_ts, room_id, event_id, reporter, reason FROM reports
			WHERE `+filter+` ORDER BY received_ts `+order+`, report_id `+order+` LIMIT $4 OFFSET $5`,
			events, roomID, userID, limit, from)
		if err != nil {
			return nil, fmt.Errorf("listing reports: %w", err)
		}
		defer rows.Close()
		list := []report{}
		for rows.Next() {
			var rep report
			if err := rows.Scan(&rep.ID, &rep.ReceivedTS, &rep.RoomID, &rep.EventID, &rep.UserID, &rep.Reason); err != nil {
				return nil, fmt.Errorf("listing reports: %w", err)
			}
			list = append(list, rep)
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("listing reports: %w", err)
		}
		key := "room_reports"
		if events {
			key = "event_reports"
		}
		resp := map[string]any{key: list, "total": total}
		if next := from + int64(len(list)); next < total {
			resp["next_token"] = next
		}
		return resp, nil
	}
}

func (r *Rooms) getReport(events bool) httpapi.AuthedHandlerFunc {
	return func(req *http.Request, _ *httpapi.Device) (any, error) {
		id, err := reportID(req)
		if err != nil {
			return nil, err
		}
		rep, err := r.loadReport(req.Context(), id, events)
		if err != nil {
			return nil, err
		}
		return rep, nil
	}
}

func (r *Rooms) deleteReport(events bool) httpapi.AuthedHandlerFunc {
	return func(req *http.Request, _ *httpapi.Device) (any, error) {
		id, err := reportID(req)
		if err != nil {
			return nil, err
		}
		res, err := r.db.Exec(req.Context(), `DELETE FROM reports WHERE `+reportKind+` AND report_id = $2`, events, id)
		if err != nil {
			return nil, fmt.Errorf("deleting report %d: %w", id, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return nil, fmt.Errorf("deleting report %d: %w", id, err)
		} else if n == 0 {
			return nil, errcode.NotFound("report not found")
		}
		return struct{}{}, nil
	}
}

func (r *Rooms) loadReport(ctx context.Context, id int64, events bool) (report, error) {
	var rep report
	err := r.db.QueryRow(ctx, `SELECT report_id, received_ts, room_id, event_id, reporter, reason FROM reports
		WHERE `+reportKind+` AND report_id = $2`, events, id).
		Scan(&rep.ID, &rep.ReceivedTS, &rep.RoomID, &rep.EventID, &rep.UserID, &rep.Reason)
	if errors.Is(err, sql.ErrNoRows) {
		return report{}, errcode.NotFound("report not found")
	}
	if err != nil {
		return report{}, fmt.Errorf("reading report %d: %w", id, err)
	}
	return rep, nil
}

func reportID(req *http.Request) (int64, error) {
	id, err := strconv.ParseInt(httpapi.Vars(req)["reportId"], 10, 64)
	if err != nil || id <= 0 {
		return 0, errcode.InvalidParam("the report ID must be a positive integer")
	}
	return id, nil
}

func queryInt(s string, def int64) (int64, error) {
	if s == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, errors.New("not a non-negative integer")
	}
	return n, nil
}
