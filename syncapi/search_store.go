package syncapi

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ocomms/ocomms/spec/event"
	"github.com/ocomms/ocomms/storage"
)

// searchIndex finds any substring of the searchable text of events, in any
// language (storage.TextIndex).
var searchIndex = storage.TextIndex{Name: "syncapi_search_text", Table: "syncapi_search", Column: "body", Key: "stream_pos"}

// searchFields are the keys of the search API and the content field each
// reads, for the one event type that carries it.
// https://spec.matrix.org/latest/client-server-api/#post_matrixclientv3search
var searchFields = map[string]struct{ evType, field string }{
	"content.body":  {"m.room.message", "body"},
	"content.name":  {"m.room.name", "name"},
	"content.topic": {"m.room.topic", "topic"},
}

// searchableText returns the search key and text of an event, or ok false
// when it has nothing to search.
func searchableText(ev *event.Event) (key, text string, ok bool) {
	for k, f := range searchFields {
		if ev.Type() != f.evType {
			continue
		}
		var content map[string]json.RawMessage
		if json.Unmarshal(ev.Content(), &content) != nil {
			return "", "", false
		}
		var s string
		if json.Unmarshal(content[f.field], &s) != nil || strings.TrimSpace(s) == "" {
			return "", "", false
		}
		return k, s, true
	}
	return "", "", false
}

// indexForSearch is storeOutput's part: it makes the event searchable and
// forgets the text of the event it redacts.
func indexForSearch(ctx context.Context, tx *storage.Tx, pos int64, ev *event.Event, redacts string) error {
	if redacts != "" {
		if _, err := tx.Exec(ctx, `DELETE FROM syncapi_search
			WHERE stream_pos = (SELECT stream_pos FROM syncapi_events WHERE event_id = $1)`, redacts); err != nil {
			return fmt.Errorf("removing the searchable text of %s: %w", redacts, err)
		}
	}
	return insertSearchText(ctx, tx, pos, ev)
}

// insertSearchText stores the event's searchable text unless the stored
// copy is redacted (the redaction came first). A second call for the same
// event, as from a backfill batch read twice, changes nothing.
func insertSearchText(ctx context.Context, tx *storage.Tx, pos int64, ev *event.Event) error {
	key, text, ok := searchableText(ev)
	if !ok {
		return nil
	}
	if _, err := tx.Exec(ctx, `INSERT INTO syncapi_search (stream_pos, room_id, sender, type, field, body)
		SELECT $1, $2, $3, $4, $5, $6 FROM syncapi_events WHERE stream_pos = $1 AND redacted_because IS NULL
		ON CONFLICT (stream_pos) DO NOTHING`, pos, ev.RoomID(), ev.Sender(), ev.Type(), key, text); err != nil {
		return fmt.Errorf("indexing %s for search: %w", ev.EventID(), err)
	}
	return nil
}

// searchRoom is a room the user may search and, for a room they left, the
// stream position from which they can see nothing (0: still joined).
type searchRoom struct {
	roomID string
	until  int64
}

// searchQuery is one read of matching events.
type searchQuery struct {
	terms      []string
	keys       []string
	rooms      []searchRoom
	senders    []string // nil: any
	notSenders []string
	types      []string // exact types; nil: any
	upTo       int64
	recent     bool
	after      *searchHit // the last match read before, if any
	limit      int
}

// searchHit is one matching event.
type searchHit struct {
	pos  int64
	rank float64
}

// build returns the FROM ... WHERE part of the query, the rank when
// ranked, and the arguments.
func (q *searchQuery) build(db *storage.DB, ranked bool) (from, rank string, args []any) {
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	in := func(col string, vs []string) string {
		marks := make([]string, len(vs))
		for i, v := range vs {
			marks[i] = arg(v)
		}
		return col + " IN (" + strings.Join(marks, ", ") + ")"
	}
	ts := db.TextSearch(searchIndex, "s", q.terms, arg)
	where := []string{ts.Where, "s.stream_pos <= " + arg(q.upTo), in("s.field", q.keys)}
	var joined []string
	var rooms []string
	for _, r := range q.rooms {
		if r.until == 0 {
			joined = append(joined, r.roomID)
		} else {
			rooms = append(rooms, "(s.room_id = "+arg(r.roomID)+" AND s.stream_pos < "+arg(r.until)+")")
		}
	}
	if len(joined) > 0 {
		rooms = append(rooms, in("s.room_id", joined))
	}
	where = append(where, "("+strings.Join(rooms, " OR ")+")")
	if q.senders != nil {
		where = append(where, in("s.sender", q.senders))
	}
	if len(q.notSenders) > 0 {
		where = append(where, "NOT "+in("s.sender", q.notSenders))
	}
	if q.types != nil {
		where = append(where, in("s.type", q.types))
	}
	if ranked {
		rank = ts.Rank(arg)
	}
	return ts.From + " WHERE " + strings.Join(where, " AND "), rank, args
}

// searchHits returns a page of matches, best or newest first. The page
// starts after the last match read before (keyset pagination), so a
// group's next_batch, which is the same point restricted to the group,
// misses nothing of the group.
func (s *SyncAPI) searchHits(ctx context.Context, q searchQuery) ([]searchHit, error) {
	if len(q.rooms) == 0 {
		return nil, nil
	}
	from, rank, args := q.build(s.db, true)
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	order := "x.rank DESC, x.pos DESC"
	after := ""
	if q.recent {
		order = "x.pos DESC"
	}
	if q.after != nil {
		if q.recent {
			after = " WHERE x.pos < " + arg(q.after.pos)
		} else {
			r := q.after.rank
			after = " WHERE (x.rank < " + arg(r) + " OR (x.rank = " + arg(r) + " AND x.pos < " + arg(q.after.pos) + "))"
		}
	}
	rows, err := s.db.Query(ctx, `SELECT x.pos, x.rank FROM (SELECT s.stream_pos AS pos, `+rank+` AS rank FROM `+from+`) x`+
		after+` ORDER BY `+order+` LIMIT `+arg(q.limit), args...)
	if err != nil {
		return nil, fmt.Errorf("searching: %w", err)
	}
	defer rows.Close()
	var hits []searchHit
	for rows.Next() {
		var h searchHit
		if err := rows.Scan(&h.pos, &h.rank); err != nil {
			return nil, fmt.Errorf("reading search results: %w", err)
		}
		hits = append(hits, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading search results: %w", err)
	}
	return hits, nil
}

// searchCount is the number of matches, before history visibility is
// applied: the spec's count is approximate.
func (s *SyncAPI) searchCount(ctx context.Context, q searchQuery) (int, error) {
	if len(q.rooms) == 0 {
		return 0, nil
	}
	from, _, args := q.build(s.db, false)
	var n int
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM `+from, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("counting search results: %w", err)
	}
	return n, nil
}

// searchRooms are the rooms the user joined at some point, with the
// position they left at for those they are no longer in, less the rooms
// they forgot.
func (s *SyncAPI) searchRooms(ctx context.Context, userID string) ([]searchRoom, error) {
	rows, err := s.db.Query(ctx, `SELECT `+stateColumns+` WHERE type = 'm.room.member' AND state_key = $1 AND membership = 'join'
		ORDER BY added_pos`, userID)
	if err != nil {
		return nil, fmt.Errorf("reading the rooms of %s: %w", userID, err)
	}
	joins, err := scanState(rows)
	if err != nil {
		return nil, err
	}
	until := map[string]int64{}
	var order []string
	for _, j := range joins {
		u, seen := until[j.roomID]
		if !seen {
			order = append(order, j.roomID)
		}
		if j.removed == 0 || (seen && u == 0) {
			until[j.roomID] = 0
		} else {
			until[j.roomID] = max(u, j.removed)
		}
	}
	var out []searchRoom
	for _, id := range order {
		if until[id] != 0 {
			forgot, err := s.isForgotten(ctx, userID, id)
			if err != nil {
				return nil, err
			}
			if forgot {
				continue
			}
		}
		out = append(out, searchRoom{roomID: id, until: until[id]})
	}
	return out, nil
}

// eventsAt loads the events at the positions, in any order.
func (s *SyncAPI) eventsAt(ctx context.Context, positions []int64) (map[int64]*eventRow, error) {
	out := map[int64]*eventRow{}
	if len(positions) == 0 {
		return out, nil
	}
	args := make([]any, len(positions))
	marks := make([]string, len(positions))
	for i, p := range positions {
		args[i] = p
		marks[i] = fmt.Sprintf("$%d", i+1)
	}
	rows, err := s.db.Query(ctx, `SELECT `+eventColumns+` WHERE e.stream_pos IN (`+strings.Join(marks, ", ")+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("loading search results: %w", err)
	}
	evs, err := scanEvents(rows)
	if err != nil {
		return nil, err
	}
	for _, e := range evs {
		out[e.pos] = e
	}
	return out, nil
}
