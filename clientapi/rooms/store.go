package rooms

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/ocomms/ocomms/storage"
)

// migrations are the "clientapi" component's tables.
var migrations = []storage.Migration{{
	Version: 1,
	Name:    "room aliases, published directory, profiles, forgotten rooms, reports",
	Up: `
CREATE TABLE room_aliases (
	alias      TEXT PRIMARY KEY,
	-- room_id is '' while createRoom holds the alias for a room it is
	-- still creating; such a reservation expires after aliasReservationTTL.
	room_id    TEXT NOT NULL,
	creator    TEXT NOT NULL,
	created_ts BIGINT NOT NULL
);
CREATE INDEX room_aliases_room_id ON room_aliases (room_id);

CREATE TABLE room_directory (
	room_id      TEXT PRIMARY KEY,
	published_ts BIGINT NOT NULL
);

CREATE TABLE profiles (
	user_id     TEXT PRIMARY KEY,
	displayname TEXT,
	avatar_url  TEXT
);

CREATE TABLE forgotten_rooms (
	user_id      TEXT NOT NULL,
	room_id      TEXT NOT NULL,
	-- The membership event the user forgot; a later membership un-forgets.
	event_id     TEXT NOT NULL,
	forgotten_ts BIGINT NOT NULL,
	PRIMARY KEY (user_id, room_id)
);

CREATE TABLE reports (
	report_id   BIGSERIAL PRIMARY KEY,
	reporter    TEXT NOT NULL,
	room_id     TEXT NOT NULL,
	-- event_id is '' for a report of the whole room.
	event_id    TEXT NOT NULL,
	reason      TEXT NOT NULL,
	received_ts BIGINT NOT NULL
);
CREATE INDEX reports_room_id ON reports (room_id);
`,
}, {
	Version: 2,
	Name:    "user directory",
	Up: `
-- The user directory's read copy of room state, kept from the roomserver's
-- output stream: who is joined where, under which name, and which rooms
-- anyone may join. search_text is the lower-cased user ID and display
-- name, lowered in Go so both databases match the same way.
CREATE TABLE user_directory_members (
	room_id      TEXT NOT NULL,
	user_id      TEXT NOT NULL,
	display_name TEXT,
	avatar_url   TEXT,
	search_text  TEXT NOT NULL,
	PRIMARY KEY (room_id, user_id)
);
CREATE INDEX user_directory_members_user_id ON user_directory_members (user_id);

CREATE TABLE user_directory_rooms (
	room_id   TEXT PRIMARY KEY,
	is_public BOOLEAN NOT NULL
);
`,
}, {
	Version: 3,
	Name:    "custom profile fields and user reports",
	Up: `
-- Profile fields other than displayname and avatar_url (m.tz and custom
-- keys), as one JSON object.
ALTER TABLE profiles ADD COLUMN fields TEXT NOT NULL DEFAULT '{}';
-- reported_user is set, and room_id and event_id are '', for a report of
-- a user rather than of a room or event.
ALTER TABLE reports ADD COLUMN reported_user TEXT NOT NULL DEFAULT '';
`,
}}

// aliasReservationTTL bounds how long a createRoom that died between
// reserving its alias and creating the room keeps the alias from others.
const aliasReservationTTL = 5 * time.Minute

var errAliasTaken = errors.New("room alias already taken")

func nowMS() int64 { return time.Now().UnixMilli() }

// alias is one row of room_aliases.
type alias struct {
	RoomID  string
	Creator string
}

// lookupAlias returns the room an alias points to; ok is false when it
// points nowhere (or is only reserved).
func (r *Rooms) lookupAlias(ctx context.Context, name string) (a alias, ok bool, err error) {
	err = r.db.QueryRow(ctx, `SELECT room_id, creator FROM room_aliases WHERE alias = $1 AND room_id <> ''`, name).
		Scan(&a.RoomID, &a.Creator)
	if errors.Is(err, sql.ErrNoRows) {
		return alias{}, false, nil
	}
	if err != nil {
		return alias{}, false, fmt.Errorf("looking up alias %s: %w", name, err)
	}
	return a, true, nil
}

// insertAlias maps name to roomID (or reserves it when roomID is ""), or
// returns errAliasTaken. An expired reservation is taken over.
func insertAlias(ctx context.Context, tx *storage.Tx, name, roomID, creator string) error {
	now := nowMS()
	if _, err := tx.Exec(ctx, `DELETE FROM room_aliases WHERE alias = $1 AND room_id = '' AND created_ts < $2`,
		name, now-aliasReservationTTL.Milliseconds()); err != nil {
		return fmt.Errorf("expiring alias reservation: %w", err)
	}
	var taken int
	err := tx.QueryRow(ctx, `SELECT 1 FROM room_aliases WHERE alias = $1`, name).Scan(&taken)
	if err == nil {
		return errAliasTaken
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("checking alias %s: %w", name, err)
	}
	_, err = tx.Exec(ctx, `INSERT INTO room_aliases (alias, room_id, creator, created_ts) VALUES ($1, $2, $3, $4)`,
		name, roomID, creator, now)
	if storage.IsUniqueViolation(err) {
		return errAliasTaken
	}
	if err != nil {
		return fmt.Errorf("inserting alias %s: %w", name, err)
	}
	return nil
}

// reserveAlias holds an alias for a room being created.
func (r *Rooms) reserveAlias(ctx context.Context, name, creator string) error {
	return r.db.WithTx(ctx, func(ctx context.Context, tx *storage.Tx) error {
		return insertAlias(ctx, tx, name, "", creator)
	})
}

// releaseAlias drops a reservation whose room could not be created.
func (r *Rooms) releaseAlias(ctx context.Context, name string) error {
	_, err := r.db.Exec(ctx, `DELETE FROM room_aliases WHERE alias = $1 AND room_id = ''`, name)
	if err != nil {
		return fmt.Errorf("releasing alias %s: %w", name, err)
	}
	return nil
}

// bindAlias points a reservation at the room created for it.
func bindAlias(ctx context.Context, tx *storage.Tx, name, roomID string) error {
	if _, err := tx.Exec(ctx, `UPDATE room_aliases SET room_id = $2, created_ts = $3 WHERE alias = $1`,
		name, roomID, nowMS()); err != nil {
		return fmt.Errorf("binding alias %s: %w", name, err)
	}
	return nil
}

// deleteAlias removes a mapping; it reports whether there was one.
func (r *Rooms) deleteAlias(ctx context.Context, name string) (bool, error) {
	res, err := r.db.Exec(ctx, `DELETE FROM room_aliases WHERE alias = $1 AND room_id <> ''`, name)
	if err != nil {
		return false, fmt.Errorf("deleting alias %s: %w", name, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("deleting alias %s: %w", name, err)
	}
	return n > 0, nil
}

// aliasesOfRoom lists the local aliases of a room in creation order.
func (r *Rooms) aliasesOfRoom(ctx context.Context, q storage.Querier, roomID string) ([]string, error) {
	rows, err := q.Query(ctx, `SELECT alias FROM room_aliases WHERE room_id = $1 ORDER BY created_ts, alias`, roomID)
	if err != nil {
		return nil, fmt.Errorf("listing aliases of %s: %w", roomID, err)
	}
	defer rows.Close()
	aliases := []string{}
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			return nil, fmt.Errorf("listing aliases of %s: %w", roomID, err)
		}
		aliases = append(aliases, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing aliases of %s: %w", roomID, err)
	}
	return aliases, nil
}

// setPublished adds the room to the published directory or removes it.
func setPublished(ctx context.Context, q storage.Querier, roomID string, public bool) error {
	var err error
	if public {
		_, err = q.Exec(ctx, `INSERT INTO room_directory (room_id, published_ts) VALUES ($1, $2)
			ON CONFLICT (room_id) DO NOTHING`, roomID, nowMS())
	} else {
		_, err = q.Exec(ctx, `DELETE FROM room_directory WHERE room_id = $1`, roomID)
	}
	if err != nil {
		return fmt.Errorf("setting directory visibility of %s: %w", roomID, err)
	}
	return nil
}

func (r *Rooms) isPublished(ctx context.Context, roomID string) (bool, error) {
	var one int
	err := r.db.QueryRow(ctx, `SELECT 1 FROM room_directory WHERE room_id = $1`, roomID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("reading directory visibility of %s: %w", roomID, err)
	}
	return true, nil
}

// publishedRooms lists the published rooms, oldest publication first.
func (r *Rooms) publishedRooms(ctx context.Context) ([]string, error) {
	rows, err := r.db.Query(ctx, `SELECT room_id FROM room_directory ORDER BY published_ts, room_id`)
	if err != nil {
		return nil, fmt.Errorf("listing published rooms: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("listing published rooms: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing published rooms: %w", err)
	}
	return ids, nil
}
