package roomserver

import (
	"context"
	"fmt"
	"time"

	"github.com/ocomms/ocomms/roomserver/api"
)

// claimTransaction records that a client transaction is being used, or
// returns the event it created the first time. On PostgreSQL a concurrent
// Submit with the same transaction waits on the row until the first one
// commits, and then sees its event.
//
// https://spec.matrix.org/latest/client-server-api/#transaction-identifiers
func (s *submission) claimTransaction(ctx context.Context, txn api.Transaction) (api.SubmitResponse, bool, error) {
	res, err := s.tx.Exec(ctx, `INSERT INTO roomserver_transactions (user_id, device_id, txn_id, room_id, event_id, created_ts)
		VALUES ($1, $2, $3, '', '', $4) ON CONFLICT (user_id, device_id, txn_id) DO NOTHING`,
		txn.UserID, txn.DeviceID, txn.TxnID, s.now)
	if err != nil {
		return api.SubmitResponse{}, false, fmt.Errorf("claim transaction %s: %w", txn.TxnID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return api.SubmitResponse{}, false, fmt.Errorf("claim transaction %s: %w", txn.TxnID, err)
	} else if n == 1 {
		return api.SubmitResponse{}, false, nil
	}
	resp := api.SubmitResponse{Duplicate: true}
	if err := s.tx.QueryRow(ctx, `SELECT room_id, event_id FROM roomserver_transactions
		WHERE user_id = $1 AND device_id = $2 AND txn_id = $3`, txn.UserID, txn.DeviceID, txn.TxnID).
		Scan(&resp.RoomID, &resp.EventID); err != nil {
		return api.SubmitResponse{}, false, fmt.Errorf("read transaction %s: %w", txn.TxnID, err)
	}
	return resp, true, nil
}

// recordTransaction stores the event a claimed transaction created.
func (s *submission) recordTransaction(ctx context.Context, txn api.Transaction, roomID, eventID string) error {
	if _, err := s.tx.Exec(ctx, `UPDATE roomserver_transactions SET room_id = $4, event_id = $5
		WHERE user_id = $1 AND device_id = $2 AND txn_id = $3`,
		txn.UserID, txn.DeviceID, txn.TxnID, roomID, eventID); err != nil {
		return fmt.Errorf("record transaction %s: %w", txn.TxnID, err)
	}
	return nil
}

// transactionLifetime is how long a transaction ID keeps a retried send
// from creating a second event. Clients retry within minutes (Synapse
// remembers them for half an hour); a day also covers a phone that was
// offline overnight.
const transactionLifetime = 24 * time.Hour

// expireTransactions forgets transaction IDs older than
// transactionLifetime.
func (r *Roomserver) expireTransactions(ctx context.Context) error {
	cutoff := time.Now().Add(-transactionLifetime).UnixMilli()
	if _, err := r.db.Exec(ctx, `DELETE FROM roomserver_transactions WHERE created_ts < $1`, cutoff); err != nil {
		return fmt.Errorf("expire transactions: %w", err)
	}
	return nil
}
