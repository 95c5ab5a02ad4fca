package syncapi

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/ocomms/ocomms/spec/event"
	"github.com/ocomms/ocomms/spec/roomversion"
	"github.com/ocomms/ocomms/storage"
)

// backfillBatch is how many stream positions one backfill transaction
// reads.
const backfillBatch = 500

// backfillJob derives a table of syncapi from the events stored before the
// table existed. Its progress table has one row, pending_upto, the highest
// stream position still to read, put there by the migration that made the
// table (events stored later are handled as they arrive); the job lowers
// it and deletes the row when done.
type backfillJob struct {
	what     string // for logs
	progress string // the progress table's name
	// apply handles one stored event, inside the batch's transaction;
	// it must be idempotent, for batches may be read twice.
	apply func(ctx context.Context, tx *storage.Tx, pos int64, ev *event.Event) error
}

var (
	relationsBackfill = backfillJob{what: "event relationships", progress: "syncapi_relations_backfill", apply: storeRelation}
	searchBackfill    = backfillJob{what: "searchable text", progress: "syncapi_search_backfill", apply: insertSearchText}
)

// backfillAll runs every backfill job, one after the other.
func (s *SyncAPI) backfillAll(ctx context.Context) {
	for _, j := range []backfillJob{relationsBackfill, searchBackfill, originTSBackfill} {
		s.runBackfill(ctx, j)
	}
}

// backfillRelations records the relationships of the events stored before
// syncapi_relations existed.
func (s *SyncAPI) backfillRelations(ctx context.Context) { s.runBackfill(ctx, relationsBackfill) }

// runBackfill reads the job's events newest first, a batch per
// transaction, until none is left. Instances running it at once only
// repeat work: a batch that collides with another's fails and is read
// again.
func (s *SyncAPI) runBackfill(ctx context.Context, j backfillJob) {
	for {
		done, err := s.backfillBatch(ctx, j)
		if done || ctx.Err() != nil {
			return
		}
		if err != nil {
			s.log.Warn("backfilling "+j.what, slog.Any("error", err))
			select {
			case <-ctx.Done():
				return
			case <-time.After(10 * time.Second):
			}
		}
	}
}

type storedPDU struct {
	pos              int64
	eventID, version string
	pdu              string
}

func (s *SyncAPI) backfillBatch(ctx context.Context, j backfillJob) (done bool, err error) {
	err = s.db.WithTx(ctx, func(ctx context.Context, tx *storage.Tx) error {
		var upTo int64
		err := tx.QueryRow(ctx, `SELECT pending_upto FROM `+j.progress).Scan(&upTo)
		if errors.Is(err, sql.ErrNoRows) {
			done = true
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading the backfill position: %w", err)
		}
		from := max(upTo-backfillBatch, 0)
		evs, err := storedPDUs(ctx, tx, from, upTo)
		if err != nil {
			return err
		}
		for _, e := range evs {
			rules, err := roomversion.Lookup(roomversion.ID(e.version))
			if err != nil {
				continue // a room version this build does not know has nothing readable
			}
			ev, err := event.ParseWithEventID(rules, []byte(e.pdu), e.eventID)
			if err != nil {
				continue
			}
			if err := j.apply(ctx, tx, e.pos, ev); err != nil {
				return err
			}
		}
		if from == 0 {
			_, err = tx.Exec(ctx, `DELETE FROM `+j.progress)
		} else {
			_, err = tx.Exec(ctx, `UPDATE `+j.progress+` SET pending_upto = $1`, from)
		}
		if err != nil {
			return fmt.Errorf("moving the backfill position: %w", err)
		}
		return nil
	})
	return done, err
}

// storedPDUs reads the events at stream positions in (after, upTo].
func storedPDUs(ctx context.Context, tx *storage.Tx, after, upTo int64) ([]storedPDU, error) {
	rows, err := tx.Query(ctx, `SELECT stream_pos, event_id, room_version, event_json FROM syncapi_events
		WHERE stream_pos > $1 AND stream_pos <= $2 ORDER BY stream_pos`, after, upTo)
	if err != nil {
		return nil, fmt.Errorf("reading events to backfill: %w", err)
	}
	defer rows.Close()
	var out []storedPDU
	for rows.Next() {
		var e storedPDU
		if err := rows.Scan(&e.pos, &e.eventID, &e.version, &e.pdu); err != nil {
			return nil, fmt.Errorf("scanning events to backfill: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
