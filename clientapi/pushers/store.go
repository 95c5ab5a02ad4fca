package pushers

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/ocomms/ocomms/storage"
)

// pusher is one row of clientapi_pushers.
type pusher struct {
	UserID            string
	AppID             string
	PushKey           string
	DeviceID          string
	Kind              string
	AppDisplayName    string
	DeviceDisplayName string
	ProfileTag        string
	Lang              string
	Data              json.RawMessage
	URL               string
	PushKeyTS         int64
}

const pusherColumns = `user_id, app_id, pushkey, device_id, kind, app_display_name, device_display_name,
	profile_tag, lang, data, url, pushkey_ts`

// listPushers returns the user's pushers in a stable order.
func listPushers(ctx context.Context, q storage.Querier, userID string) ([]pusher, error) {
	rows, err := q.Query(ctx, `SELECT `+pusherColumns+` FROM clientapi_pushers WHERE user_id = $1 ORDER BY app_id, pushkey`, userID)
	if err != nil {
		return nil, fmt.Errorf("listing pushers: %w", err)
	}
	defer rows.Close()
	var out []pusher
	for rows.Next() {
		var p pusher
		var data string
		if err := rows.Scan(&p.UserID, &p.AppID, &p.PushKey, &p.DeviceID, &p.Kind, &p.AppDisplayName, &p.DeviceDisplayName,
			&p.ProfileTag, &p.Lang, &data, &p.URL, &p.PushKeyTS); err != nil {
			return nil, fmt.Errorf("listing pushers: %w", err)
		}
		p.Data = json.RawMessage(data)
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing pushers: %w", err)
	}
	return out, nil
}

// upsertPusher stores p, replacing the user's pusher with the same app_id
// and pushkey. Unless appendOther, the pusher of any other user with them
// goes: the pushkey now belongs to this user.
func upsertPusher(ctx context.Context, tx *storage.Tx, p pusher, appendOther bool) error {
	if !appendOther {
		if _, err := tx.Exec(ctx, `DELETE FROM clientapi_pushers WHERE app_id = $1 AND pushkey = $2 AND user_id <> $3`,
			p.AppID, p.PushKey, p.UserID); err != nil {
			return fmt.Errorf("removing other users' pushers: %w", err)
		}
	}
	_, err := tx.Exec(ctx, `INSERT INTO clientapi_pushers (`+pusherColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		ON CONFLICT (user_id, app_id, pushkey) DO UPDATE SET device_id = excluded.device_id, kind = excluded.kind,
			app_display_name = excluded.app_display_name, device_display_name = excluded.device_display_name,
			profile_tag = excluded.profile_tag, lang = excluded.lang, data = excluded.data, url = excluded.url,
			pushkey_ts = excluded.pushkey_ts`,
		p.UserID, p.AppID, p.PushKey, p.DeviceID, p.Kind, p.AppDisplayName, p.DeviceDisplayName,
		p.ProfileTag, p.Lang, string(p.Data), p.URL, p.PushKeyTS)
	if err != nil {
		return fmt.Errorf("storing pusher: %w", err)
	}
	return nil
}

// deletePusher removes one pusher of the user; a missing one is no error.
func deletePusher(ctx context.Context, q storage.Querier, userID, appID, pushKey string) error {
	if _, err := q.Exec(ctx, `DELETE FROM clientapi_pushers WHERE user_id = $1 AND app_id = $2 AND pushkey = $3`,
		userID, appID, pushKey); err != nil {
		return fmt.Errorf("deleting pusher: %w", err)
	}
	return nil
}

// deleteDevicePushers removes the pushers the devices set.
func deleteDevicePushers(ctx context.Context, tx *storage.Tx, userID string, deviceIDs []string) error {
	if len(deviceIDs) == 0 {
		return nil
	}
	marks := make([]string, len(deviceIDs))
	args := []any{userID}
	for i, d := range deviceIDs {
		marks[i] = "$" + strconv.Itoa(i+2)
		args = append(args, d)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM clientapi_pushers WHERE user_id = $1 AND device_id IN (`+strings.Join(marks, ", ")+`)`,
		args...); err != nil {
		return fmt.Errorf("deleting pushers of deleted devices: %w", err)
	}
	return nil
}

func sorted(ss []string) []string {
	slices.Sort(ss)
	return ss
}
