package keys

import (
	"context"
	"fmt"

	"github.com/ocomms/ocomms/storage"
)

// DevicesDeleted removes the keys of deleted devices in the transaction
// that deletes them and records the change of the user's device list
// (accounts.DeviceObserver). One-time and fallback keys go too: nobody can
// start a session with a device that is gone.
func (k *Keys) DevicesDeleted(ctx context.Context, tx *storage.Tx, userID string, deviceIDs []string) error {
	args := append([]any{userID}, anys(deviceIDs)...)
	in := placeholders(2, len(deviceIDs))
	for _, table := range []string{"keys_device_keys", "keys_one_time_keys", "keys_fallback_keys"} {
		if _, err := tx.Exec(ctx, `DELETE FROM `+table+` WHERE user_id = $1 AND device_id IN (`+in+`)`, args...); err != nil {
			return fmt.Errorf("deleting %s of deleted devices: %w", table, err)
		}
	}
	if _, err := tx.Exec(ctx, `DELETE FROM keys_signatures WHERE target_user_id = $1 AND target_key_id IN (`+in+`)`, args...); err != nil {
		return fmt.Errorf("deleting signatures of deleted devices: %w", err)
	}
	// Published once the accounts transaction commits: the publisher
	// polls, and any later commit of the key store wakes it.
	return k.out.deviceListChanged(ctx, tx, userID)
}
