package mediaapi

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gorilla/mux"

	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/spec/errcode"
	"github.com/ocomms/ocomms/spec/id"
	"github.com/ocomms/ocomms/storage"
)

// Usage counts what each user stores: the size of every upload, whether
// or not its bytes are shared with an identical upload (deduplication
// saves the server disk, not the user quota). It is kept in the same
// transactions that add and delete media, so it is never out of step.

func addUsage(ctx context.Context, tx *storage.Tx, userID string, bytes, count int64) error {
	_, err := tx.Exec(ctx, `INSERT INTO mediaapi_usage (user_id, used_bytes, media_count) VALUES ($1, $2, $3)
		ON CONFLICT (user_id) DO UPDATE SET used_bytes = mediaapi_usage.used_bytes + excluded.used_bytes,
			media_count = mediaapi_usage.media_count + excluded.media_count`, userID, max(bytes, 0), max(count, 0))
	if err != nil || bytes >= 0 {
		return wrapUsage(err)
	}
	_, err = tx.Exec(ctx, `UPDATE mediaapi_usage SET used_bytes = CASE WHEN used_bytes + $2 > 0 THEN used_bytes + $2 ELSE 0 END,
		media_count = CASE WHEN media_count + $3 > 0 THEN media_count + $3 ELSE 0 END WHERE user_id = $1`, userID, bytes, count)
	return wrapUsage(err)
}

func wrapUsage(err error) error {
	if err != nil {
		return fmt.Errorf("updating media usage: %w", err)
	}
	return nil
}

// quotaInfo is a user's quota as the admin API shows it.
type quotaInfo struct {
	UserID string `json:"user_id"`
	// MaxBytes is the quota in force, 0 for unlimited; Custom says an
	// admin set it rather than media.default_user_quota_bytes.
	MaxBytes   int64 `json:"max_bytes"`
	Custom     bool  `json:"custom"`
	UsedBytes  int64 `json:"used_bytes"`
	MediaCount int64 `json:"media_count"`
}

func (m *MediaAPI) quota(ctx context.Context, q storage.Querier, userID string) (quotaInfo, error) {
	info := quotaInfo{UserID: userID, MaxBytes: m.cfg.Media.DefaultUserQuotaBytes}
	var custom int64
	err := q.QueryRow(ctx, `SELECT max_bytes FROM mediaapi_quotas WHERE user_id = $1`, userID).Scan(&custom)
	switch {
	case err == nil:
		info.MaxBytes, info.Custom = custom, true
	case !errors.Is(err, sql.ErrNoRows):
		return info, fmt.Errorf("reading media quota: %w", err)
	}
	err = q.QueryRow(ctx, `SELECT used_bytes, media_count FROM mediaapi_usage WHERE user_id = $1`, userID).Scan(&info.UsedBytes, &info.MediaCount)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return info, fmt.Errorf("reading media usage: %w", err)
	}
	return info, nil
}

// quotaExceeded is the spec's answer for an upload over quota.
// https://spec.matrix.org/latest/client-server-api/#post_matrixmediav3upload
func quotaExceeded(info quotaInfo, size int64) error {
	return errcode.Forbidden(fmt.Sprintf("Media quota exceeded: this upload of %d bytes does not fit, %d of your %d bytes are used",
		size, info.UsedBytes, info.MaxBytes))
}

// precheckQuota refuses an upload whose declared size cannot fit before
// its body is read.
func (m *MediaAPI) precheckQuota(ctx context.Context, userID string, size int64) error {
	info, err := m.quota(ctx, m.db, userID)
	if err != nil {
		return err
	}
	if info.MaxBytes > 0 && info.UsedBytes+size > info.MaxBytes {
		return quotaExceeded(info, size)
	}
	return nil
}

// chargeQuota adds an upload to its user's usage inside the transaction
// that records it, refusing it atomically when it does not fit.
func (m *MediaAPI) chargeQuota(ctx context.Context, tx *storage.Tx, userID string, size int64) error {
	info, err := m.quota(ctx, tx, userID)
	if err != nil {
		return err
	}
	if info.MaxBytes == 0 {
		return addUsage(ctx, tx, userID, size, 1)
	}
	if err := addUsage(ctx, tx, userID, 0, 0); err != nil {
		return err
	}
	res, err := tx.Exec(ctx, `UPDATE mediaapi_usage SET used_bytes = used_bytes + $2, media_count = media_count + 1
		WHERE user_id = $1 AND used_bytes + $2 <= $3`, userID, size, info.MaxBytes)
	if err != nil {
		return wrapUsage(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return quotaExceeded(info, size)
	}
	return nil
}

// The quota admin API, in the style of Synapse's user admin API.
func (m *MediaAPI) registerQuota(r *mux.Router) {
	m.mountQuota(r, quotaEndpoint{
		path: "/_synapse/admin/v1/users/{userId}/media_quota",
		key:  m.localUser, table: "mediaapi_quotas", column: "user_id",
		show: func(ctx context.Context, userID string) (any, error) { return m.quota(ctx, m.db, userID) },
	})
}

// quotaEndpoint is a quota's admin API: key names what the quota bounds
// from the request path (validated), table and column are where custom
// quotas live, and show answers the quota with its usage.
type quotaEndpoint struct {
	path          string
	key           func(*http.Request) (string, error)
	table, column string
	show          func(ctx context.Context, key string) (any, error)
}

// mountQuota mounts GET (see) and PUT (set) of a quota, for server admins.
func (m *MediaAPI) mountQuota(r *mux.Router, q quotaEndpoint) {
	r.Handle(q.path, m.admin(func(req *http.Request, _ *httpapi.Device) (any, error) {
		key, err := q.key(req)
		if err != nil {
			return nil, err
		}
		return q.show(req.Context(), key)
	})).Methods(http.MethodGet)
	r.Handle(q.path, m.admin(func(req *http.Request, _ *httpapi.Device) (any, error) {
		key, err := q.key(req)
		if err != nil {
			return nil, err
		}
		limit, err := decodeLimit(req)
		if err != nil {
			return nil, err
		}
		if err := m.db.WithTx(req.Context(), func(ctx context.Context, tx *storage.Tx) error {
			return limit.apply(ctx, tx, q.table, q.column, key)
		}); err != nil {
			return nil, fmt.Errorf("setting media quota: %w", err)
		}
		return q.show(req.Context(), key)
	})).Methods(http.MethodPut)
}

func (m *MediaAPI) localUser(r *http.Request) (string, error) {
	userID := httpapi.Vars(r)["userId"]
	uid, err := id.ParseUserID(userID)
	if err != nil {
		return "", errcode.InvalidParam(fmt.Sprintf("%q is not a user ID", userID))
	}
	if string(uid.ServerName()) != m.cfg.ServerName {
		return "", errcode.InvalidParam("Only local users have a media quota")
	}
	return userID, nil
}

// limit is the body of a quota PUT: a number of bytes, 0 for unlimited,
// or null to go back to the configured default.
type limit struct {
	maxBytes int64
	reset    bool
}

func decodeLimit(r *http.Request) (limit, error) {
	var body struct {
		MaxBytes json.RawMessage `json:"max_bytes"`
	}
	if err := httpapi.DecodeJSON(r, &body); err != nil {
		return limit{}, err
	}
	raw := strings.TrimSpace(string(body.MaxBytes))
	switch {
	case raw == "":
		return limit{}, errcode.MissingParam("max_bytes is required: a number of bytes, 0 for unlimited, or null for the default")
	case raw == "null":
		return limit{reset: true}, nil
	}
	var l limit
	if err := json.Unmarshal(body.MaxBytes, &l.maxBytes); err != nil || l.maxBytes < 0 {
		return limit{}, errcode.InvalidParam("max_bytes must be a non-negative integer or null")
	}
	return l, nil
}

// apply stores the limit in table (mediaapi_quotas or
// mediaapi_room_quotas), keyed by keyColumn = key.
func (l limit) apply(ctx context.Context, tx *storage.Tx, table, keyColumn, key string) error {
	if l.reset {
		_, err := tx.Exec(ctx, `DELETE FROM `+table+` WHERE `+keyColumn+` = $1`, key)
		return err
	}
	_, err := tx.Exec(ctx, `INSERT INTO `+table+` (`+keyColumn+`, max_bytes) VALUES ($1, $2)
		ON CONFLICT (`+keyColumn+`) DO UPDATE SET max_bytes = excluded.max_bytes`, key, l.maxBytes)
	return err
}

// admin wraps a handler only server admins may call.
func (m *MediaAPI) admin(h httpapi.AuthedHandlerFunc) httpapi.HandlerFunc {
	return httpapi.Authenticated(m.authn, func(r *http.Request, d *httpapi.Device) (any, error) {
		if !d.IsAdmin {
			return nil, errcode.Forbidden("You are not a server admin")
		}
		return h(r, d)
	})
}
