package syncapi

// Erasure (POST /account/deactivate with erase, spec v1.10): users who
// join a room after the erasure are served redacted copies of the erased
// user's events; users who could see them before keep seeing them whole.
// No redaction event is sent. accounts publishes the erasure
// (clientapi/api.UserErased); this file stores it and applies it to every
// event formatted for a client, in markForViewer, which every read path
// calls before formatting, next to unsigned.membership.
//
// https://spec.matrix.org/latest/client-server-api/#post_matrixclientv3accountdeactivate

import (
	"context"
	"fmt"
	"strings"

	"github.com/ocomms/ocomms/bus"
	capi "github.com/ocomms/ocomms/clientapi/api"
	"github.com/ocomms/ocomms/spec/event"
	"github.com/ocomms/ocomms/spec/roomversion"
	"github.com/ocomms/ocomms/storage"
)

// erasureConsumerName is the durable consumer of erasures shared by every
// syncapi instance.
const erasureConsumerName = "syncapi_erasures"

func (s *SyncAPI) erasureConsumer() consumer {
	return consumer{
		stream: capi.ErasureStream, durable: erasureConsumerName, subject: capi.ErasureSubject,
		handle: s.handleErasure,
	}
}

// handleErasure records the user as erased at the current room stream
// position and forgets its copy of their account data. A redelivery keeps
// the first position.
func (s *SyncAPI) handleErasure(ctx context.Context, m bus.Message) error {
	var u capi.UserErased
	if err := m.Decode(&u); err != nil {
		return bus.Permanent(err)
	}
	if u.Version != capi.UserErasedVersion {
		return fmt.Errorf("erasure of %s has version %d, this syncapi reads %d", u.UserID, u.Version, capi.UserErasedVersion)
	}
	if u.UserID == "" {
		return bus.Permanent(fmt.Errorf("erasure without a user"))
	}
	return s.db.WithTx(ctx, func(ctx context.Context, tx *storage.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO syncapi_erased_users (user_id, erased_pos)
			SELECT $1, position FROM syncapi_stream_positions WHERE stream = $2
			ON CONFLICT (user_id) DO NOTHING`, u.UserID, streamRoomEvents); err != nil {
			return fmt.Errorf("recording the erasure of %s: %w", u.UserID, err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM syncapi_account_data WHERE user_id = $1`, u.UserID); err != nil {
			return fmt.Errorf("erasing the account data of %s: %w", u.UserID, err)
		}
		return nil
	})
}

// isErased reports whether the user was erased; account data changes of
// an erased user still in flight are dropped.
func isErased(ctx context.Context, tx *storage.Tx, userID string) (bool, error) {
	var n int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM syncapi_erased_users WHERE user_id = $1`, userID).Scan(&n); err != nil {
		return false, fmt.Errorf("checking the erasure of %s: %w", userID, err)
	}
	return n > 0, nil
}

// maxErasedLookup bounds the senders of one lookup query, well under the
// bind parameter limits of both databases.
const maxErasedLookup = 500

// markErased sets erasedAt on the events (and the events their bundled
// aggregations carry) whose sender was erased, with one query per
// maxErasedLookup distinct senders whatever the number of events.
func (s *SyncAPI) markErased(ctx context.Context, evs []*eventRow) error {
	var all []*eventRow
	seen := map[string]bool{}
	var senders []string
	var walk func(evs []*eventRow)
	walk = func(evs []*eventRow) {
		for _, e := range evs {
			all = append(all, e)
			if !seen[e.sender] {
				seen[e.sender] = true
				senders = append(senders, e.sender)
			}
			if b := e.relations; b != nil {
				if b.thread != nil && b.thread.latest != nil {
					walk([]*eventRow{b.thread.latest})
				}
				if b.replace != nil {
					walk([]*eventRow{b.replace})
				}
			}
		}
	}
	walk(evs)
	erased := map[string]int64{}
	for len(senders) > 0 {
		chunk := senders[:min(len(senders), maxErasedLookup)]
		senders = senders[len(chunk):]
		args := make([]any, len(chunk))
		marks := make([]string, len(chunk))
		for i, u := range chunk {
			args[i] = u
			marks[i] = fmt.Sprintf("$%d", i+1)
		}
		rows, err := s.db.Query(ctx, `SELECT user_id, erased_pos FROM syncapi_erased_users WHERE user_id IN (`+
			strings.Join(marks, ", ")+`)`, args...)
		if err != nil {
			return fmt.Errorf("reading erased senders: %w", err)
		}
		for rows.Next() {
			var u string
			var pos int64
			if err := rows.Scan(&u, &pos); err != nil {
				rows.Close()
				return fmt.Errorf("reading erased senders: %w", err)
			}
			erased[u] = pos
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return fmt.Errorf("reading erased senders: %w", err)
		}
	}
	for _, e := range all {
		e.erasedAt = erased[e.sender]
	}
	return nil
}

// sawBeforeErasure reports whether the user could see the erased user's
// event before the erasure: they were joined when it was sent, or joined
// at the erasure (the event, older than the erasure, passed their history
// visibility). A nil visibility (no known viewer) saw nothing.
func (v *visibility) sawBeforeErasure(e *eventRow) bool {
	if v == nil {
		return false
	}
	if v.membershipAt(e.pos-1) == "join" {
		return true
	}
	return e.pos <= e.erasedAt && v.membershipAt(e.erasedAt) == "join"
}

// applyErasure replaces the event with its redacted form, by the rules of
// its room version, when its sender was erased and the user did not see it
// before. It fails rather than serve the event whole.
func (v *visibility) applyErasure(e *eventRow) error {
	if e.erasedAt == 0 || v.sawBeforeErasure(e) {
		return nil
	}
	rules, err := roomversion.Lookup(roomversion.ID(e.roomVersion))
	if err != nil {
		return fmt.Errorf("erasing %s: %w", e.eventID, err)
	}
	redacted, err := event.Redact(rules, e.pdu)
	if err != nil {
		return fmt.Errorf("erasing %s: %w", e.eventID, err)
	}
	e.pdu, e.containsURL = redacted, false
	return nil
}

// markForViewer prepares events for formatting for the user vis is of:
// it applies erasures and sets unsigned.membership, on the events and the
// ones their bundled aggregations carry. Every path that formats events
// calls it (attachBundles for timelines, the state paths directly).
func (s *SyncAPI) markForViewer(ctx context.Context, vis *visibility, evs []*eventRow) error {
	if err := s.markErased(ctx, evs); err != nil {
		return err
	}
	return vis.markMembership(evs)
}
