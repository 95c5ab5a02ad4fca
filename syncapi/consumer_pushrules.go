package syncapi

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/ocomms/ocomms/bus"
	clientapi "github.com/ocomms/ocomms/clientapi/api"
	"github.com/ocomms/ocomms/storage"
)

// pushRulesConsumerName is the durable consumer of push rule changes
// shared by every syncapi instance.
const pushRulesConsumerName = "syncapi_push_rules"

// handlePushRulesChanged records that a user's push rules changed at the
// next account data position, so their next /sync carries m.push_rules.
// A redelivered or older change (a revision not above the stored one)
// takes no position.
func (s *SyncAPI) handlePushRulesChanged(ctx context.Context, m bus.Message) error {
	var c clientapi.PushRulesChanged
	if err := m.Decode(&c); err != nil {
		return bus.Permanent(err)
	}
	if c.Version != clientapi.PushRulesChangedVersion {
		return fmt.Errorf("push rules change has version %d, this syncapi reads %d", c.Version, clientapi.PushRulesChangedVersion)
	}
	var pos int64
	err := s.db.WithTx(ctx, func(ctx context.Context, tx *storage.Tx) error {
		var have int64
		err := tx.QueryRow(ctx, `SELECT revision FROM syncapi_push_rules WHERE user_id = $1`, c.UserID).Scan(&have)
		switch {
		case err == nil && have >= c.Revision:
			return nil
		case err != nil && !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("reading the push rules revision: %w", err)
		}
		if pos, err = nextPosition(ctx, tx, streamAccountData); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO syncapi_push_rules (user_id, revision, stream_pos) VALUES ($1, $2, $3)
			ON CONFLICT (user_id) DO UPDATE SET revision = excluded.revision, stream_pos = excluded.stream_pos`,
			c.UserID, c.Revision, pos)
		if err != nil {
			return fmt.Errorf("recording the push rules change: %w", err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("push rules of %s: %w", c.UserID, err)
	}
	if pos > 0 {
		s.wake(ctx, wakeUp{Stream: streamAccountData, Position: pos, UserIDs: []string{c.UserID}})
	}
	return nil
}
