package accountdata

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ocomms/ocomms/clientapi/api"
	"github.com/ocomms/ocomms/storage"
)

// key names one account data row; roomID is "" for global account data.
type key struct {
	userID, roomID, evType string
}

// maxUpdateAttempts bounds the retries of a change that lost a race with
// a concurrent change of the same row (two devices of one user editing
// tags at once); each retry reads the winner's content.
const maxUpdateAttempts = 10

// errConflict is a lost race: the row changed between read and write.
var errConflict = errors.New("account data changed concurrently")

// load reads the current content, nil when there is none.
func (a *AccountData) load(ctx context.Context, k key) (json.RawMessage, error) {
	var content string
	err := a.db.QueryRow(ctx, `SELECT content FROM clientapi_account_data WHERE user_id = $1 AND room_id = $2 AND type = $3`,
		k.userID, k.roomID, k.evType).Scan(&content)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("reading account data %s of %s: %w", k.evType, k.userID, err)
	}
	return json.RawMessage(content), nil
}

// store replaces the content.
func (a *AccountData) store(ctx context.Context, k key, content json.RawMessage) error {
	return a.update(ctx, k, func(json.RawMessage) (json.RawMessage, error) { return content, nil })
}

// update changes the content to what change makes of the current content
// (nil when there is none); change returning nil means nothing to do. The
// new content and its bus message are written in one transaction. Writes
// are conditional on the revision that was read, so a concurrent change
// is never lost: the loser reads again and re-applies its change.
func (a *AccountData) update(ctx context.Context, k key, change func(old json.RawMessage) (json.RawMessage, error)) error {
	for range maxUpdateAttempts {
		err := a.db.WithTx(ctx, func(ctx context.Context, tx *storage.Tx) error {
			return a.updateTx(ctx, tx, k, change)
		})
		if errors.Is(err, errConflict) {
			continue
		}
		if err != nil {
			return err
		}
		a.outbox.Notify()
		return nil
	}
	return fmt.Errorf("account data %s of %s: %w after %d attempts", k.evType, k.userID, errConflict, maxUpdateAttempts)
}

func (a *AccountData) updateTx(ctx context.Context, tx *storage.Tx, k key, change func(json.RawMessage) (json.RawMessage, error)) error {
	var old string
	var revision int64
	err := tx.QueryRow(ctx, `SELECT content, revision FROM clientapi_account_data WHERE user_id = $1 AND room_id = $2 AND type = $3`,
		k.userID, k.roomID, k.evType).Scan(&old, &revision)
	var current json.RawMessage
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return fmt.Errorf("reading account data %s of %s: %w", k.evType, k.userID, err)
	default:
		current = json.RawMessage(old)
	}
	content, err := change(current)
	if err != nil || content == nil {
		return err
	}
	var res sql.Result
	if current == nil {
		res, err = tx.Exec(ctx, `INSERT INTO clientapi_account_data (user_id, room_id, type, content, revision)
			VALUES ($1, $2, $3, $4, 1) ON CONFLICT (user_id, room_id, type) DO NOTHING`,
			k.userID, k.roomID, k.evType, string(content))
	} else {
		res, err = tx.Exec(ctx, `UPDATE clientapi_account_data SET content = $4, revision = revision + 1
			WHERE user_id = $1 AND room_id = $2 AND type = $3 AND revision = $5`,
			k.userID, k.roomID, k.evType, string(content), revision)
	}
	if err != nil {
		return fmt.Errorf("storing account data %s of %s: %w", k.evType, k.userID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("storing account data %s of %s: %w", k.evType, k.userID, err)
	} else if n == 0 {
		return errConflict
	}
	return a.outbox.Enqueue(ctx, tx, api.AccountDataUpdate{
		Version: api.AccountDataUpdateVersion,
		UserID:  k.userID, RoomID: k.roomID, Type: k.evType,
		Content: content, Revision: revision + 1,
	})
}

// SetAccountData implements api.AccountData.
func (a *AccountData) SetAccountData(ctx context.Context, userID, evType string, content json.RawMessage) error {
	c, err := objectContent(content)
	if err != nil {
		return err
	}
	return a.store(ctx, key{userID: userID, evType: evType}, c)
}

// SetRoomAccountData implements api.AccountData.
func (a *AccountData) SetRoomAccountData(ctx context.Context, userID, roomID, evType string, content json.RawMessage) error {
	if roomID == "" {
		return errors.New("room account data needs a room ID")
	}
	c, err := objectContent(content)
	if err != nil {
		return err
	}
	return a.store(ctx, key{userID: userID, roomID: roomID, evType: evType}, c)
}

// IgnoredUsers implements api.AccountData.
func (a *AccountData) IgnoredUsers(ctx context.Context, userID string) (map[string]bool, error) {
	content, err := a.load(ctx, key{userID: userID, evType: typeIgnoredUserList})
	if err != nil || content == nil {
		return map[string]bool{}, err
	}
	return api.IgnoredUsersOf(content), nil
}

// InvitesBlocked implements api.AccountData.
func (a *AccountData) InvitesBlocked(ctx context.Context, userID string) (bool, error) {
	content, err := a.load(ctx, key{userID: userID, evType: api.InvitePermissionConfigType})
	if err != nil || content == nil {
		return false, err
	}
	return api.InvitesBlockedBy(content), nil
}

// EraseAccountData implements api.AccountDataEraser: it deletes every
// account data row of the user, global and per room. The sync API forgets
// its copy when it reads the erasure accounts publishes, and ignores
// changes of the user that arrive after it.
func (a *AccountData) EraseAccountData(ctx context.Context, userID string) error {
	if _, err := a.db.Exec(ctx, `DELETE FROM clientapi_account_data WHERE user_id = $1`, userID); err != nil {
		return fmt.Errorf("erasing the account data of %s: %w", userID, err)
	}
	return nil
}
