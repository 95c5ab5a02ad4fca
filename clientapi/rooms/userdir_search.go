package rooms

import (
	"database/sql"
	"fmt"
	"net/http"
	"strings"

	"github.com/gorilla/mux"

	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/spec/errcode"
)

const (
	defaultDirectoryLimit = 10
	// maxDirectoryLimit bounds one search's work; clients ask for 10-50.
	maxDirectoryLimit = 100
)

func (r *Rooms) registerUserDirectory(c *mux.Router) {
	r.handle(c, http.MethodPost, "/user_directory/search", r.searchUserDirectory)
}

type directorySearchRequest struct {
	SearchTerm *string `json:"search_term"`
	Limit      *int    `json:"limit"`
}

type directoryUser struct {
	UserID      string  `json:"user_id"`
	DisplayName *string `json:"display_name,omitempty"`
	AvatarURL   *string `json:"avatar_url,omitempty"`
}

type directorySearchResponse struct {
	Results []directoryUser `json:"results"`
	Limited bool            `json:"limited"`
}

// searchUserDirectory finds the users the caller may look up, as Synapse
// does by default: those who share a room with them and those in rooms
// anyone may join (join rule public). The term matches anywhere in the
// user ID or display name, ignoring case.
//
// https://spec.matrix.org/latest/client-server-api/#post_matrixclientv3user_directorysearch
func (r *Rooms) searchUserDirectory(req *http.Request, dev *httpapi.Device) (any, error) {
	var body directorySearchRequest
	if err := httpapi.DecodeJSON(req, &body); err != nil {
		return nil, err
	}
	if body.SearchTerm == nil {
		return nil, errcode.MissingParam("missing search_term")
	}
	limit := defaultDirectoryLimit
	if body.Limit != nil {
		if *body.Limit < 0 {
			return nil, errcode.InvalidParam("limit must not be negative")
		}
		limit = min(*body.Limit, maxDirectoryLimit)
	}
	resp := directorySearchResponse{Results: []directoryUser{}}
	if limit == 0 {
		return resp, nil
	}
	pattern := "%" + escapeLike(strings.ToLower(*body.SearchTerm)) + "%"
	rows, err := r.db.Query(req.Context(), `SELECT user_id, MAX(display_name), MAX(avatar_url) FROM user_directory_members
		WHERE search_text LIKE $1 ESCAPE '\'
		AND room_id IN (SELECT room_id FROM user_directory_members WHERE user_id = $2
			UNION SELECT room_id FROM user_directory_rooms WHERE is_public)
		GROUP BY user_id ORDER BY user_id LIMIT $3`, pattern, dev.UserID, limit+1)
	if err != nil {
		return nil, fmt.Errorf("searching the user directory: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var u directoryUser
		var name, avatar sql.NullString
		if err := rows.Scan(&u.UserID, &name, &avatar); err != nil {
			return nil, fmt.Errorf("searching the user directory: %w", err)
		}
		if name.Valid {
			u.DisplayName = &name.String
		}
		if avatar.Valid {
			u.AvatarURL = &avatar.String
		}
		resp.Results = append(resp.Results, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("searching the user directory: %w", err)
	}
	if len(resp.Results) > limit {
		resp.Results, resp.Limited = resp.Results[:limit], true
	}
	return resp, nil
}

// escapeLike makes the term match literally inside a LIKE pattern.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
