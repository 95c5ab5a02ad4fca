package roomserver

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/ocomms/ocomms/bus"
	"github.com/ocomms/ocomms/roomserver/api"
)

// The outbox publisher. Submit writes an outbox row in the transaction that
// stores the event, so an event whose ID was returned is published even if
// the process dies right after the commit or the bus is down: the row stays
// until the bus acknowledged it.
//
// One instance at a time publishes, the holder of a lease in the database,
// because rows must go out in order: two publishers would race each other
// and could swap two events of one room. The holder renews the lease while
// it runs and gives it up on Stop; when it dies, another instance takes
// over after leaseDuration. Rows published twice across such a hand-over
// (published, then the holder died before deleting them) carry the same
// bus message ID and Sequence, so the stream or the consumer drops the copy.
const (
	leaseDuration = 15 * time.Second
	// publishTimeout bounds one publish; a batch stops this long before
	// the lease expires, so the holder starts no publish it could not
	// finish while it still holds the lease.
	publishTimeout = 5 * time.Second
	// pollInterval is how often the holder looks for rows that other
	// instances wrote (its own commits wake it at once).
	pollInterval = 100 * time.Millisecond
	// standbyInterval is how often the other instances try for the lease.
	standbyInterval = time.Second
	publishBatch    = 256
	// expireEvery is how often the lease holder expires old transactions.
	expireEvery = time.Hour
	retryMin    = 100 * time.Millisecond
	retryMax    = 5 * time.Second
)

// publishLoop runs until ctx is done.
func (r *Roomserver) publishLoop(ctx context.Context) {
	var (
		leaseUntil time.Time
		retry      = retryMin
		expired    time.Time
	)
	for {
		wait := standbyInterval
		until, err := r.renewLease(ctx, leaseUntil)
		leaseUntil = until
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return
			}
			r.log.WarnContext(ctx, "outbox lease", slog.Any("error", err))
			wait, retry = retry, min(2*retry, retryMax)
		case time.Until(leaseUntil) > publishTimeout:
			n, err := r.publishOutbox(ctx, leaseUntil)
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				r.log.WarnContext(ctx, "publishing output events; will retry", slog.Any("error", err), slog.Duration("retry_in", retry))
				wait, retry = retry, min(2*retry, retryMax)
				break
			}
			retry = retryMin
			if time.Since(expired) > expireEvery {
				expired = time.Now()
				if err := r.expireTransactions(ctx); err != nil && ctx.Err() == nil {
					r.log.WarnContext(ctx, "expiring transactions", slog.Any("error", err))
				}
			}
			if n == publishBatch {
				continue // more rows are waiting
			}
			wait = pollInterval
		}
		select {
		case <-ctx.Done():
			return
		case <-r.wake:
		case <-time.After(wait):
		}
	}
}

// renewLease takes or extends the publisher lease and returns until when
// this instance holds it (the past when another instance does). It writes
// only when less than half of the lease is left.
func (r *Roomserver) renewLease(ctx context.Context, held time.Time) (time.Time, error) {
	now := time.Now()
	if held.Sub(now) > leaseDuration/2 {
		return held, nil
	}
	until := now.Add(leaseDuration)
	res, err := r.db.Exec(ctx, `UPDATE roomserver_outbox_lease SET holder = $1, expires_ts = $2
		WHERE id = 1 AND (holder = $1 OR expires_ts < $3)`, r.instanceID, until.UnixMilli(), now.UnixMilli())
	if err != nil {
		return time.Time{}, fmt.Errorf("renew outbox lease: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return time.Time{}, fmt.Errorf("renew outbox lease: %w", err)
	}
	if n == 0 {
		return time.Time{}, nil
	}
	return until, nil
}

// releaseLease lets another instance take over at once.
func (r *Roomserver) releaseLease(ctx context.Context) {
	if _, err := r.db.Exec(ctx, `UPDATE roomserver_outbox_lease SET expires_ts = 0 WHERE id = 1 AND holder = $1`,
		r.instanceID); err != nil {
		r.log.WarnContext(ctx, "releasing the outbox lease", slog.Any("error", err))
	}
}

// publishOutbox publishes up to publishBatch rows in sequence order and
// deletes those the bus acknowledged. It returns how many it published.
func (r *Roomserver) publishOutbox(ctx context.Context, leaseUntil time.Time) (int, error) {
	type row struct {
		seq     int64
		payload string
	}
	rows, err := r.db.Query(ctx, `SELECT seq, payload FROM roomserver_outbox ORDER BY seq LIMIT $1`, publishBatch)
	if err != nil {
		return 0, fmt.Errorf("read outbox: %w", err)
	}
	var batch []row
	for rows.Next() {
		var rw row
		if err := rows.Scan(&rw.seq, &rw.payload); err != nil {
			rows.Close()
			return 0, fmt.Errorf("read outbox: %w", err)
		}
		batch = append(batch, rw)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("read outbox: %w", err)
	}

	var published []int64
	var pubErr error
	for _, rw := range batch {
		if time.Until(leaseUntil) < publishTimeout {
			break // the rest waits for the renewed lease
		}
		var out api.OutputEvent
		if err := json.Unmarshal([]byte(rw.payload), &out); err != nil {
			pubErr = fmt.Errorf("outbox row %d: %w", rw.seq, err)
			break
		}
		out.Sequence = rw.seq
		pctx, cancel := context.WithTimeout(ctx, publishTimeout)
		err := r.bus.Publish(pctx, api.OutputSubject, out, bus.WithMsgID(strconv.FormatInt(rw.seq, 10)+":"+out.EventID))
		cancel()
		if err != nil {
			pubErr = fmt.Errorf("publish output %d (%s): %w", rw.seq, out.EventID, err)
			break
		}
		published = append(published, rw.seq)
	}
	if err := r.deleteOutbox(ctx, published); err != nil {
		return len(published), err
	}
	return len(published), pubErr
}

// deleteOutbox removes published rows.
func (r *Roomserver) deleteOutbox(ctx context.Context, seqs []int64) error {
	if len(seqs) == 0 {
		return nil
	}
	placeholders := make([]string, len(seqs))
	args := make([]any, len(seqs))
	for i, seq := range seqs {
		placeholders[i] = "$" + strconv.Itoa(i+1)
		args[i] = seq
	}
	// The delete must not be lost to a cancelled context: the rows were
	// published, and publishing them again only costs a duplicate.
	ctx = context.WithoutCancel(ctx)
	if _, err := r.db.Exec(ctx, `DELETE FROM roomserver_outbox WHERE seq IN (`+strings.Join(placeholders, ", ")+`)`, args...); err != nil {
		return fmt.Errorf("delete published outbox rows: %w", err)
	}
	return nil
}
