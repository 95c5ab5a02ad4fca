package syncapi

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/spec/errcode"
)

// Filters are uploaded once and named by ID in /sync.
// https://spec.matrix.org/latest/client-server-api/#post_matrixclientv3useruseridfilter
func (s *SyncAPI) registerFilters(routes httpapi.Routes) {
	httpapi.HandleClient(routes.Client, http.MethodPost, "/user/{userId}/filter",
		httpapi.Authenticated(s.authn, s.handlePostFilter), httpapi.ClientR0V3)
	httpapi.HandleClient(routes.Client, http.MethodGet, "/user/{userId}/filter/{filterId}",
		httpapi.Authenticated(s.authn, s.handleGetFilter), httpapi.ClientR0V3)
}

func (s *SyncAPI) handlePostFilter(r *http.Request, device *httpapi.Device) (any, error) {
	if httpapi.Vars(r)["userId"] != device.UserID {
		return nil, errcode.Forbidden("cannot create filters for other users")
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, errcode.TooLarge("filter is too large")
		}
		return nil, fmt.Errorf("reading filter: %w", err)
	}
	if _, err := parseFilter(body); err != nil {
		return nil, err
	}
	// Store a compact copy: GET returns the definition as uploaded.
	var compact json.RawMessage
	_ = json.Unmarshal(body, &compact)
	data, _ := json.Marshal(compact)
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:])
	var id int64
	err = s.db.ExecReturning(r.Context(), `INSERT INTO syncapi_filters (user_id, filter_hash, filter_json) VALUES ($1, $2, $3)
		ON CONFLICT (user_id, filter_hash) DO UPDATE SET filter_json = excluded.filter_json
		RETURNING filter_id`, device.UserID, hash, string(data)).Scan(&id)
	if err != nil {
		return nil, fmt.Errorf("storing filter: %w", err)
	}
	return map[string]string{"filter_id": strconv.FormatInt(id, 10)}, nil
}

func (s *SyncAPI) handleGetFilter(r *http.Request, device *httpapi.Device) (any, error) {
	vars := httpapi.Vars(r)
	if vars["userId"] != device.UserID {
		return nil, errcode.Forbidden("cannot get filters for other users")
	}
	raw, err := s.loadFilterJSON(r.Context(), device.UserID, vars["filterId"])
	if err != nil {
		return nil, err
	}
	if raw == nil {
		return nil, errcode.NotFound("no such filter")
	}
	return raw, nil
}

// loadFilter returns the user's filter by ID, or nil when there is none.
func (s *SyncAPI) loadFilter(ctx context.Context, userID, filterID string) (*Filter, error) {
	raw, err := s.loadFilterJSON(ctx, userID, filterID)
	if err != nil || raw == nil {
		return nil, err
	}
	var f Filter
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, fmt.Errorf("stored filter %s: %w", filterID, err)
	}
	return &f, nil
}

func (s *SyncAPI) loadFilterJSON(ctx context.Context, userID, filterID string) (json.RawMessage, error) {
	id, err := strconv.ParseInt(filterID, 10, 64)
	if err != nil {
		return nil, nil
	}
	var js string
	err = s.db.QueryRow(ctx, `SELECT filter_json FROM syncapi_filters WHERE filter_id = $1 AND user_id = $2`, id, userID).Scan(&js)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("loading filter: %w", err)
	}
	return json.RawMessage(js), nil
}
