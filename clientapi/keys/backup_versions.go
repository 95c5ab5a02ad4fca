package keys

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/gorilla/mux"

	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/spec/errcode"
	"github.com/ocomms/ocomms/storage"
)

// Server-side key backups: a user's encrypted room keys, stored under a
// backup version; one version (the latest not deleted) is current.
//
// https://spec.matrix.org/latest/client-server-api/#server-side-key-backups
func (k *Keys) registerBackupVersions(r *mux.Router) {
	k.handle(r, http.MethodPost, "/room_keys/version", k.postBackupVersion)
	k.handle(r, http.MethodGet, "/room_keys/version", k.getBackupVersion)
	k.handle(r, http.MethodGet, "/room_keys/version/{version}", k.getBackupVersion)
	k.handle(r, http.MethodPut, "/room_keys/version/{version}", k.putBackupVersion)
	k.handle(r, http.MethodDelete, "/room_keys/version/{version}", k.deleteBackupVersion)
}

type backupVersionRequest struct {
	Algorithm string          `json:"algorithm"`
	AuthData  json.RawMessage `json:"auth_data"`
	Version   *string         `json:"version"`
}

func (req *backupVersionRequest) check() error {
	if req.Algorithm == "" {
		return errcode.MissingParam("algorithm is required")
	}
	var obj map[string]json.RawMessage
	if len(req.AuthData) == 0 {
		return errcode.MissingParam("auth_data is required")
	}
	if err := json.Unmarshal(req.AuthData, &obj); err != nil || obj == nil {
		return errcode.BadJSON("auth_data must be an object")
	}
	return nil
}

// backupVersion is one row of keys_backup_versions.
type backupVersion struct {
	version         int64
	algorithm, auth string
	etag            int64
}

func errUnknownVersion() error { return errcode.NotFound("Unknown backup version") }

// https://spec.matrix.org/latest/client-server-api/#post_matrixclientv3room_keysversion
func (k *Keys) postBackupVersion(r *http.Request, dev *httpapi.Device) (any, error) {
	var req backupVersionRequest
	if err := httpapi.DecodeJSON(r, &req); err != nil {
		return nil, err
	}
	if err := req.check(); err != nil {
		return nil, err
	}
	var version int64
	err := k.db.ExecReturning(r.Context(), `INSERT INTO keys_backup_versions (user_id, algorithm, auth_data) VALUES ($1, $2, $3) RETURNING version`,
		dev.UserID, req.Algorithm, string(req.AuthData)).Scan(&version)
	if err != nil {
		return nil, fmt.Errorf("creating a backup version: %w", err)
	}
	return map[string]string{"version": strconv.FormatInt(version, 10)}, nil
}

// https://spec.matrix.org/latest/client-server-api/#get_matrixclientv3room_keysversionversion
func (k *Keys) getBackupVersion(r *http.Request, dev *httpapi.Device) (any, error) {
	ctx := r.Context()
	var v *backupVersion
	var err error
	if raw, ok := httpapi.Vars(r)["version"]; ok {
		v, err = lookupVersion(ctx, k.db, dev.UserID, raw)
	} else if v, err = currentVersion(ctx, k.db, dev.UserID); err == nil && v == nil {
		err = errcode.NotFound("No current backup version")
	}
	if err != nil {
		return nil, err
	}
	var count int64
	if err := k.db.QueryRow(ctx, `SELECT COUNT(*) FROM keys_backup_keys WHERE version = $1`, v.version).Scan(&count); err != nil {
		return nil, fmt.Errorf("counting backed up keys: %w", err)
	}
	return map[string]any{
		"algorithm": v.algorithm, "auth_data": json.RawMessage(v.auth), "count": count,
		"etag": strconv.FormatInt(v.etag, 10), "version": strconv.FormatInt(v.version, 10),
	}, nil
}

// https://spec.matrix.org/latest/client-server-api/#put_matrixclientv3room_keysversionversion
func (k *Keys) putBackupVersion(r *http.Request, dev *httpapi.Device) (any, error) {
	var req backupVersionRequest
	if err := httpapi.DecodeJSON(r, &req); err != nil {
		return nil, err
	}
	if err := req.check(); err != nil {
		return nil, err
	}
	raw := httpapi.Vars(r)["version"]
	if req.Version != nil && *req.Version != raw {
		return nil, errcode.InvalidParam("version in the body does not match the version in the path")
	}
	err := k.db.WithTx(r.Context(), func(ctx context.Context, tx *storage.Tx) error {
		v, err := lookupVersion(ctx, tx, dev.UserID, raw)
		if err != nil {
			return err
		}
		if v.algorithm != req.Algorithm {
			return errcode.InvalidParam("algorithm does not match the backup's algorithm")
		}
		if _, err := tx.Exec(ctx, `UPDATE keys_backup_versions SET auth_data = $1 WHERE version = $2`, string(req.AuthData), v.version); err != nil {
			return fmt.Errorf("updating a backup version: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// https://spec.matrix.org/latest/client-server-api/#delete_matrixclientv3room_keysversionversion
func (k *Keys) deleteBackupVersion(r *http.Request, dev *httpapi.Device) (any, error) {
	raw := httpapi.Vars(r)["version"]
	err := k.db.WithTx(r.Context(), func(ctx context.Context, tx *storage.Tx) error {
		v, err := lookupVersion(ctx, tx, dev.UserID, raw)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM keys_backup_keys WHERE version = $1`, v.version); err != nil {
			return fmt.Errorf("deleting backed up keys: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE keys_backup_versions SET deleted = TRUE WHERE version = $1`, v.version); err != nil {
			return fmt.Errorf("deleting a backup version: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// lookupVersion returns the user's backup version named raw, or 404.
func lookupVersion(ctx context.Context, q storage.Querier, userID, raw string) (*backupVersion, error) {
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		return nil, errUnknownVersion()
	}
	v, err := scanVersion(q.QueryRow(ctx, `SELECT version, algorithm, auth_data, etag FROM keys_backup_versions
		WHERE version = $1 AND user_id = $2 AND NOT deleted`, n, userID))
	if v == nil && err == nil {
		return nil, errUnknownVersion()
	}
	return v, err
}

// currentVersion returns the user's latest backup version, or nil.
func currentVersion(ctx context.Context, q storage.Querier, userID string) (*backupVersion, error) {
	return scanVersion(q.QueryRow(ctx, `SELECT version, algorithm, auth_data, etag FROM keys_backup_versions
		WHERE user_id = $1 AND NOT deleted ORDER BY version DESC LIMIT 1`, userID))
}

func scanVersion(row *storage.Row) (*backupVersion, error) {
	var v backupVersion
	err := row.Scan(&v.version, &v.algorithm, &v.auth, &v.etag)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading a backup version: %w", err)
	}
	return &v, nil
}
