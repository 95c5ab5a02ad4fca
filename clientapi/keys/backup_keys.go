package keys

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"

	"github.com/gorilla/mux"

	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/spec/errcode"
	"github.com/ocomms/ocomms/storage"
)

func (k *Keys) registerBackupKeys(r *mux.Router) {
	for _, path := range []string{"/room_keys/keys", "/room_keys/keys/{roomId}", "/room_keys/keys/{roomId}/{sessionId}"} {
		k.handle(r, http.MethodPut, path, k.putBackupKeys)
		k.handle(r, http.MethodGet, path, k.getBackupKeys)
		k.handle(r, http.MethodDelete, path, k.deleteBackupKeys)
	}
}

// backupKey is the spec's KeyBackupData.
type backupKey struct {
	FirstMessageIndex *int64          `json:"first_message_index"`
	ForwardedCount    *int64          `json:"forwarded_count"`
	IsVerified        *bool           `json:"is_verified"`
	SessionData       json.RawMessage `json:"session_data"`
}

func (b *backupKey) check() error {
	if b.FirstMessageIndex == nil || b.ForwardedCount == nil || b.IsVerified == nil || len(b.SessionData) == 0 {
		return errcode.MissingParam("a key needs first_message_index, forwarded_count, is_verified and session_data")
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b.SessionData, &obj); err != nil || obj == nil {
		return errcode.BadJSON("session_data must be an object")
	}
	return nil
}

// better reports whether b should replace old, the spec's rule: a
// verified key beats an unverified one, then the lower first message
// index, then the lower forwarded count; otherwise the stored key stays.
func (b *backupKey) better(old *backupKey) bool {
	if *b.IsVerified != *old.IsVerified {
		return *b.IsVerified
	}
	if *b.FirstMessageIndex != *old.FirstMessageIndex {
		return *b.FirstMessageIndex < *old.FirstMessageIndex
	}
	return *b.ForwardedCount < *old.ForwardedCount
}

type roomBackup struct {
	Sessions map[string]*backupKey `json:"sessions"`
}

// scope is the part of a backup a request names: everything, a room, or
// one session.
type scope struct{ roomID, sessionID string }

func scopeOf(r *http.Request) scope {
	v := httpapi.Vars(r)
	return scope{roomID: v["roomId"], sessionID: v["sessionId"]}
}

// where returns the SQL condition and arguments (after $1, the version)
// selecting the scope's keys.
func (s scope) where() (string, []any) {
	switch {
	case s.sessionID != "":
		return ` AND room_id = $2 AND session_id = $3`, []any{s.roomID, s.sessionID}
	case s.roomID != "":
		return ` AND room_id = $2`, []any{s.roomID}
	}
	return "", nil
}

func versionParam(r *http.Request) (string, error) {
	v := r.URL.Query().Get("version")
	if v == "" {
		return "", errcode.MissingParam("the version query parameter is required")
	}
	return v, nil
}

// https://spec.matrix.org/latest/client-server-api/#put_matrixclientv3room_keyskeys
func (k *Keys) putBackupKeys(r *http.Request, dev *httpapi.Device) (any, error) {
	raw, err := versionParam(r)
	if err != nil {
		return nil, err
	}
	sc := scopeOf(r)
	rooms := map[string]roomBackup{}
	switch {
	case sc.sessionID != "":
		var key backupKey
		if err := httpapi.DecodeJSON(r, &key); err != nil {
			return nil, err
		}
		rooms[sc.roomID] = roomBackup{Sessions: map[string]*backupKey{sc.sessionID: &key}}
	case sc.roomID != "":
		var room roomBackup
		if err := httpapi.DecodeJSON(r, &room); err != nil {
			return nil, err
		}
		rooms[sc.roomID] = room
	default:
		var all struct {
			Rooms map[string]roomBackup `json:"rooms"`
		}
		if err := httpapi.DecodeJSON(r, &all); err != nil {
			return nil, err
		}
		rooms = all.Rooms
	}
	for _, room := range rooms {
		for _, key := range room.Sessions {
			if key == nil {
				return nil, errcode.BadJSON("a session's key must be an object")
			}
			if err := key.check(); err != nil {
				return nil, err
			}
		}
	}
	var resp map[string]any
	err = k.db.WithTx(r.Context(), func(ctx context.Context, tx *storage.Tx) error {
		v, err := writableVersion(ctx, tx, dev.UserID, raw)
		if err != nil {
			return err
		}
		changed, err := storeBackupKeys(ctx, tx, v.version, rooms)
		if err != nil {
			return err
		}
		resp, err = etagAndCount(ctx, tx, v, changed)
		return err
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// writableVersion returns the version keys may be written to: only the
// current one, so a client that missed a new backup learns of it.
func writableVersion(ctx context.Context, q storage.Querier, userID, raw string) (*backupVersion, error) {
	cur, err := currentVersion(ctx, q, userID)
	if err != nil {
		return nil, err
	}
	if cur == nil {
		return nil, errUnknownVersion()
	}
	if strconv.FormatInt(cur.version, 10) != raw {
		if _, err := lookupVersion(ctx, q, userID, raw); err != nil {
			return nil, err
		}
		return nil, errcode.WrongRoomKeysVersion(strconv.FormatInt(cur.version, 10))
	}
	return cur, nil
}

// storeBackupKeys writes each key unless the stored one is better.
func storeBackupKeys(ctx context.Context, tx *storage.Tx, version int64, rooms map[string]roomBackup) (bool, error) {
	roomIDs := make([]string, 0, len(rooms))
	for id := range rooms {
		roomIDs = append(roomIDs, id)
	}
	sort.Strings(roomIDs)
	changed := false
	for _, roomID := range roomIDs {
		for sessionID, key := range rooms[roomID].Sessions {
			old, err := loadBackupKey(ctx, tx, version, roomID, sessionID)
			if err != nil {
				return false, err
			}
			if old != nil && !key.better(old) {
				continue
			}
			if _, err := tx.Exec(ctx, `INSERT INTO keys_backup_keys (version, room_id, session_id, first_message_index, forwarded_count, is_verified, session_data)
				VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (version, room_id, session_id) DO UPDATE SET
				first_message_index = excluded.first_message_index, forwarded_count = excluded.forwarded_count,
				is_verified = excluded.is_verified, session_data = excluded.session_data`,
				version, roomID, sessionID, *key.FirstMessageIndex, *key.ForwardedCount, *key.IsVerified, string(key.SessionData)); err != nil {
				return false, fmt.Errorf("storing a backed up key: %w", err)
			}
			changed = true
		}
	}
	return changed, nil
}

func loadBackupKey(ctx context.Context, q storage.Querier, version int64, roomID, sessionID string) (*backupKey, error) {
	var k backupKey
	var fmi, fc int64
	var verified bool
	var data string
	err := q.QueryRow(ctx, `SELECT first_message_index, forwarded_count, is_verified, session_data FROM keys_backup_keys
		WHERE version = $1 AND room_id = $2 AND session_id = $3`, version, roomID, sessionID).Scan(&fmi, &fc, &verified, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading a backed up key: %w", err)
	}
	k.FirstMessageIndex, k.ForwardedCount, k.IsVerified, k.SessionData = &fmi, &fc, &verified, json.RawMessage(data)
	return &k, nil
}

// etagAndCount answers a write to a backup: its etag, moved on when the
// write changed the keys, and how many keys it holds.
func etagAndCount(ctx context.Context, q storage.Querier, v *backupVersion, changed bool) (map[string]any, error) {
	if changed {
		if err := q.QueryRow(ctx, `UPDATE keys_backup_versions SET etag = etag + 1 WHERE version = $1 RETURNING etag`, v.version).Scan(&v.etag); err != nil {
			return nil, fmt.Errorf("updating the backup's etag: %w", err)
		}
	}
	var count int64
	if err := q.QueryRow(ctx, `SELECT COUNT(*) FROM keys_backup_keys WHERE version = $1`, v.version).Scan(&count); err != nil {
		return nil, fmt.Errorf("counting backed up keys: %w", err)
	}
	return map[string]any{"etag": strconv.FormatInt(v.etag, 10), "count": count}, nil
}

// https://spec.matrix.org/latest/client-server-api/#get_matrixclientv3room_keyskeys
func (k *Keys) getBackupKeys(r *http.Request, dev *httpapi.Device) (any, error) {
	raw, err := versionParam(r)
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	v, err := lookupVersion(ctx, k.db, dev.UserID, raw)
	if err != nil {
		return nil, err
	}
	sc := scopeOf(r)
	if sc.sessionID != "" {
		key, err := loadBackupKey(ctx, k.db, v.version, sc.roomID, sc.sessionID)
		if err != nil {
			return nil, err
		}
		if key == nil {
			return nil, errcode.NotFound("No room key found for this session")
		}
		return key, nil
	}
	cond, args := sc.where()
	rows, err := k.db.Query(ctx, `SELECT room_id, session_id, first_message_index, forwarded_count, is_verified, session_data FROM keys_backup_keys
		WHERE version = $1`+cond, append([]any{v.version}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("reading backed up keys: %w", err)
	}
	defer rows.Close()
	rooms := map[string]roomBackup{}
	for rows.Next() {
		var roomID, sessionID, data string
		var fmi, fc int64
		var verified bool
		if err := rows.Scan(&roomID, &sessionID, &fmi, &fc, &verified, &data); err != nil {
			return nil, fmt.Errorf("reading backed up keys: %w", err)
		}
		if rooms[roomID].Sessions == nil {
			rooms[roomID] = roomBackup{Sessions: map[string]*backupKey{}}
		}
		rooms[roomID].Sessions[sessionID] = &backupKey{FirstMessageIndex: &fmi, ForwardedCount: &fc, IsVerified: &verified, SessionData: json.RawMessage(data)}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading backed up keys: %w", err)
	}
	if sc.roomID != "" {
		room := rooms[sc.roomID]
		if room.Sessions == nil {
			room.Sessions = map[string]*backupKey{}
		}
		return room, nil
	}
	return map[string]any{"rooms": rooms}, nil
}

// https://spec.matrix.org/latest/client-server-api/#delete_matrixclientv3room_keyskeys
func (k *Keys) deleteBackupKeys(r *http.Request, dev *httpapi.Device) (any, error) {
	raw, err := versionParam(r)
	if err != nil {
		return nil, err
	}
	var resp map[string]any
	err = k.db.WithTx(r.Context(), func(ctx context.Context, tx *storage.Tx) error {
		v, err := lookupVersion(ctx, tx, dev.UserID, raw)
		if err != nil {
			return err
		}
		cond, args := scopeOf(r).where()
		res, err := tx.Exec(ctx, `DELETE FROM keys_backup_keys WHERE version = $1`+cond, append([]any{v.version}, args...)...)
		if err != nil {
			return fmt.Errorf("deleting backed up keys: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("deleting backed up keys: %w", err)
		}
		resp, err = etagAndCount(ctx, tx, v, n > 0)
		return err
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}
