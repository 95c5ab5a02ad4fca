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

// reportKind is one kind of stored report: its name in the admin API
// and the rows of reports that are of that kind.
type reportKind struct {
	name   string
	filter string
}

var (
	eventReports = reportKind{"event_reports", `event_id <> ''`}
	roomReports  = reportKind{"room_reports", `event_id = '' AND reported_user = ''`}
	userReports  = reportKind{"user_reports", `reported_user <> ''`}
)

// The reports admin API is Synapse's, so moderation tools built for it
// work here: event reports at event_reports, whole-room reports at
// room_reports, and in the same shape reports of users at user_reports.
// https://element-hq.github.io/synapse/latest/admin_api/event_reports.html
func (r *Rooms) registerAdminReports(c *mux.Router) {
	for _, kind := range []reportKind{eventReports, roomReports, userReports} {
		path := "/_synapse/admin/v1/" + kind.name
		c.Handle(path, r.admin(r.listReports(kind))).Methods(http.MethodGet)
		c.Handle(path+"/{reportId}", r.admin(r.getReport(kind))).Methods(http.MethodGet)
		c.Handle(path+"/{reportId}", r.admin(r.deleteReport(kind))).Methods(http.MethodDelete)
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
	RoomID     string `json:"room_id,omitempty"`
	EventID    string `json:"event_id,omitempty"`
	// ReportedUser is the subject of a user report.
	ReportedUser string `json:"reported_user_id,omitempty"`
	UserID       string `json:"user_id"`
	Reason       string `json:"reason"`
}

// reportColumns are what the admin API shows of a report, in report's
// order.
const reportColumns = `report_id, received_ts, room_id, event_id, reported_user, reporter, reason`

func (rep *report) fields() []any {
	return []any{&rep.ID, &rep.ReceivedTS, &rep.RoomID, &rep.EventID, &rep.ReportedUser, &rep.UserID, &rep.Reason}
}

func (r *Rooms) listReports(kind reportKind) httpapi.AuthedHandlerFunc {
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
		filter := kind.filter + ` AND ($1 = '' OR room_id = $1) AND ($2 = '' OR reporter = $2)`
		var total int64
		if err := r.db.QueryRow(ctx, `SELECT COUNT(*) FROM reports WHERE `+filter, roomID, userID).Scan(&total); err != nil {
			return nil, fmt.Errorf("counting reports: %w", err)
		}
		rows, err := r.db.Query(ctx, `SELECT `+reportColumns+` FROM reports
			WHERE `+filter+` ORDER BY received_ts `+order+`, report_id `+order+` LIMIT $3 OFFSET $4`,
			roomID, userID, limit, from)
		if err != nil {
			return nil, fmt.Errorf("listing reports: %w", err)
		}
		defer rows.Close()
		list := []report{}
		for rows.Next() {
			var rep report
			if err := rows.Scan(rep.fields()...); err != nil {
				return nil, fmt.Errorf("listing reports: %w", err)
			}
			list = append(list, rep)
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("listing reports: %w", err)
		}
		resp := map[string]any{kind.name: list, "total": total}
		if next := from + int64(len(list)); next < total {
			resp["next_token"] = next
		}
		return resp, nil
	}
}

func (r *Rooms) getReport(kind reportKind) httpapi.AuthedHandlerFunc {
	return func(req *http.Request, _ *httpapi.Device) (any, error) {
		id, err := reportID(req)
		if err != nil {
			return nil, err
		}
		rep, err := r.loadReport(req.Context(), id, kind)
		if err != nil {
			return nil, err
		}
		return rep, nil
	}
}

func (r *Rooms) deleteReport(kind reportKind) httpapi.AuthedHandlerFunc {
	return func(req *http.Request, _ *httpapi.Device) (any, error) {
		id, err := reportID(req)
		if err != nil {
			return nil, err
		}
		res, err := r.db.Exec(req.Context(), `DELETE FROM reports WHERE `+kind.filter+` AND report_id = $1`, id)
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

func (r *Rooms) loadReport(ctx context.Context, id int64, kind reportKind) (report, error) {
	var rep report
	err := r.db.QueryRow(ctx, `SELECT `+reportColumns+` FROM reports WHERE `+kind.filter+` AND report_id = $1`, id).
		Scan(rep.fields()...)
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
