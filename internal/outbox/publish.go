package outbox

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/ocomms/ocomms/bus"
)

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
	retryMin        = 100 * time.Millisecond
	retryMax        = 5 * time.Second
)

// publishLoop runs until ctx is done.
func (o *Outbox) publishLoop(ctx context.Context) {
	var (
		leaseUntil time.Time
		retry      = retryMin
	)
	for {
		wait := standbyInterval
		until, err := o.renewLease(ctx, leaseUntil)
		leaseUntil = until
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return
			}
			o.log.WarnContext(ctx, "outbox lease", slog.Any("error", err))
			wait, retry = retry, min(2*retry, retryMax)
		case time.Until(leaseUntil) > publishTimeout:
			n, err := o.publish(ctx, leaseUntil)
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				o.log.WarnContext(ctx, "publishing the outbox; will retry", slog.Any("error", err), slog.Duration("retry_in", retry))
				wait, retry = retry, min(2*retry, retryMax)
				break
			}
			retry = retryMin
			if n == publishBatch {
				continue // more rows are waiting
			}
			wait = pollInterval
		}
		select {
		case <-ctx.Done():
			return
		case <-o.wake:
		case <-time.After(wait):
		}
	}
}

// renewLease takes or extends the lease and returns until when this
// instance holds it (the past when another instance does). It writes only
// when less than half of the lease is left.
func (o *Outbox) renewLease(ctx context.Context, held time.Time) (time.Time, error) {
	now := time.Now()
	if held.Sub(now) > leaseDuration/2 {
		return held, nil
	}
	until := now.Add(leaseDuration)
	res, err := o.db.Exec(ctx, `UPDATE `+o.table+`_lease SET holder = $1, expires_ts = $2
		WHERE id = 1 AND (holder = $1 OR expires_ts < $3)`, o.instanceID, until.UnixMilli(), now.UnixMilli())
	if err != nil {
		return time.Time{}, fmt.Errorf("renew %s lease: %w", o.table, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return time.Time{}, fmt.Errorf("renew %s lease: %w", o.table, err)
	}
	if n == 0 {
		return time.Time{}, nil
	}
	return until, nil
}

// releaseLease lets another instance take over at once.
func (o *Outbox) releaseLease(ctx context.Context) {
	if _, err := o.db.Exec(ctx, `UPDATE `+o.table+`_lease SET expires_ts = 0 WHERE id = 1 AND holder = $1`,
		o.instanceID); err != nil {
		o.log.WarnContext(ctx, "releasing the outbox lease", slog.Any("error", err))
	}
}

// publish publishes up to publishBatch rows in sequence order and deletes
// those the bus acknowledged. It returns how many it published.
func (o *Outbox) publish(ctx context.Context, leaseUntil time.Time) (int, error) {
	type row struct {
		seq     int64
		payload string
	}
	rows, err := o.db.Query(ctx, `SELECT seq, payload FROM `+o.table+` ORDER BY seq LIMIT $1`, publishBatch)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", o.table, err)
	}
	var batch []row
	for rows.Next() {
		var rw row
		if err := rows.Scan(&rw.seq, &rw.payload); err != nil {
			rows.Close()
			return 0, fmt.Errorf("read %s: %w", o.table, err)
		}
		batch = append(batch, rw)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("read %s: %w", o.table, err)
	}

	var published []int64
	var pubErr error
	for _, rw := range batch {
		if time.Until(leaseUntil) < publishTimeout {
			break // the rest waits for the renewed lease
		}
		msg, msgID, err := o.prepare(rw.seq, []byte(rw.payload))
		if err != nil {
			pubErr = fmt.Errorf("%s row %d: %w", o.table, rw.seq, err)
			break
		}
		pctx, cancel := context.WithTimeout(ctx, publishTimeout)
		err = o.bus.Publish(pctx, o.subject, msg, bus.WithMsgID(msgID))
		cancel()
		if err != nil {
			pubErr = fmt.Errorf("publish %s row %d (%s): %w", o.table, rw.seq, msgID, err)
			break
		}
		published = append(published, rw.seq)
	}
	if err := o.delete(ctx, published); err != nil {
		return len(published), err
	}
	return len(published), pubErr
}

// delete removes published rows.
func (o *Outbox) delete(ctx context.Context, seqs []int64) error {
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
	if _, err := o.db.Exec(ctx, `DELETE FROM `+o.table+` WHERE seq IN (`+strings.Join(placeholders, ", ")+`)`, args...); err != nil {
		return fmt.Errorf("delete published %s rows: %w", o.table, err)
	}
	return nil
}
