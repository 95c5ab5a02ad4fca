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

// A backfill derives something from the events stored before a migration
// added it. Its table holds one row, pending_upto: the events at stream
// positions up to it are still to be read. Each batch lowers it and the
// last deletes the row, so a restart resumes where the last commit left.
type backfill struct {
	// name is for logs.
	name string
	// table is the pending_upto table the migration filled.
	table string
	// apply records what the batch's events give, in its transaction.
	apply func(ctx context.Context, tx *storage.Tx, evs []storedPDU) error
}

// backfills are run one after the other, oldest migration first.
var backfills = []backfill{relationsBackfill, originTSBackfill}

// runBackfills runs every backfill to its end.
func (s *SyncAPI) runBackfills(ctx context.Context) {
	for _, b := range backfills {
		s.runBackfill(ctx, b)
		if ctx.Err() != nil {
			return
		}
	}
}

// backfillRelations records the relationships of the events stored before
// syncapi_relations existed.
func (s *SyncAPI) backfillRelations(ctx context.Context) { s.runBackfill(ctx, relationsBackfill) }

var relationsBackfill = backfill{name: "event relationships", table: "syncapi_relations_backfill", apply: backfillRelationsOf}

func backfillRelationsOf(ctx context.Context, tx *storage.Tx, evs []storedPDU) error {
	for _, e := range evs {
		rules, err := roomversion.Lookup(roomversion.ID(e.version))
		if err != nil {
			continue // a room version this build does not know has no readable relations
		}
		ev, err := event.ParseWithEventID(rules, []byte(e.pdu), e.eventID)
		if err != nil {
			continue
		}
		if err := storeRelation(ctx, tx, e.pos, ev); err != nil {
			return err
		}
	}
	return nil
}

// runBackfill works through b newest first, a batch per transaction,
// until none is left. Instances running it at once only repeat work: a
// batch that collides with another's fails and is read again.
func (s *SyncAPI) runBackfill(ctx context.Context, b backfill) {
	for {
		done, err := s.backfillStep(ctx, b)
		if done || ctx.Err() != nil {
			return
		}
		if err != nil {
			s.log.Warn("backfilling "+b.name, slog.Any("error", err))
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

func (s *SyncAPI) backfillStep(ctx context.Context, b backfill) (done bool, err error) {
	err = s.db.WithTx(ctx, func(ctx context.Context, tx *storage.Tx) error {
		var upTo int64
		err := tx.QueryRow(ctx, `SELECT pending_upto FROM `+b.table).Scan(&upTo)
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
		if err := b.apply(ctx, tx, evs); err != nil {
			return err
		}
		if from == 0 {
			_, err = tx.Exec(ctx, `DELETE FROM `+b.table)
		} else {
			_, err = tx.Exec(ctx, `UPDATE `+b.table+` SET pending_upto = $1`, from)
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
