package syncapi

import (
	"net/http"

	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/spec/errcode"
)

// /keys/changes is served here because it reads between two sync tokens
// the same device list changes /sync reports.
func (s *SyncAPI) registerKeyChanges(routes httpapi.Routes) {
	httpapi.HandleClient(routes.Client, http.MethodGet, "/keys/changes", httpapi.Authenticated(s.authn, s.getKeyChanges), httpapi.ClientR0V3)
}

// https://spec.matrix.org/latest/client-server-api/#get_matrixclientv3keyschanges
func (s *SyncAPI) getKeyChanges(r *http.Request, dev *httpapi.Device) (any, error) {
	q := r.URL.Query()
	if q.Get("from") == "" {
		return nil, errcode.MissingParam("from is required")
	}
	from, err := parseSyncToken(q.Get("from"))
	if err != nil {
		return nil, err
	}
	now, err := s.currentPositions(r.Context())
	if err != nil {
		return nil, err
	}
	// to is a hint; without it, or past the present, the present.
	to := now
	if v := q.Get("to"); v != "" {
		if to, err = parseSyncToken(v); err != nil {
			return nil, err
		}
		to = to.atMost(now)
	}
	changed, left, err := s.deviceListChanges(r.Context(), dev.UserID, from.atMost(to), to)
	if err != nil {
		return nil, err
	}
	return map[string]any{"changed": changed, "left": left}, nil
}
