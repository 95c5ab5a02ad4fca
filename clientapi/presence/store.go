package presence

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	clientapi "github.com/ocomms/ocomms/clientapi/api"
	"github.com/ocomms/ocomms/storage"
)

// sweepBatch bounds how many idle users one sweep turns offline.
const sweepBatch = 100

// state is a user's row; a user without one is offline, never active.
type state struct {
	userID     string
	presence   string
	statusMsg  *string
	lastActive int64
	lastSync   int64
	serial     int64
}

func load(ctx context.Context, tx *storage.Tx, userID string) (state, error) {
	st := state{userID: userID, presence: clientapi.PresenceOffline}
	var msg sql.NullString
	err := tx.QueryRow(ctx, `SELECT presence, status_msg, last_active_ts, last_sync_ts, serial
		FROM clientapi_presence WHERE user_id = $1`, userID).
		Scan(&st.presence, &msg, &st.lastActive, &st.lastSync, &st.serial)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return st, fmt.Errorf("loading presence of %s: %w", userID, err)
	}
	if msg.Valid {
		st.statusMsg = &msg.String
	}
	return st, nil
}

// currentlyActive is the spec's currently_active at now.
func (st state) currentlyActive(now time.Time) bool {
	return st.presence == clientapi.PresenceOnline && now.UnixMilli()-st.lastActive < activeWindow.Milliseconds()
}

// save writes the row and, when publish is set, counts a change and
// enqueues it for the bus, all in tx.
func (p *Presence) save(ctx context.Context, tx *storage.Tx, st *state, publish bool, now time.Time) error {
	if publish {
		st.serial++
	}
	if _, err := tx.Exec(ctx, `INSERT INTO clientapi_presence (user_id, presence, status_msg, last_active_ts, last_sync_ts, serial)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (user_id) DO UPDATE SET presence = excluded.presence, status_msg = excluded.status_msg,
			last_active_ts = excluded.last_active_ts, last_sync_ts = excluded.last_sync_ts, serial = excluded.serial`,
		st.userID, st.presence, st.statusMsg, st.lastActive, st.lastSync, st.serial); err != nil {
		return fmt.Errorf("storing presence of %s: %w", st.userID, err)
	}
	if !publish {
		return nil
	}
	return p.outbox.Enqueue(ctx, tx, clientapi.Presence{
		Version: clientapi.PresenceVersion, UserID: st.userID, Serial: st.serial, Presence: st.presence,
		StatusMsg: st.statusMsg, LastActiveTS: st.lastActive, CurrentlyActive: st.currentlyActive(now),
	})
}

// update runs change on the user's row in a serializable transaction (a
// sync on one instance and the sweeper on another must not both win) and
// saves it; change reports whether the result is news for the bus.
func (p *Presence) update(ctx context.Context, userID string, change func(st *state, now time.Time) (write, publish bool)) error {
	var published bool
	err := p.db.WithTx(ctx, func(ctx context.Context, tx *storage.Tx) error {
		published = false
		st, err := load(ctx, tx, userID)
		if err != nil {
			return err
		}
		now := time.Now()
		write, publish := change(&st, now)
		if !write {
			return nil
		}
		published = publish
		return p.save(ctx, tx, &st, publish, now)
	}, storage.Serializable())
	if err != nil {
		return err
	}
	if published {
		p.outbox.Notify()
	}
	return nil
}

// set is PUT /presence: the state and status message the user chose, and
// an activity if they chose online.
func (p *Presence) set(ctx context.Context, userID, presence string, statusMsg *string) error {
	p.forget(userID)
	return p.update(ctx, userID, func(st *state, now time.Time) (bool, bool) {
		st.presence, st.statusMsg = presence, statusMsg
		if presence == clientapi.PresenceOnline || st.lastActive == 0 {
			st.lastActive = now.UnixMilli()
		}
		st.lastSync = now.UnixMilli()
		return true, true
	})
}

// Synced records a /sync of the user with its set_presence ("" is
// online): the user is alive, and online or unavailable as asked;
// offline leaves the presence alone. It writes at most once per
// touchInterval per user on this instance unless the state changes.
func (p *Presence) Synced(ctx context.Context, userID, setPresence string) error {
	if !p.cfg.Enabled || setPresence == clientapi.PresenceOffline {
		return nil
	}
	if setPresence == "" {
		setPresence = clientapi.PresenceOnline
	}
	p.mu.Lock()
	last, ok := p.touched[userID]
	p.mu.Unlock()
	if ok && last.presence == setPresence && time.Since(last.at) < p.touchInterval() {
		return nil
	}
	err := p.update(ctx, userID, func(st *state, now time.Time) (bool, bool) {
		changed := st.presence != setPresence
		// Coming back after a minute of inactivity flips
		// currently_active, which is news too.
		wasActive := st.currentlyActive(now)
		st.presence = setPresence
		st.lastSync = now.UnixMilli()
		if setPresence == clientapi.PresenceOnline {
			st.lastActive = now.UnixMilli()
		}
		return true, changed || wasActive != st.currentlyActive(now)
	})
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.touched[userID] = touch{presence: setPresence, at: time.Now()}
	p.mu.Unlock()
	return nil
}

// forget drops the user's sync bookkeeping on this instance, so the next
// sync writes again after an explicit change.
func (p *Presence) forget(userID string) {
	p.mu.Lock()
	delete(p.touched, userID)
	p.mu.Unlock()
}

// sweepInterval is how often each instance looks for users gone idle.
func (p *Presence) sweepInterval() time.Duration {
	return min(max(p.cfg.OfflineAfter/4, 250*time.Millisecond), 5*time.Second)
}

// sweepLoop turns offline, until ctx ends, every user who was online or
// unavailable and showed no sign of life on any instance for
// offline_after. Every instance sweeps; the serializable update makes
// exactly one of them publish each change.
func (p *Presence) sweepLoop(ctx context.Context) {
	if !p.cfg.Enabled {
		return
	}
	tick := time.NewTicker(p.sweepInterval())
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if err := p.sweep(ctx); err != nil && ctx.Err() == nil {
				p.log.WarnContext(ctx, "turning idle users offline; will retry", slog.Any("error", err))
			}
		}
	}
}

func (p *Presence) sweep(ctx context.Context) error {
	cutoff := time.Now().Add(-p.cfg.OfflineAfter).UnixMilli()
	rows, err := p.db.Query(ctx, `SELECT user_id FROM clientapi_presence
		WHERE presence <> 'offline' AND last_sync_ts < $1 LIMIT $2`, cutoff, sweepBatch)
	if err != nil {
		return fmt.Errorf("finding idle users: %w", err)
	}
	var idle []string
	for rows.Next() {
		var u string
		if err := rows.Scan(&u); err != nil {
			rows.Close()
			return fmt.Errorf("finding idle users: %w", err)
		}
		idle = append(idle, u)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("finding idle users: %w", err)
	}
	for _, u := range idle {
		err := p.update(ctx, u, func(st *state, now time.Time) (bool, bool) {
			if st.presence == clientapi.PresenceOffline || st.lastSync >= now.Add(-p.cfg.OfflineAfter).UnixMilli() {
				return false, false // it synced or was swept meanwhile
			}
			st.presence = clientapi.PresenceOffline
			return true, true
		})
		if err != nil {
			return err
		}
	}
	return nil
}
