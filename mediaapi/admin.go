package mediaapi

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/gorilla/mux"

	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/spec/errcode"
)

// The media admin API follows Synapse's, so moderation tools built for it
// work here.
// https://element-hq.github.io/synapse/latest/admin_api/media_admin_api.html
func (m *MediaAPI) registerAdmin(r *mux.Router) {
	const base = "/_synapse/admin/v1"
	r.Handle(base+"/media/{serverName}/{mediaId}", m.admin(m.adminMediaInfo)).Methods(http.MethodGet)
	r.Handle(base+"/media/{serverName}/{mediaId}", m.admin(m.adminDeleteMedia)).Methods(http.MethodDelete)
	r.Handle(base+"/media/delete", m.admin(m.adminDeleteLocalMedia)).Methods(http.MethodPost)
	r.Handle(base+"/media/quarantine/{serverName}/{mediaId}", m.admin(m.adminQuarantine(true))).Methods(http.MethodPost)
	r.Handle(base+"/media/unquarantine/{serverName}/{mediaId}", m.admin(m.adminQuarantine(false))).Methods(http.MethodPost)
	r.Handle(base+"/purge_media_cache", m.admin(m.adminPurgeRemote)).Methods(http.MethodPost)
}

func (m *MediaAPI) adminKey(r *http.Request) (mediaKey, error) {
	vars := httpapi.Vars(r)
	return parseKey(vars["serverName"], vars["mediaId"])
}

// mediaInfo is the admin API's view of one media.
type mediaInfo struct {
	MediaOrigin  string `json:"media_origin"`
	MediaID      string `json:"media_id"`
	UserID       string `json:"user_id,omitempty"`
	MediaType    string `json:"media_type"`
	MediaLength  int64  `json:"media_length"`
	UploadName   string `json:"upload_name,omitempty"`
	CreatedTs    int64  `json:"created_ts"`
	LastAccessTs int64  `json:"last_access_ts"`
	Quarantined  bool   `json:"quarantined"`
	SHA256       string `json:"sha256,omitempty"`
	Store        string `json:"store,omitempty"`
	Uploaded     bool   `json:"uploaded"`
}

func (m *MediaAPI) adminMediaInfo(r *http.Request, _ *httpapi.Device) (any, error) {
	key, err := m.adminKey(r)
	if err != nil {
		return nil, err
	}
	md, found, err := getMedia(r.Context(), m.db, key)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, errcode.NotFound("Unknown media")
	}
	return map[string]any{"media_info": mediaInfo{
		MediaOrigin: md.Origin, MediaID: md.MediaID, UserID: md.UserID, MediaType: md.ContentType, MediaLength: md.Size,
		UploadName: md.Filename, CreatedTs: md.CreatedTs, LastAccessTs: md.LastAccessTs, Quarantined: md.Quarantined,
		SHA256: md.SHA256, Store: md.Store, Uploaded: md.uploaded(),
	}}, nil
}

func (m *MediaAPI) adminDeleteMedia(r *http.Request, _ *httpapi.Device) (any, error) {
	key, err := m.adminKey(r)
	if err != nil {
		return nil, err
	}
	deleted, err := m.deleteMedia(r.Context(), []mediaKey{key})
	if err != nil {
		return nil, err
	}
	if len(deleted) == 0 {
		return nil, errcode.NotFound("Unknown media")
	}
	return deletedResponse(deleted), nil
}

func deletedResponse(keys []mediaKey) map[string]any {
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = k.MediaID
	}
	return map[string]any{"deleted_media": ids, "total": len(ids)}
}

// adminDeleteLocalMedia deletes local media uploaded before before_ts
// and larger than size_gt.
func (m *MediaAPI) adminDeleteLocalMedia(r *http.Request, _ *httpapi.Device) (any, error) {
	q := r.URL.Query()
	before, err := strconv.ParseInt(q.Get("before_ts"), 10, 64)
	if err != nil || before < 0 {
		return nil, errcode.MissingParam("before_ts is required: a timestamp in milliseconds")
	}
	var sizeGT int64
	if v := q.Get("size_gt"); v != "" {
		if sizeGT, err = strconv.ParseInt(v, 10, 64); err != nil || sizeGT < 0 {
			return nil, errcode.InvalidParam("size_gt must be a non-negative integer")
		}
	}
	deleted, err := m.deleteWhere(r.Context(), `origin = $1 AND created_ts < $2 AND size > $3`, m.cfg.ServerName, before, sizeGT)
	if err != nil {
		return nil, err
	}
	return deletedResponse(deleted), nil
}

// adminPurgeRemote drops cached remote media not accessed since before_ts.
func (m *MediaAPI) adminPurgeRemote(r *http.Request, _ *httpapi.Device) (any, error) {
	before, err := strconv.ParseInt(r.URL.Query().Get("before_ts"), 10, 64)
	if err != nil || before < 0 {
		return nil, errcode.MissingParam("before_ts is required: a timestamp in milliseconds")
	}
	deleted, err := m.deleteWhere(r.Context(), `origin <> $1 AND last_access_ts < $2`, m.cfg.ServerName, before)
	if err != nil {
		return nil, err
	}
	return map[string]int{"deleted": len(deleted)}, nil
}

func (m *MediaAPI) adminQuarantine(on bool) httpapi.AuthedHandlerFunc {
	return func(r *http.Request, _ *httpapi.Device) (any, error) {
		key, err := m.adminKey(r)
		if err != nil {
			return nil, err
		}
		res, err := m.db.Exec(r.Context(), `UPDATE mediaapi_media SET quarantined = $3 WHERE origin = $1 AND media_id = $2`,
			key.Origin, key.MediaID, on)
		if err != nil {
			return nil, fmt.Errorf("quarantining %s: %w", key, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil, errcode.NotFound("Unknown media")
		}
		return struct{}{}, nil
	}
}

// deleteBatch bounds the rows one deletion transaction handles.
const deleteBatch = 500

// deleteWhere deletes every media row matching where (over
// mediaapi_media, with args), in batches.
func (m *MediaAPI) deleteWhere(ctx context.Context, where string, args ...any) ([]mediaKey, error) {
	var all []mediaKey
	for {
		rows, err := m.db.Query(ctx, `SELECT origin, media_id FROM mediaapi_media WHERE `+where+
			fmt.Sprintf(` ORDER BY created_ts LIMIT %d`, deleteBatch), args...)
		if err != nil {
			return all, fmt.Errorf("selecting media to delete: %w", err)
		}
		var keys []mediaKey
		for rows.Next() {
			var k mediaKey
			if err := rows.Scan(&k.Origin, &k.MediaID); err != nil {
				rows.Close()
				return all, err
			}
			keys = append(keys, k)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return all, err
		}
		deleted, err := m.deleteMedia(ctx, keys)
		all = append(all, deleted...)
		if err != nil || len(keys) < deleteBatch {
			return all, err
		}
	}
}
